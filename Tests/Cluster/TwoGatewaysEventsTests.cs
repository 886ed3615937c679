using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// An operator's event stream on the standalone gateway (A) with no MQTT operator there: the stream alone makes A
/// interested, so the silo sends A the events of a device on the other gateway (B), and A stops being sent them once
/// the stream closes.
/// </summary>
[Collection(TwoGatewaysCollection.Name)]
public sealed class TwoGatewaysEventsTests(TwoGatewaysFixture cluster)
{
    [Fact]
    public async Task A_stream_on_the_standalone_gateway_sees_a_device_come_online_on_the_other_one()
    {
        await using (var stream = await EventStreamClient.OpenAsync(cluster.GatewayA.HttpPort, NodeFixture.OperatorKey))
        {
            await cluster.WaitForGatewaysAsync(
                gateways => gateways.Any(g => g.Id == cluster.GatewayAId && g.Interest.HasFlag(FleetInterest.Events | FleetInterest.Alerts)),
                "gateway A's interest from its open stream");
            await Task.Delay(TimeSpan.FromMilliseconds(500)); // the silo reads the directory every 200 ms

            var (deviceId, token) = await NodeFixture.RegisterDeviceAsync(cluster.SiloB.MqttPort);
            await using var device = await TestMqttClient.ConnectAsync(cluster.SiloB.MqttPort, deviceId, token);
            var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":95}""");
            Assert.True(ack.IsSuccess, ack.ReasonString);

            Assert.Equal("online", (await stream.WaitForAsync(LiveEventKinds.Presence, deviceId)).Json.Text("status"));
            Assert.Equal("active", (await stream.WaitForAsync(LiveEventKinds.Alert, deviceId)).Json.Text("state"));
        }

        await cluster.WaitForGatewaysAsync(
            gateways => gateways.Any(g => g.Id == cluster.GatewayAId && g.Interest == FleetInterest.None),
            "gateway A's interest dropped with its last stream");
    }
}
