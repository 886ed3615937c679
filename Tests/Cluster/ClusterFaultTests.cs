using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// Faults of the multi-process cluster (deploy/Cluster.sh: 2 silos, 2 gateways, Redis, PostgreSQL) under devices sending
/// QoS 1 readings through both gateways. After each fault: every acknowledged reading is in PostgreSQL exactly once,
/// every device is served again without anyone stepping in, is online, takes a command sent through either gateway,
/// and goes offline when it disconnects. Each test leaves the cluster whole for the next.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class ClusterFaultTests(ProcessClusterFixture cluster, ITestOutputHelper output) : ClusterFaults(cluster, output)
{
    protected override async Task<ResendingDevice> NewDeviceAsync(int index)
    {
        var ports = Cluster.GatewayMqttPorts;
        var (deviceId, token) = await NodeFixture.RegisterDeviceAsync(ports[index % 2], $"fault-{Guid.NewGuid():N}");
        return new ResendingDevice(deviceId, token, null, ports, index % 2);
    }

    [Fact]
    public Task A_killed_gateway() => SurviveAsync(async () =>
    {
        // A device that stays quiet and does not reconnect: its connection died with gateway-1, so it goes offline once
        // gateway-1 expires from the directory, not after Presence:OfflineAfterSeconds (600) of silence.
        var (quietId, quietToken) = await NodeFixture.RegisterDeviceAsync(Cluster.GatewayMqttPorts[0], $"quiet-{Guid.NewGuid():N}");
        var quiet = await TestMqttClient.ConnectAsync(Cluster.GatewayMqttPorts[0], quietId, quietToken);
        Assert.True((await quiet.PublishAsync($"iot/devices/heartbeat/{quietId}", "{}")).IsSuccess);
        await Cluster.KillAsync(ProcessClusterFixture.Gateway1);
        var killedAt = Stopwatch.StartNew();
        using (var api = new ApiClient(Cluster.ApiPort(2), ProcessClusterFixture.OperatorKey))
        {
            while ((await api.GetJsonAsync($"/api/v1/devices/{quietId}")).GetProperty("status").GetString() != "offline")
            {
                Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(30), $"{quietId}, connected through the killed gateway, is still online");
                await Task.Delay(200);
            }

            Output.WriteLine($"the quiet device of the killed gateway was offline {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
        }

        await quiet.DisposeAsync();
        return async devices =>
        {
            await WaitUntilServedAsync(devices, "after gateway-1 was killed, through gateway-2 alone");
            Assert.All(devices, device => Assert.Equal(1, device.Gateway));
            await Cluster.StartAsync(ProcessClusterFixture.Gateway1);
        };
    },
    devices => Assert.All(devices.Where((_, i) => i % 2 == 0), device => Assert.True(device.Connections >= 2, $"{device.DeviceId} never lost gateway-1")));

    [Fact]
    public Task A_restarted_Redis() => SurviveAsync(async () =>
    {
        await Cluster.HaltAsync(ProcessClusterFixture.Redis);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await Cluster.StartAsync(ProcessClusterFixture.Redis);
        return _ => Task.CompletedTask;
    });

    [Fact]
    public Task PostgreSQL_stopped_for_30_seconds() => SurviveAsync(async () =>
    {
        await Cluster.HaltAsync(ProcessClusterFixture.Postgres);
        await Task.Delay(TimeSpan.FromSeconds(30));
        await Cluster.StartAsync(ProcessClusterFixture.Postgres);
        return _ => Task.CompletedTask;
    },
    // The outage held readings back, unacknowledged, for most of its length.
    devices => Assert.Contains(devices, device => device.LongestWait >= TimeSpan.FromSeconds(20)));
}

/// <summary>
/// What the fault tests of both transports share: devices sending through the cluster while a fault runs, and the
/// cluster's promises checked afterwards.
/// </summary>
public abstract class ClusterFaults(ProcessClusterFixture cluster, ITestOutputHelper output)
{
    protected ProcessClusterFixture Cluster { get; } = cluster;

    protected ITestOutputHelper Output { get; } = output;

    private const int DeviceCount = 16;

    /// <summary>How long devices send before the fault, and how many readings each must have stored after it.</summary>
    private static readonly TimeSpan Steady = TimeSpan.FromSeconds(4);
    protected const int ReadingsAfterRecovery = 10;

    /// <summary>How long the cluster has, once the fault is over, to serve every device again.</summary>
    protected static readonly TimeSpan Recovery = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Whether a device's disconnect reaches the cluster (the embedded broker's does; an external broker's is not seen,
    /// and presence there comes from messages and silence only).
    /// </summary>
    protected virtual bool SeesDisconnects => true;

