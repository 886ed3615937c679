using System.Text;
using MQTTnet;
using Orleans.IoT.Silo.Adapters.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>DESIGN §2 "Input rules": a refusal for what a message is gets its code and its acknowledgement, and never echoes the input.</summary>
[Collection(NodeCollection.Name)]
public sealed class InputRulesTests(NodeFixture node)
{
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
        await using var device = await node.ConnectAsync(deviceId, token);

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", payload);

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, ack.ReasonCode);
        Assert.StartsWith("validation_failed", ack.ReasonString);
        Assert.Contains(field, ack.ReasonString);
        AssertClean(ack.ReasonString);
        Assert.True(device.IsConnected);
        var next = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":22}""");
        Assert.True(next.IsSuccess, next.ReasonString);
        Assert.Single(History.Read(deviceId, "temperature"));
    }

    [Fact]
    public async Task Invalid_utf8_inside_strings_is_not_json_and_raw_c1_controls_are_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var invalid = await device.PublishAsync($"iot/devices/status/{deviceId}", [.. "{\"status\":\"a"u8, 0xC3, 0x28, .. "\"}"u8]);
        var surrogate = await device.PublishAsync($"iot/devices/status/{deviceId}", [.. "{\"status\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8]);
        var inName = await device.PublishAsync($"iot/devices/status/{deviceId}", [.. "{\"status\":\"ok\",\""u8, 0xFF, .. "\":1}"u8]);
        var c1 = await device.PublishAsync($"iot/devices/status/{deviceId}", [.. "{\"status\":\"ok\",\"detail\":\""u8, 0xC2, 0x9B, .. "\"}"u8]);

        Assert.All([invalid, surrogate, inName], ack =>
        {
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, ack.ReasonCode);
            Assert.Equal("invalid_json: payload is not valid UTF-8", ack.ReasonString);
        });
        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, c1.ReasonCode);
        Assert.StartsWith("validation_failed: 'detail'", c1.ReasonString);
        Assert.Null((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Status);
    }

    [Theory]
    [InlineData(253402300799)] // 9999-12-31
    [InlineData(946684799)] // just before 2000-01-01
    [InlineData(-1)]
    public async Task A_timestamp_outside_the_window_is_refused(double timestamp)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":1,"timestamp":{{timestamp}}}""");

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, ack.ReasonCode);
        Assert.StartsWith("validation_failed: 'timestamp'", ack.ReasonString);
        Assert.Empty(History.Read(deviceId, "temperature"));
    }

    [Fact]
    public async Task A_timestamp_more_than_the_allowed_skew_ahead_is_refused_and_one_within_it_stored()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var ahead = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":1,"timestamp":{{now + 86_400 + 60}}}""");
        var within = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":2,"timestamp":{{now + 86_400 - 60}}}""");

        Assert.StartsWith("validation_failed: 'timestamp'", ahead.ReasonString);
        Assert.True(within.IsSuccess, within.ReasonString);
    }

    [Fact]
    public async Task Reason_strings_and_error_messages_never_echo_the_input()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
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

    private InMemorySensorHistory History => node.Services.GetRequiredService<InMemorySensorHistory>();

    private static void AssertClean(string? reason)
    {
        Assert.NotNull(reason);
        Assert.DoesNotContain(reason, char.IsControl);
        Assert.True(Encoding.UTF8.GetByteCount(reason) < 1024);
    }
}
