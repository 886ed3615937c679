using MQTTnet;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>What PostgreSQL cannot keep never reaches it: refused at the gateway with its code, acknowledged, nothing stored.</summary>
[Collection(DurableCollection.Name)]
public sealed class DurableInputRulesTests(DurableNodeFixture node)
{
    [Theory]
    [InlineData("""{"value":1,"unit":"a\u0000b"}""")]
    [InlineData("""{"value":1,"quality":"\u0000"}""")]
    [InlineData("""{"value":1,"unit":"\ud800"}""")]
    [InlineData("""{"value":1,"timestamp":253402300799}""")]
    [InlineData("""{"value":1,"timestamp":4102444800}""")]
    public async Task A_reading_postgres_could_not_keep_is_refused_acknowledged_and_not_stored(string payload)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", payload);

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, ack.ReasonCode);
        Assert.StartsWith("validation_failed", ack.ReasonString);
        Assert.True(device.IsConnected);
        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":2}""")).IsSuccess);
        Assert.Equal(1, node.CountReadings(deviceId));
    }
}
