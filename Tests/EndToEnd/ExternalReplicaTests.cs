using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Gateway replicas of one shared group behind one Mosquitto split the devices' messages between them.</summary>
public sealed class ExternalReplicaTests
{
    [Fact]
    public async Task Two_replicas_in_one_shared_group_each_handle_some_messages_and_none_twice_and_one_that_stops_leaves_the_group()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        // Two separate clusters (in-memory profile), so that each replica's history shows what that replica handled.
        await using var first = await ExternalGatewayNode.StartAsync(broker, "replica-a", []);
        await using var second = await ExternalGatewayNode.StartAsync(broker, "replica-b", []);
        var deviceId = $"dev-{Guid.NewGuid():N}";
        foreach (var replica in new[] { first, second })
        {
            var registered = await replica.Grains.GetGrain<IDeviceGrain>(deviceId).Register(new RegisterRequest("n", "t", null, null, null, []), Caller.Provisioning);
            Assert.True(registered.Result.IsOk, registered.Result.Message);
        }

        await using var device = await ExternalNodeFixture.ConnectNewDeviceAsync(broker, deviceId);
        const int Readings = 40;
        await PublishReadingsAsync(device, deviceId, 0, Readings);

        IReadOnlyList<SensorReading> Handled(ExternalGatewayNode replica) =>
            replica.Services.GetRequiredService<InMemorySensorHistory>().Read(deviceId, "temperature");
        await Eventually.TrueAsync(() => Handled(first).Count + Handled(second).Count >= Readings, "every reading handled by one replica or the other");
        await Task.Delay(500);

        var byFirst = Handled(first).Select(r => r.Value).ToHashSet();
        var bySecond = Handled(second).Select(r => r.Value).ToHashSet();
        Assert.NotEmpty(byFirst);
        Assert.NotEmpty(bySecond);
        Assert.Empty(byFirst.Intersect(bySecond));
        Assert.Equal(Readings, byFirst.Count + bySecond.Count);

        // A replica that stops leaves the group: Mosquitto would otherwise keep its share waiting in its session.
        await second.StopAsync();
        await PublishReadingsAsync(device, deviceId, Readings, 10);
        await Eventually.TrueAsync(() => Handled(first).Count == byFirst.Count + 10, "the remaining replica handles every later reading");
    }

    private static async Task PublishReadingsAsync(TestMqttClient device, string deviceId, int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            // The operator key is valid in both clusters, where the device's tokens differ.
            var ack = await device.PublishAsync(
                $"iot/devices/data/{deviceId}/temperature",
                $$"""{"value":{{i}},"timestamp":{{1_700_000_000 + i}}}""",
                configure: b => b.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(NodeFixture.OperatorKey)));
            Assert.True(ack.IsSuccess);
        }
    }
}
