using System.Text;
using MQTTnet;
using Orleans.IoT.Silo.Adapters.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// DESIGN §2 "Input rules": a refusal for what a message is gets its code and its acknowledgement, and never echoes the
/// input, in either broker mode.
/// </summary>
public abstract class InputRulesFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    [Theory]
    [InlineData("""{"value":1,"unit":"\ud800"}""", "'unit'")]
    [InlineData("""{"value":1,"unit":"\udfff\ud800"}""", "'unit'")]
    [InlineData("""{"value":1,"quality":"a\u0000b"}""", "'quality'")]
    [InlineData("""{"value":1,"unit":"\u0085"}""", "'unit'")]
    [InlineData("""{"value":1,"note":{"deep":["\u0007"]}}""", "'note'")]
    [InlineData("""{"value":1,"\ud800":2}""", "a field name")]
    public async Task Text_that_is_not_clean_unicode_is_refused_naming_the_field_and_the_connection_stays(string payload, string field)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var refusal = await node.RefusedAsync(device, $"iot/devices/data/{deviceId}/temperature", payload);

        Assert.Equal("validation_failed", refusal.Code);
        node.AssertRefusalAck(refusal, MqttClientPublishReasonCode.ImplementationSpecificError);
        Assert.Contains(field, refusal.Message);
        AssertClean(refusal.Message);
        Assert.True(device.IsConnected);
        await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", """{"value":22}""");
        await Eventually.TrueAsync(() => History.Read(deviceId, "temperature").Count > 0, "the valid reading stored");
        Assert.Single(History.Read(deviceId, "temperature"));
    }

    [Fact]
    public async Task Invalid_utf8_inside_strings_is_not_json_and_raw_c1_controls_are_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var invalid = await node.RefusedAsync(device, $"iot/devices/status/{deviceId}", [.. "{\"status\":\"a"u8, 0xC3, 0x28, .. "\"}"u8]);
        var surrogate = await node.RefusedAsync(device, $"iot/devices/status/{deviceId}", [.. "{\"status\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8]);
        var inName = await node.RefusedAsync(device, $"iot/devices/status/{deviceId}", [.. "{\"status\":\"ok\",\""u8, 0xFF, .. "\":1}"u8]);
        var c1 = await node.RefusedAsync(device, $"iot/devices/status/{deviceId}", [.. "{\"status\":\"ok\",\"detail\":\""u8, 0xC2, 0x9B, .. "\"}"u8]);

        Assert.All([invalid, surrogate, inName], refusal =>
        {
            node.AssertRefusalAck(refusal, MqttClientPublishReasonCode.PayloadFormatInvalid);
            Assert.Equal(("invalid_json", "payload is not valid UTF-8"), (refusal.Code, refusal.Message));
        });
        node.AssertRefusalAck(c1, MqttClientPublishReasonCode.ImplementationSpecificError);
        Assert.Equal("validation_failed", c1.Code);
        Assert.StartsWith("'detail'", c1.Message);
        Assert.Null((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Status);
    }

    [Theory]
    [InlineData(253402300799)] // 9999-12-31
    [InlineData(946684799)] // just before 2000-01-01
    [InlineData(-1)]
    public async Task A_timestamp_outside_the_window_is_refused(double timestamp)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var refusal = await node.RefusedAsync(device, $"iot/devices/data/{deviceId}/temperature", $$"""{"value":1,"timestamp":{{timestamp}}}""");

        node.AssertRefusalAck(refusal, MqttClientPublishReasonCode.ImplementationSpecificError);
        Assert.Equal("validation_failed", refusal.Code);
        Assert.StartsWith("'timestamp'", refusal.Message);
        Assert.Empty(History.Read(deviceId, "temperature"));
    }

    [Fact]
    public async Task A_timestamp_more_than_the_allowed_skew_ahead_is_refused_and_one_within_it_stored()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var ahead = await node.RefusedAsync(device, $"iot/devices/data/{deviceId}/temperature", $$"""{"value":1,"timestamp":{{now + 86_400 + 60}}}""");
        await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/temperature", $$"""{"value":2,"timestamp":{{now + 86_400 - 60}}}""");

        Assert.Equal("validation_failed", ahead.Code);
        Assert.StartsWith("'timestamp'", ahead.Message);
        await Eventually.TrueAsync(() => History.Read(deviceId, "temperature").Count > 0, "the reading within the skew stored");
    }

    private InMemorySensorHistory History => node.Services.GetRequiredService<InMemorySensorHistory>();

    protected static void AssertClean(string? reason)
    {
        Assert.NotNull(reason);
        Assert.DoesNotContain(reason, char.IsControl);
        Assert.True(Encoding.UTF8.GetByteCount(reason) < 1024);
    }
}

[Collection(NodeCollection.Name)]
public sealed class InputRulesTests(NodeFixture node) : InputRulesFlows(node)
{
    // Embedded only: a topic name holding U+0000 is malformed MQTT, which Mosquitto answers by closing the connection.
    [Fact]
    public async Task Reason_strings_and_error_messages_never_echo_the_input()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");

        var badJson = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", "{\"value\":MARKER\u0000}");
        var badTopic = await device.PublishAsync($"iot/devices/data/{deviceId}/MARKER\u0000x", """{"value":1}""");
        var unknownRoute = await device.PublishAsync($"iot/devices/MARKER\u0000/{deviceId}", "{}");

        foreach (var ack in new[] { badJson, badTopic, unknownRoute })
        {
            Assert.False(ack.IsSuccess);
            AssertClean(ack.ReasonString);
            Assert.DoesNotContain("MARKER", ack.ReasonString);
        }

        Assert.StartsWith("invalid_json", badJson.ReasonString);
        Assert.StartsWith("validation_failed", badTopic.ReasonString);
        var error = await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors");
        Assert.DoesNotContain("MARKER", error.GetProperty("message").GetString());
        Assert.True(device.IsConnected);
    }
}

[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalInputRulesTests(ExternalNodeFixture node) : InputRulesFlows(node);
