using System.Collections.Concurrent;
using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;
using Npgsql;
using Orleans.IoT.Benchmark.Hosting;
using Orleans.IoT.Benchmark.Load;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// N devices register and fall silent: how long after offline_after is each one marked offline? Measured on one node,
/// then (durable profile) on a cluster of two nodes, one of which is killed (SIGKILL) right after the devices fell silent.
/// </summary>
public sealed class OfflineScenario : IScenario
{
    /// <summary>Failure detection for the cluster phase: a killed silo is declared dead within seconds, as offline_after is short here.</summary>
    private static readonly string[] QuickFailureDetection =
    [
        "--Orleans:Membership:ProbeTimeout=00:00:01",
        "--Orleans:Membership:NumMissedProbesLimit=2",
        "--Orleans:Membership:NumVotesForDeathDeclaration=1",
    ];

    public string Name => "offline";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        report.Add(Name, "devices", options.OfflineDevices);
        report.Add(Name, "offline_after_seconds", options.OfflineAfterSeconds, "s");
        await OnOneNodeAsync(options, report);
        if (options.Durable)
        {
            await AfterKillingASiloAsync(options, report);
        }
        else
        {
            report.Note(Name, "the silo-kill phase needs the durable profile (a cluster of two nodes on Redis)");
        }
    }

    private async Task OnOneNodeAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var deviceIds = DeviceIds(runId, options.OfflineDevices);
        await using var node = await SystemNode.StartAsync(options, runId, [$"--Presence:OfflineAfterSeconds={options.OfflineAfterSeconds}"]);
        using var watcher = await node.ConnectOperatorAsync();
        var offline = await WatchOfflineAsync(watcher, deviceIds.Count);

        var registered = await node.RegisterAsync(deviceIds, TimeSpan.FromMinutes(5));
        await offline.WaitAsync(options.OfflineAfterSeconds + 60);
        ReportLag(report, string.Empty, options, deviceIds, registered, offline.At);
    }

    private async Task AfterKillingASiloAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var deviceIds = DeviceIds(runId, options.OfflineDevices);
        string[] settings = [$"--Presence:OfflineAfterSeconds={options.OfflineAfterSeconds}", .. QuickFailureDetection];
        await using var survivor = await SystemNode.StartAsync(options, runId, settings);
        await using var victim = await SystemNode.StartAsync(options, runId, settings);
        using var watcher = await survivor.ConnectOperatorAsync();
        var offline = await WatchOfflineAsync(watcher, deviceIds.Count);

        // Half through each node: a grain is placed on the silo of the gateway that first calls it (Orleans' default
        // placement prefers the local silo), so half of them live on the silo about to be killed.
        var half = deviceIds.Count / 2;
        var registeredOnVictim = victim.RegisterAsync(deviceIds[..half], TimeSpan.FromMinutes(5));
        var registered = await survivor.RegisterAsync(deviceIds[half..], TimeSpan.FromMinutes(5));
        foreach (var (deviceId, device) in await registeredOnVictim)
        {
            registered[deviceId] = device;
        }

        var onVictim = await WatchedByAsync(options.Postgres, runId, deviceIds.Count, $":{victim.SiloPort}@");
        var killedAt = Stopwatch.GetTimestamp();
        victim.Process.Kill();

        await offline.WaitAsync(options.OfflineAfterSeconds + 60);
        var allOfflineAt = offline.At.Count == deviceIds.Count ? offline.At.Values.Max() : (long?)null;
        report.Add(Name, "after_kill_devices_on_killed_silo", onVictim.Count);
        report.Add(Name, "after_kill_kill_to_last_offline_s", allOfflineAt is { } last ? Stopwatch.GetElapsedTime(killedAt, last).TotalSeconds : "n/a", "s");
        ReportLag(report, "after_kill_", options, deviceIds, registered, offline.At);
        ReportLag(report, "after_kill_on_killed_silo_", options, onVictim, registered, offline.At);
        report.Note(Name, "silo-kill phase: two nodes on Redis clustering, half the devices registered through each node, one node killed with SIGKILL once every registration was answered, offline events watched on the other; node settings " + string.Join(' ', settings));
    }

    private static List<string> DeviceIds(string runId, int count) => Enumerable.Range(0, count).Select(i => $"{runId}-{i}").ToList();

    /// <summary>The devices that the catalog says are watched by the silo whose address holds <paramref name="silo"/>, once every device has its row.</summary>
    private static async Task<List<string>> WatchedByAsync(string connectionString, string runId, int count, string silo)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT device_id, watched_by FROM devices WHERE device_id LIKE $1 AND online", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId + "-%" });
            var rows = new List<(string DeviceId, string? WatchedBy)>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
                }
            }

            if (rows.Count == count || DateTime.UtcNow > deadline)
            {
                return rows.Where(r => r.WatchedBy?.Contains(silo, StringComparison.Ordinal) == true).Select(r => r.DeviceId).ToList();
            }

            await Task.Delay(100);
        }
    }

    private static async Task<OfflineWatch> WatchOfflineAsync(IMqttClient watcher, int expected)
    {
        var watch = new OfflineWatch(expected);
        watcher.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.ConvertPayloadToString().Contains("\"status\":\"offline\"", StringComparison.Ordinal))
            {
                watch.Record(e.ApplicationMessage.Topic["iot/events/presence/".Length..]);
            }

            return Task.CompletedTask;
        };
        await watcher.SubscribeAsync("iot/events/presence/+", MqttQualityOfServiceLevel.AtLeastOnce);
        return watch;
    }

    private void ReportLag(
        Report report,
        string prefix,
        BenchmarkOptions options,
        IReadOnlyCollection<string> deviceIds,
        Dictionary<string, (string Token, long AnsweredAt)> registered,
        IReadOnlyDictionary<string, long> offlineAt)
    {
        var lag = new LatencyHistogram();
        var marked = 0;
        foreach (var deviceId in deviceIds)
        {
            if (offlineAt.TryGetValue(deviceId, out var at) && registered.TryGetValue(deviceId, out var device))
            {
                marked++;
                var silentMicroseconds = (at - device.AnsweredAt) * 1_000_000 / Stopwatch.Frequency;
                lag.Record(silentMicroseconds - (options.OfflineAfterSeconds * 1_000_000L));
            }
        }

        report.Add(Name, prefix + "marked_offline", marked);
        report.Add(Name, prefix + "lag_after_offline_after_p50_ms", lag.ValueAt(50) / 1000.0, "ms");
        report.Add(Name, prefix + "lag_after_offline_after_p99_ms", lag.ValueAt(99) / 1000.0, "ms");
        report.Add(Name, prefix + "lag_after_offline_after_max_ms", lag.Max / 1000.0, "ms");
        report.Add(Name, prefix + "all_within_5s", marked == deviceIds.Count && lag.Max <= 5_000_000 ? "yes" : "no");
    }

    /// <summary>When each device was announced offline.</summary>
    private sealed class OfflineWatch(int expected)
    {
        private readonly ConcurrentDictionary<string, long> _at = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyDictionary<string, long> At => _at;

        public void Record(string deviceId)
        {
            _at.TryAdd(deviceId, Stopwatch.GetTimestamp());
            if (_at.Count >= expected)
            {
                _all.TrySetResult();
            }
        }

        public async Task WaitAsync(int seconds)
        {
            try
            {
                await _all.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
            }
            catch (TimeoutException)
            {
                // Reported as devices not marked offline.
            }
        }
    }
}
