using System.Collections.Immutable;
using System.Text;
using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// Two standalone gateway replicas (their own processes) of one cluster, both clients of one Mosquitto, and a silo
/// without a gateway, where the device grains live: the silo publishes each fleet event through one replica only, so an
/// operator on the broker receives it once, and through the other once the first has died and expired from the directory.
/// </summary>
public sealed class ExternalFleetEventsTests
{
    private const int ExpirySeconds = 3;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private readonly string _redis = DurableNodeFixture.Required(DurableNodeFixture.RedisVariable, "Redis");
    private readonly string _cluster = $"fleet-events-{Guid.NewGuid():N}";

    [Fact]
    public async Task An_operator_on_the_shared_broker_receives_each_presence_and_alert_event_once_and_still_after_the_publishing_replica_dies()
    {
        await using var broker = await MosquittoBroker.StartAsync((NodeFixture.OperatorName, NodeFixture.OperatorKey));
        var silo = new SiloWithoutGateway(this);
        await silo.InitializeAsync();
        try
        {
            // Ids in this order: the silo picks the lowest, "a-", while both are in its directory.
            var first = await StartReplicaAsync(broker, $"a-{Guid.NewGuid():N}", silo);
            await using var _ = first.Process;
            var second = await StartReplicaAsync(broker, $"b-{Guid.NewGuid():N}", silo);
            await using var __ = second.Process;
            await WaitForGatewaysAsync(silo, g => g.Length == 2 && g.All(r => r.SharedBroker == $"127.0.0.1:{broker.Port}"), "both replicas registered with their broker");
            await Task.Delay(500); // the silo reads the directory every 200 ms

            await using var operatorClient = await TestMqttClient.ConnectAsync(broker.Port, NodeFixture.OperatorName, NodeFixture.OperatorKey);
            await operatorClient.SubscribeAsync("iot/events/presence/+");
            await operatorClient.SubscribeAsync("iot/alerts/#");

            await ExpectEachEventOnceAsync(broker, silo, operatorClient);

            await first.Process.KillAsync(); // no unregistering: the directory drops it when it expires
            await WaitForGatewaysAsync(silo, g => g.Length == 1 && g[0].Id == second.Id, "the dead replica expired", TimeSpan.FromSeconds(ExpirySeconds + 10));
            await Task.Delay(500);

            await ExpectEachEventOnceAsync(broker, silo, operatorClient);
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_event_stream_on_each_replica_sees_every_event_while_the_broker_still_receives_each_once()
    {
        await using var broker = await MosquittoBroker.StartAsync((NodeFixture.OperatorName, NodeFixture.OperatorKey));
        var silo = new SiloWithoutGateway(this);
        await silo.InitializeAsync();
        try
        {
            var first = await StartReplicaAsync(broker, $"a-{Guid.NewGuid():N}", silo);
            await using var _ = first.Process;
            var second = await StartReplicaAsync(broker, $"b-{Guid.NewGuid():N}", silo);
            await using var __ = second.Process;
            await using var publishing = await EventStreamClient.OpenAsync(first.Process.HttpPort, NodeFixture.OperatorKey);
            await using var notPublishing = await EventStreamClient.OpenAsync(second.Process.HttpPort, NodeFixture.OperatorKey);
            await WaitForGatewaysAsync(
                silo,
                g => g.Length == 2 && g.All(r => r.SharedBroker is not null && r.StreamInterest.HasFlag(FleetInterest.Events | FleetInterest.Alerts)),
                "both replicas registered with their streams' interest");
            await Task.Delay(500); // the silo reads the directory every 200 ms

            await using var operatorClient = await TestMqttClient.ConnectAsync(broker.Port, NodeFixture.OperatorName, NodeFixture.OperatorKey);
            await operatorClient.SubscribeAsync("iot/events/presence/+");
            await operatorClient.SubscribeAsync("iot/alerts/#");

            var deviceId = await ExpectEachEventOnceAsync(broker, silo, operatorClient);

            foreach (var stream in (EventStreamClient[])[publishing, notPublishing])
            {
                Assert.Equal("online", (await stream.WaitForAsync(LiveEventKinds.Presence, deviceId)).Json.Text("status"));
                Assert.Equal("active", (await stream.WaitForAsync(LiveEventKinds.Alert, deviceId)).Json.Text("state"));
                Assert.Equal("cleared", (await stream.WaitForAsync(LiveEventKinds.Alert, deviceId)).Json.Text("state"));
            }
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }

    /// <summary>A new device comes online (one presence event) and goes above and back below 80 °C (one alert raised, one cleared).</summary>
    private static async Task<string> ExpectEachEventOnceAsync(MosquittoBroker broker, NodeFixture silo, TestMqttClient operatorClient)
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        var registered = await silo.Grains.GetGrain<IDeviceGrain>(deviceId).Register(new RegisterRequest("n", "sensor", null, null, null, []), Caller.Provisioning);
        Assert.True(registered.Result.IsOk, registered.Result.Message);
        await using var device = await ExternalNodeFixture.ConnectNewDeviceAsync(broker, deviceId);
        foreach (var (topic, payload) in new[]
        {
            ($"iot/devices/heartbeat/{deviceId}", "{}"),
            ($"iot/devices/data/{deviceId}/temperature", """{"value":85}"""),
            ($"iot/devices/data/{deviceId}/temperature", """{"value":60}"""),
        })
        {
            var ack = await device.PublishAsync(topic, payload, configure: b => b.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(registered.AuthToken!)));
            Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
            await Task.Delay(200); // in order: each replica handles its share concurrently
        }

        Assert.Equal("online", (await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}")).GetProperty("status").GetString());
        var alerts = $"iot/alerts/high/{deviceId}";
        Assert.Equal("active", (await operatorClient.WaitForJsonAsync(alerts)).GetProperty("state").GetString());
        Assert.Equal("cleared", (await operatorClient.WaitForJsonAsync(alerts)).GetProperty("state").GetString());
        await operatorClient.AssertNothingOnAsync($"iot/events/presence/{deviceId}", Window);
        await operatorClient.AssertNothingOnAsync(alerts, TimeSpan.Zero); // the window above kept what came on every topic
        return deviceId;
    }

    private async Task<(string Id, NodeProcess Process)> StartReplicaAsync(MosquittoBroker broker, string gatewayId, NodeFixture silo)
    {
        var process = await NodeProcess.StartGatewayAsync(
        [
            "--Orleans:Clustering=Redis", $"--Redis:ConnectionString={_redis}",
            $"--Orleans:ClusterId={_cluster}", $"--Orleans:ServiceId={_cluster}",
            $"--Gateway:Id={gatewayId}", "--Gateway:RenewSeconds=1",
            "--Logging:LogLevel:Default=Warning",
            .. ExternalNodeFixture.GatewayArguments(broker, gatewayId),
            // Mosquitto keeps handing a member of the shared group its share while its session lasts: a dead replica's must end soon.
            "--Mqtt:External:SessionExpirySeconds=1",
        ]);
        try
        {
            await WaitForGatewaysAsync(silo, g => g.Any(r => r.Id == gatewayId), $"replica {gatewayId} registered");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return (gatewayId, process);
    }

    private static async Task WaitForGatewaysAsync(NodeFixture silo, Func<ImmutableArray<GatewayRegistration>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var directory = silo.Grains.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(await directory.GetGateways()))
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }

    private sealed class SiloWithoutGateway(ExternalFleetEventsTests owner) : NodeFixture
    {
        protected override IEnumerable<string> ExtraArguments =>
        [
            "--Gateway:CoHosted=false",
            "--Orleans:Clustering=Redis", $"--Redis:ConnectionString={owner._redis}",
            $"--Orleans:ClusterId={owner._cluster}", $"--Orleans:ServiceId={owner._cluster}",
            $"--Gateway:ExpirySeconds={ExpirySeconds}", "--Gateway:DirectoryRefreshMilliseconds=200",
        ];
    }
}
