using System.Text;
using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

[Collection(NodeCollection.Name)]
public sealed class MessageHandlingTests(NodeFixture node)
{
    [Theory]
    [InlineData("not json at all", "invalid_json", MqttClientPublishReasonCode.PayloadFormatInvalid)]
    [InlineData("[1,2,3]", "invalid_json", MqttClientPublishReasonCode.PayloadFormatInvalid)]
    [InlineData("{\"value\":", "invalid_json", MqttClientPublishReasonCode.PayloadFormatInvalid)]
    [InlineData("{\"value\":\"hot\"}", "validation_failed", MqttClientPublishReasonCode.ImplementationSpecificError)]
    [InlineData("{\"unit\":\"celsius\"}", "validation_failed", MqttClientPublishReasonCode.ImplementationSpecificError)]
    [InlineData("{\"value\":1e400}", "validation_failed", MqttClientPublishReasonCode.ImplementationSpecificError)]
    public async Task Invalid_sensor_payloads_are_refused_with_their_code(string payload, string code, MqttClientPublishReasonCode reason)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", payload);

        Assert.Equal(reason, ack.ReasonCode);
        Assert.StartsWith(code, ack.ReasonString);
        var error = await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal($"iot/devices/data/{deviceId}/temperature", error.GetProperty("topic").GetString());
        Assert.True(device.IsConnected);
    }

    [Fact]
    public async Task Invalid_identifiers_unknown_routes_and_large_payloads_are_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");

        var badSensor = await device.PublishAsync($"iot/devices/data/{deviceId}/temp$", """{"value":1}""");
        var unknown = await device.PublishAsync($"iot/devices/telemetry/{deviceId}", """{"value":1}""");
        var large = await device.PublishAsync($"iot/devices/data/{deviceId}/blob", new byte[NodeFixture.MaxPayloadBytes + 1]);

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, badSensor.ReasonCode);
        Assert.StartsWith("validation_failed", badSensor.ReasonString);
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, unknown.ReasonCode);
        Assert.StartsWith("unknown_route", unknown.ReasonString);
        Assert.StartsWith("payload_too_large", large.ReasonString);
        Assert.Equal("validation_failed", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
        Assert.Equal("payload_too_large", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_response_topic_gets_the_result_with_the_correlation_data()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var replies = $"iot/devices/{deviceId}/replies";
        await device.SubscribeAsync(replies);
        var correlation = Encoding.UTF8.GetBytes("request-7");

        await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":20}""", configure: b => b.WithResponseTopic(replies).WithCorrelationData(correlation));
        var accepted = await device.WaitForAsync(replies);
        await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":"x"}""", configure: b => b.WithResponseTopic(replies).WithCorrelationData(correlation));
        var refused = await device.WaitForAsync(replies);

        Assert.Equal(correlation, accepted.CorrelationData);
        Assert.Contains("\"status\":\"data_received\"", accepted.ConvertPayloadToString());
        Assert.Equal(correlation, refused.CorrelationData);
        Assert.Contains("\"code\":\"validation_failed\"", refused.ConvertPayloadToString());
    }

    [Fact]
    public async Task A_response_topic_the_sender_may_not_read_is_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        var (victim, _) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var ack = await device.PublishAsync(
            $"iot/devices/heartbeat/{deviceId}",
            "{}",
            configure: b => b.WithResponseTopic($"iot/devices/{victim}/commands/fake"));

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
        Assert.StartsWith("forbidden", ack.ReasonString);
    }

    [Fact]
    public async Task Heartbeats_and_status_are_accepted_from_a_connected_device()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var heartbeat = await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", """{"battery_level":85,"signal_strength":-67,"memory_usage":45.2,"cpu_usage":12.5}""");
        var status = await device.PublishAsync($"iot/devices/status/{deviceId}", """{"status":"maintenance","reason":"filter"}""");
        var emptyHeartbeat = await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", Array.Empty<byte>());

        Assert.True(heartbeat.IsSuccess, heartbeat.ReasonString);
        Assert.True(status.IsSuccess, status.ReasonString);
        Assert.True(emptyHeartbeat.IsSuccess, emptyHeartbeat.ReasonString);
    }

    [Fact]
    public async Task After_a_garbage_burst_the_server_still_serves_every_client()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await using var bystander = await node.ConnectOperatorAsync();
        await bystander.SubscribeAsync("analytics/sensor_data/pressure");
        await using var attacker = await node.ConnectAsync();
        var random = new Random(2026);
        string[] topics =
        [
            "iot/devices/register/", "iot/devices/data/x", "iot/devices/data/dev/tmp/extra", "iot/devices/heartbeat/-x",
            "iot/devices/register/register", $"iot/devices/data/{deviceId}/temperature", $"iot/devices/unregister/{deviceId}",
            "iot/devices/control/dev/command", "analytics/sensor_data/temperature", "iot/events/presence/x", "$SYS/x", "junk",
        ];

        var refused = 0;
        for (var i = 0; i < 200; i++)
        {
            var payload = new byte[random.Next(0, 600)];
            random.NextBytes(payload);
            if (i % 3 == 0)
            {
                payload = Encoding.UTF8.GetBytes(i % 2 == 0 ? "{\"value\":" : "{\"name\":[],\"value\":{}}");
            }

            var ack = await attacker.PublishAsync(topics[i % topics.Length], payload, qos: i % 4 == 0 ? 0 : 1);
            if (i % 4 != 0 && !ack.IsSuccess)
            {
                refused++;
            }
        }

        Assert.Equal(150, refused);
        Assert.True(attacker.IsConnected, "refused messages never close the sender's connection");
        Assert.True(device.IsConnected);
        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/pressure", """{"value":1013}""")).IsSuccess);
        var reading = await bystander.WaitForJsonAsync("analytics/sensor_data/pressure");
        Assert.Equal(deviceId, reading.GetProperty("device_id").GetString());
        var (_, freshToken) = await node.RegisterDeviceAsync();
        Assert.False(string.IsNullOrEmpty(freshToken));
    }
}
