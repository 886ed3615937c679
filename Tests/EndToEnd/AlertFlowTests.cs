using MQTTnet;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Alerts end to end over MQTT, with the default rule (temperature above 80 is high), in either broker mode.</summary>
public abstract class AlertFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    [Fact]
    public async Task An_operator_on_the_alerts_topics_sees_one_active_then_one_cleared_for_a_temperature_excursion()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await operatorClient.SubscribeAsync("iot/alerts/#"));
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        foreach (var value in new[] { 72, 85, 90, 95, 70, 65 })
        {
            await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", $$"""{"value":{{value}},"unit":"celsius"}""");
        }

        var topic = $"iot/alerts/high/{deviceId}";
        var active = await operatorClient.WaitForJsonAsync(topic);
        var cleared = await operatorClient.WaitForJsonAsync(topic);
        await operatorClient.AssertNothingOnAsync(topic, TimeSpan.FromMilliseconds(500));

        Assert.Equal(
            ("active", "temperature>80", "temperature", 85.0, 80.0, "high", deviceId),
            (active.GetProperty("state").GetString(), active.GetProperty("rule").GetString(), active.GetProperty("sensor_type").GetString(),
             active.GetProperty("value").GetDouble(), active.GetProperty("threshold").GetDouble(), active.GetProperty("severity").GetString(),
             active.GetProperty("device_id").GetString()));
        Assert.Equal(("cleared", 70.0), (cleared.GetProperty("state").GetString(), cleared.GetProperty("value").GetDouble()));
        Assert.Equal(active.GetProperty("alert_id").GetString(), cleared.GetProperty("alert_id").GetString());
        Assert.True(cleared.GetProperty("timestamp").GetDouble() >= active.GetProperty("timestamp").GetDouble());
        var stored = Assert.Single(await node.Services.GetRequiredService<IAlertReader>().ReadDeviceHistoryAsync(deviceId, 10, CancellationToken.None));
        Assert.Equal(AlertStates.Cleared, stored.State);
    }
}

[Collection(NodeCollection.Name)]
public sealed class AlertFlowTests(NodeFixture node) : AlertFlows(node)
{
    // Embedded only: behind Mosquitto, what a device may read is its ACL's to decide (ExternalBrokerTests).
    [Fact]
    public async Task A_device_may_not_subscribe_to_alerts()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await device.SubscribeAsync("iot/alerts/#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await device.SubscribeAsync($"iot/alerts/high/{deviceId}"));
    }
}

[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalAlertFlowTests(ExternalNodeFixture node) : AlertFlows(node);