    /// <summary>Registers device number <paramref name="index"/> and returns it, not yet sending.</summary>
    protected abstract Task<ResendingDevice> NewDeviceAsync(int index);

    /// <summary>The silo holding more of the devices' grains (placement may put them all on one).</summary>
    protected async Task<string> BusierSiloAsync()
    {
        var online = new[] { await Cluster.DevicesOnlineInAsync(1), await Cluster.DevicesOnlineInAsync(2) };
        Assert.True(online.Sum() > 0, "neither silo holds a device's grain");
        return online[0] >= online[1] ? ProcessClusterFixture.Silo1 : ProcessClusterFixture.Silo2;
    }

    [Fact]
    public Task A_killed_silo() => SurviveAsync(async () =>
    {
        var victim = await BusierSiloAsync();
        await Cluster.KillAsync(victim);
        // The survivor serves every device (the killed silo's grains activate again on it) before the silo comes back.
        return async devices =>
        {
            await WaitUntilServedAsync(devices, $"after {victim} was killed, on the other silo alone");
            await Cluster.StartAsync(victim);
        };
    },
    // The gateways cancel the calls in flight to the dead silo rather than wait for Orleans' response timeout (30 s),
    // and the devices' resends reach the grains once the cluster has declared the silo dead (about 2 s here). (Behind
    // Mosquitto, which acknowledges on receipt, the devices never wait; what counts there is that every reading is stored.)
    devices => Assert.All(devices, device => Assert.True(device.LongestWait < TimeSpan.FromSeconds(20), $"{device.DeviceId} waited {device.LongestWait.TotalSeconds:0.0} s")));

    /// <summary>
    /// Registers devices (half through each gateway), lets them send, runs <paramref name="fault"/> (which returns what
    /// to do once the fault is over, before the cluster is checked), then checks the cluster's promises, and
    /// <paramref name="faultSeen"/> that the fault did touch the devices.
    /// </summary>
    protected async Task SurviveAsync(
        Func<Task<Func<IReadOnlyList<ResendingDevice>, Task>>> fault, Action<IReadOnlyList<ResendingDevice>>? faultSeen = null)
    {
        var devices = await Task.WhenAll(Enumerable.Range(0, DeviceCount).Select(NewDeviceAsync));
        using var stop = new CancellationTokenSource();
        var sending = devices.Select(d => Task.Run(() => d.RunAsync(stop.Token))).ToArray();
        try
        {
            await Task.Delay(Steady);
            var afterFault = await fault();
            await afterFault(devices);
            await WaitUntilServedAsync(devices, "after the fault");
            await AssertOnlineAsync(devices);
            await AssertCommandableAsync(devices);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(TimeSpan.FromSeconds(30));
            // Whole again for the next test, should this one have failed before putting back what it stopped.
            await Cluster.RestoreAsync();
        }

        Output.WriteLine(string.Join('\n', devices.Select(d =>
            $"{d.DeviceId}: {d.Acknowledged.Count} acknowledged, {d.Refusals} refused, {d.Connections} connections, longest wait {d.LongestWait.TotalSeconds:0.0} s")));
        faultSeen?.Invoke(devices);
        AssertEveryAcknowledgedReadingStoredOnce(devices);
        foreach (var device in devices)
        {
            await device.DisposeAsync();
        }

        if (SeesDisconnects)
        {
            await AssertOfflineAsync(devices);
        }
    }

