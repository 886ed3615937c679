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

    [Fact]
    public async Task A_device_page_on_the_standalone_gateway_gets_that_devices_readings_from_the_other_gateway_and_no_others()
    {
        var (deviceId, token) = await NodeFixture.RegisterDeviceAsync(cluster.SiloB.MqttPort);
        var (otherId, otherToken) = await NodeFixture.RegisterDeviceAsync(cluster.SiloB.MqttPort);
        await using (var page = await EventStreamClient.OpenAsync(cluster.GatewayA.HttpPort, NodeFixture.OperatorKey, $"/api/v1/events?device_id={deviceId}"))
        {
            await cluster.WaitForGatewaysAsync(
                gateways => gateways.Any(g => g.Id == cluster.GatewayAId && g.WatchedDevices is [var watched] && watched == deviceId
                    && !g.Interest.HasFlag(FleetInterest.Analytics)),
                "gateway A watching the device, not every reading");
            await Task.Delay(TimeSpan.FromMilliseconds(500)); // the silo reads the directory every 200 ms

            await using var device = await TestMqttClient.ConnectAsync(cluster.SiloB.MqttPort, deviceId, token);
            await using var other = await TestMqttClient.ConnectAsync(cluster.SiloB.MqttPort, otherId, otherToken);
            Assert.True((await other.PublishAsync($"iot/devices/data/{otherId}/humidity", """{"value":41}""")).IsSuccess);
            Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/humidity", """{"value":42}""")).IsSuccess);

            Assert.Equal(42.0, (await page.WaitForAsync(LiveEventKinds.Reading, deviceId)).Json.GetProperty("value").GetDouble());
            Assert.DoesNotContain(page.Received(), e => e.Event == LiveEventKinds.Reading && e.Json.Text("device_id") == otherId);
        }

        await cluster.WaitForGatewaysAsync(
            gateways => gateways.Any(g => g.Id == cluster.GatewayAId && (g.WatchedDevices?.Count ?? 0) == 0),
            "gateway A's watched device dropped with its stream");
    }
}
