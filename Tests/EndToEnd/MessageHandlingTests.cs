using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>What becomes of a device's messages, valid or not, in either broker mode.</summary>
public abstract class MessageHandlingFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    [Fact]
    public async Task Readings_are_stored_and_the_last_of_each_sensor_type_is_the_devices_latest()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", """{"value":21.5,"unit":"celsius","timestamp":1741593600}""");
        await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", """{"value":22.5,"unit":"celsius","timestamp":1741593660}""");
        await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/humidity", """{"value":40,"timestamp":1741593600}""");

        var history = node.Services.GetRequiredService<InMemorySensorHistory>();
        await Eventually.TrueAsync(() => history.Read(deviceId, "temperature").Count == 2 && history.Read(deviceId, "humidity").Count == 1, "every reading stored");
        Assert.Equal([21.5, 22.5], history.Read(deviceId, "temperature").Select(r => r.Value).Order());
        var latest = (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Latest;
        Assert.Equal((22.5, "celsius", 1741593660.0), (latest["temperature"].Value, latest["temperature"].Unit, latest["temperature"].Timestamp));
        Assert.Equal(40, latest["humidity"].Value);
    }

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
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");

        var refusal = await node.RefusedAsync(device, $"iot/devices/data/{deviceId}/temperature", payload);

        Assert.Equal(code, refusal.Code);
        node.AssertRefusalAck(refusal, reason);
        var error = await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal($"iot/devices/data/{deviceId}/temperature", error.GetProperty("topic").GetString());
        Assert.True(device.IsConnected);
    }

    [Fact]
    public async Task Invalid_identifiers_unknown_routes_and_large_payloads_are_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");

        var badSensor = await node.RefusedAsync(device, $"iot/devices/data/{deviceId}/temp$", """{"value":1}""");
        var unknown = await node.RefusedAsync(device, $"iot/devices/telemetry/{deviceId}", """{"value":1}""");
        var large = await node.RefusedAsync(device, $"iot/devices/data/{deviceId}/blob", new byte[NodeFixture.MaxPayloadBytes + 1]);

        Assert.Equal("validation_failed", badSensor.Code);
        node.AssertRefusalAck(badSensor, MqttClientPublishReasonCode.ImplementationSpecificError);
        Assert.Equal(node.UnroutedTopicCode, unknown.Code);
        Assert.Equal("payload_too_large", large.Code);
        Assert.Equal("validation_failed", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
        Assert.Equal("payload_too_large", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_response_topic_the_sender_may_not_read_is_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        var (victim, _) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var refusal = await node.RefusedAsync(
            device,
            $"iot/devices/heartbeat/{deviceId}",
            "{}",
            configure: b => b.WithResponseTopic($"iot/devices/{victim}/commands/fake"));

        Assert.Equal("forbidden", refusal.Code);
        node.AssertRefusalAck(refusal, MqttClientPublishReasonCode.NotAuthorized);
    }

    [Fact]
    public async Task Heartbeats_and_status_are_accepted_from_a_connected_device()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", """{"battery_level":85,"signal_strength":-67,"memory_usage":45.2,"cpu_usage":12.5}""");
        await node.AcceptedAsync(device, $"iot/devices/status/{deviceId}", """{"status":"maintenance","reason":"filter"}""");
        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", Array.Empty<byte>());
    }
}

[Collection(NodeCollection.Name)]
public sealed class MessageHandlingTests(NodeFixture node) : MessageHandlingFlows(node)
{
    // Embedded only: behind Mosquitto every message's session is anonymous (the broker hides who published), so a device
    // may name only its registration replies as a Response Topic (ExternalBroker, DESIGN §2 "Sessions and replies").
    [Fact]
    public async Task A_response_topic_gets_the_result_with_the_correlation_data()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);
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

    // Embedded only: how the broker takes garbage on any topic from any client is Mosquitto's part (its ACL) in the external mode.
    [Fact]
    public async Task After_a_garbage_burst_the_server_still_serves_every_client()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);
        await using var bystander = await Node.ConnectOperatorAsync();
        await bystander.SubscribeAsync("analytics/sensor_data/pressure");
        await using var attacker = await Node.ConnectAsync();
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
        var (_, freshToken) = await Node.RegisterDeviceAsync();
        Assert.False(string.IsNullOrEmpty(freshToken));
    }
}

[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalMessageHandlingTests(ExternalNodeFixture node) : MessageHandlingFlows(node);