    /// <summary>
    /// Waits until every device has had <see cref="ReadingsAfterRecovery"/> readings acknowledged from now on and stored
    /// with every reading acknowledged before them.
    /// </summary>
    protected async Task WaitUntilServedAsync(IReadOnlyList<ResendingDevice> devices, string when)
    {
        var marks = devices.ToDictionary(d => d, d => d.Acknowledged.Count + ReadingsAfterRecovery);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var acknowledged = devices.Where(d => d.Acknowledged.Count >= marks[d]).ToList();
            // Readings are sent one after another with rising timestamps, each only once the one before was
            // acknowledged: those up to the mark are all stored when as many rows lie at or before its timestamp.
            var stored = ReadStored(acknowledged);
            var behind = devices.Where(d => !(d.Acknowledged.Count >= marks[d]
                && stored.TryGetValue(d.DeviceId, out var rows)
                && rows.Keys.Count(timestamp => timestamp <= d.Acknowledged[marks[d] - 1]) == marks[d])).ToList();
            if (behind.Count == 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < Recovery,
                $"{behind.Count} of {devices.Count} devices not served again {when} within {Recovery.TotalSeconds} s: " +
                string.Join('\n', behind.Select(d => $"{d.DeviceId} (gateway {d.Gateway + 1}, {d.Connections} connections): {d.RecentProblems}")) +
                $"\n{Cluster.LogTails()}");
            await Task.Delay(250);
        }
    }

    private async Task AssertOnlineAsync(IReadOnlyList<ResendingDevice> devices)
    {
        using var api = new ApiClient(Cluster.ApiPort(1), ProcessClusterFixture.OperatorKey);
        foreach (var device in devices)
        {
            Assert.Equal("online", (await api.GetJsonAsync($"/api/v1/devices/{device.DeviceId}")).GetProperty("status").GetString());
        }
    }

    /// <summary>One command to each device, half through each gateway's API: each reaches its device wherever it is connected.</summary>
    private async Task AssertCommandableAsync(IReadOnlyList<ResendingDevice> devices)
    {
        using var api1 = new ApiClient(Cluster.ApiPort(1), ProcessClusterFixture.OperatorKey);
        using var api2 = new ApiClient(Cluster.ApiPort(2), ProcessClusterFixture.OperatorKey);
        var commandId = $"after-fault-{Guid.NewGuid():N}";
        for (var i = 0; i < devices.Count; i++)
        {
            using var created = await (i % 2 == 0 ? api1 : api2).PostJsonAsync(
                $"/api/v1/devices/{devices[i].DeviceId}/commands", $$"""{"command":"ping","command_id":"{{commandId}}","ttl_seconds":60}""");
            Assert.True(created.IsSuccessStatusCode, $"command to {devices[i].DeviceId}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        var deadline = Stopwatch.StartNew();
        while (devices.Where(d => !d.CommandsReceived.Contains(commandId)).ToList() is { Count: > 0 } missing)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                var states = await Task.WhenAll(missing.Select(async d =>
                    $"{d.DeviceId} (gateway {d.Gateway + 1}): {(await api1.GetJsonAsync($"/api/v1/devices/{d.DeviceId}/commands/{commandId}")).GetProperty("status")}"));
                Assert.Fail($"commands not received by: {string.Join(", ", states)}\n{Cluster.LogTails(40)}");
            }

            await Task.Delay(100);
        }
    }

    private async Task AssertOfflineAsync(IReadOnlyList<ResendingDevice> devices)
    {
        using var api = new ApiClient(Cluster.ApiPort(2), ProcessClusterFixture.OperatorKey);
        var deadline = Stopwatch.StartNew();
        foreach (var device in devices)
        {
            while (true)
            {
                var status = (await api.GetJsonAsync($"/api/v1/devices/{device.DeviceId}")).GetProperty("status").GetString();
                if (status == "offline")
                {
                    break;
                }

                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"{device.DeviceId} is still {status} after it disconnected");
                await Task.Delay(200);
            }
        }
    }

    private void AssertEveryAcknowledgedReadingStoredOnce(IReadOnlyList<ResendingDevice> devices)
    {
        var stored = ReadStored(devices);
        foreach (var device in devices)
        {
            var rows = stored[device.DeviceId];
            var missing = device.Acknowledged.Where(timestamp => !rows.ContainsKey(timestamp)).ToList();
            Assert.True(missing.Count == 0, $"{device.DeviceId}: {missing.Count} acknowledged readings not stored, e.g. {string.Join(", ", missing.Take(5))}");
            Assert.All(rows, row => Assert.True(row.Value == 1, $"{device.DeviceId}: reading {row.Key} stored {row.Value} times"));
            Assert.All(rows.Keys, timestamp => Assert.InRange(timestamp, ResendingDevice.FirstTimestamp, device.LastSent));
            Assert.True(device.Acknowledged.Count > ReadingsAfterRecovery, $"{device.DeviceId} had only {device.Acknowledged.Count} readings acknowledged");
        }
    }

    /// <summary>Each device's stored readings: timestamp → rows.</summary>
    private Dictionary<string, Dictionary<long, long>> ReadStored(IReadOnlyList<ResendingDevice> devices)
    {
        using var connection = Cluster.OpenDatabase();
        using var command = new NpgsqlCommand(
            "SELECT device_id, extract(epoch FROM ts)::bigint, count(*) FROM sensor_readings WHERE device_id = ANY($1) GROUP BY 1, 2",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = devices.Select(d => d.DeviceId).ToArray() });
        var stored = devices.ToDictionary(d => d.DeviceId, _ => new Dictionary<long, long>());
        using (var rows = command.ExecuteReader())
        {
            while (rows.Read())
            {
                stored[rows.GetString(0)][rows.GetInt64(1)] = rows.GetInt64(2);
            }
        }

        return stored;
    }
}
