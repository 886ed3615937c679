using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Firmware updates end to end over MQTT: operator → device → progress → updated, with every state on the events topic, in either broker mode.</summary>
public abstract class FirmwareFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    internal const string Hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Fact]
    public async Task An_operators_update_reaches_the_device_and_its_progress_ends_in_the_new_firmware_version()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/firmware/update/+");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/firmware/{deviceId}/+");
        await operatorClient.SubscribeAsync("ops/replies/fw");
        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");

        var ack = await operatorClient.PublishAsync(
            $"iot/devices/firmware/{deviceId}/update",
            $$"""{"version":"2.0.0","url":"https://fw.example/2.0.0.bin","checksum":"{{Hex.ToUpperInvariant()}}"}""",
            qos: 2,
            configure: b => b.WithResponseTopic("ops/replies/fw").WithCorrelationData([4, 2]));

        Assert.True(ack.IsSuccess, ack.ReasonString);
        var reply = await operatorClient.WaitForAsync("ops/replies/fw");
        Assert.Equal(new byte[] { 4, 2 }, reply.CorrelationData);
        var replied = System.Text.Json.JsonDocument.Parse(reply.ConvertPayloadToString()).RootElement;
        var updateId = replied.GetProperty("update_id").GetString()!;
        Assert.Equal("sent", replied.GetProperty("status").GetString());

        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/firmware/update/{updateId}");
        Assert.Equal(updateId, received.GetProperty("update_id").GetString());
        Assert.Equal("2.0.0", received.GetProperty("version").GetString());
        Assert.Equal("https://fw.example/2.0.0.bin", received.GetProperty("url").GetString());
        Assert.Equal($"sha256:{Hex}", received.GetProperty("checksum").GetString());
        Assert.True(received.GetProperty("timestamp").GetDouble() > 0);

        var progressTopic = $"iot/devices/firmware/{deviceId}/update/{updateId}/progress";
        string[] states = ["downloading", "downloaded", "verified", "updating", "updated"];
        foreach (var state in states)
        {
            await node.AcceptedAsync(device, progressTopic, $$"""{"state":"{{state}}","progress":50}""");
        }

        var events = $"iot/events/firmware/{deviceId}/{updateId}";
        string[] announcedStates = ["sent", .. states];
        foreach (var state in announcedStates)
        {
            var announced = await operatorClient.WaitForJsonAsync(events);
            Assert.Equal(state, announced.GetProperty("status").GetString());
            Assert.Equal("2.0.0", announced.GetProperty("version").GetString());
        }

        Assert.Equal("2.0.0", (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).FirmwareVersion);
    }

    [Fact]
    public async Task An_operator_on_the_oldest_protocol_names_the_update_and_follows_it_on_the_events_topic()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await using var operatorClient = await node.ConnectLegacyOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/firmware/{deviceId}/+");
        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");

        await operatorClient.PublishAsync(
            $"iot/devices/firmware/{deviceId}/update", $$"""{"version":"3.1","url":"http://fw.example/3.1.bin","checksum":"{{Hex}}","update_id":"fw-3.1"}""", qos: 2);

        var sent = await operatorClient.WaitForJsonAsync($"iot/events/firmware/{deviceId}/fw-3.1");
        Assert.Equal("sent", sent.GetProperty("status").GetString());
        await node.AcceptedAsync(device, $"iot/devices/firmware/{deviceId}/update/fw-3.1/progress", """{"state":"failed","error":"battery low"}""");
        var failed = await operatorClient.WaitForJsonAsync($"iot/events/firmware/{deviceId}/fw-3.1");
        Assert.Equal(("failed", "battery low"), (failed.GetProperty("status").GetString(), failed.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_second_update_while_one_is_in_flight_is_refused_with_the_reason()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync("ops/replies/second");
        var update = $$"""{"version":"2","url":"https://fw.example/2.bin","checksum":"{{Hex}}"}""";

        Assert.True((await operatorClient.PublishAsync($"iot/devices/firmware/{deviceId}/update", update, qos: 2)).IsSuccess);
        var second = await operatorClient.PublishAsync($"iot/devices/firmware/{deviceId}/update", update, qos: 2, configure: b => b.WithResponseTopic("ops/replies/second"));

        node.AssertRefusedAck(second, "validation_failed");
        var reply = await operatorClient.WaitForJsonAsync("ops/replies/second");
        Assert.Equal("validation_failed", reply.GetProperty("code").GetString());
        Assert.StartsWith("the device already has a firmware update in flight", reply.GetProperty("message").GetString());
        Assert.Single(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetFirmwareUpdates());
    }

    [Theory]
    [InlineData("""{"url":"https://fw.example/a.bin","checksum":"HEX"}""", "'version' is required")]
    [InlineData("""{"version":"2","url":"ftp://fw.example/a.bin","checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":"not a url","checksum":"HEX"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"2","url":"https://fw.example/a.bin","checksum":"sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"}""", "'checksum' must be sha256:<64 hex digits> or 64 hex digits")]
    [InlineData("""{"version":"2","url":"https://fw.example/a.bin"}""", "'checksum' is required")]
    public async Task A_malformed_update_is_refused_naming_the_field(string payload, string expected)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync("ops/replies/bad");

        // QoS 2: MQTTnet's client keeps PUBREC's reason code but not its reason string, so the message is read from the reply.
        var ack = await operatorClient.PublishAsync(
            $"iot/devices/firmware/{deviceId}/update", payload.Replace("HEX", Hex), qos: 2, configure: b => b.WithResponseTopic("ops/replies/bad"));

        node.AssertRefusedAck(ack, "validation_failed");
        var reply = await operatorClient.WaitForJsonAsync("ops/replies/bad");
        Assert.Equal("validation_failed", reply.GetProperty("code").GetString());
        Assert.StartsWith(expected, reply.GetProperty("message").GetString());
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetFirmwareUpdates());
    }

    [Fact]
    public async Task A_device_cannot_report_progress_on_another_devices_update()
    {
        var (victimId, _) = await node.RegisterDeviceAsync();
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.PublishAsync(
            $"iot/devices/firmware/{victimId}/update", $$"""{"version":"2","url":"https://fw.example/2.bin","checksum":"{{Hex}}","update_id":"theirs"}""", qos: 2);
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var onTheirTopic = await node.RefusedAsync(device, $"iot/devices/firmware/{victimId}/update/theirs/progress", """{"state":"updated"}""");
        var onOwnTopic = await node.RefusedAsync(device, $"iot/devices/firmware/{deviceId}/update/theirs/progress", """{"state":"updated"}""");

        Assert.Equal("forbidden", onTheirTopic.Code);
        Assert.Equal("validation_failed", onOwnTopic.Code);
        Assert.StartsWith("the device has no such firmware update", onOwnTopic.Message);
        var theirs = await node.Grains.GetGrain<IDeviceGrain>(victimId).GetFirmwareUpdate("theirs");
        Assert.NotEqual("updated", theirs!.State);
        Assert.Null((await node.Grains.GetGrain<IDeviceGrain>(victimId).GetSnapshot()).FirmwareVersion);
    }
}

public sealed class FirmwareFlowTests(QuickPresenceNodeFixture node) : FirmwareFlows(node), IClassFixture<QuickPresenceNodeFixture>
{
    // Embedded only: behind Mosquitto, who may publish on the update route is its ACL's to decide (ExternalBrokerTests).
    [Fact]
    public async Task Only_operators_may_start_updates()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");
        await using var anonymous = await Node.ConnectAsync();
        var update = $$"""{"version":"2","url":"https://fw.example/2.bin","checksum":"{{Hex}}"}""";

        var byDevice = await device.PublishAsync($"iot/devices/firmware/{deviceId}/update", update, qos: 2);
        var byAnonymous = await anonymous.PublishAsync($"iot/devices/firmware/{deviceId}/update", update, qos: 2);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byDevice.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byAnonymous.ReasonCode);
        Assert.Equal("forbidden", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
        Assert.Equal("unauthorized", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
        Assert.Empty(await Node.Grains.GetGrain<IDeviceGrain>(deviceId).GetFirmwareUpdates());
    }
}

public sealed class ExternalFirmwareFlowTests(QuickPresenceExternalNodeFixture node) : FirmwareFlows(node), IClassFixture<QuickPresenceExternalNodeFixture>;

/// <summary>A node whose firmware updates expire after 2 s without progress.</summary>
public sealed class QuickFirmwareTimeoutNodeFixture : NodeFixture
{
    public const int TimeoutSeconds = 2;

    protected override IEnumerable<string> ExtraArguments => [$"--Firmware:TimeoutSeconds={TimeoutSeconds}"];
}

/// <summary><see cref="QuickFirmwareTimeoutNodeFixture"/> with its gateway a client of Mosquitto.</summary>
public sealed class QuickFirmwareTimeoutExternalNodeFixture : ExternalNodeFixture
{
    protected override IEnumerable<string> ExtraArguments => [.. base.ExtraArguments, $"--Firmware:TimeoutSeconds={QuickFirmwareTimeoutNodeFixture.TimeoutSeconds}"];
}

/// <summary>A firmware update the device stops reporting on expires, announced to operators, in either broker mode.</summary>
public abstract class FirmwareTimeoutFlows(NodeFixture node)
{
    [Fact]
    public async Task An_update_without_progress_for_the_timeout_expires_and_later_progress_is_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/firmware/update/+");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/firmware/{deviceId}/+");
        var events = $"iot/events/firmware/{deviceId}/stalls";

        await operatorClient.PublishAsync(
            $"iot/devices/firmware/{deviceId}/update", $$"""{"version":"4","url":"https://fw.example/4.bin","checksum":"{{FirmwareFlows.Hex}}","update_id":"stalls"}""", qos: 2);
        await device.WaitForAsync($"iot/devices/{deviceId}/firmware/update/stalls");
        await node.AcceptedAsync(device, $"iot/devices/firmware/{deviceId}/update/stalls/progress", """{"state":"downloading","progress":10}""");

        Assert.Equal("sent", (await operatorClient.WaitForJsonAsync(events)).GetProperty("status").GetString());
        Assert.Equal("downloading", (await operatorClient.WaitForJsonAsync(events)).GetProperty("status").GetString());
        var expired = await operatorClient.WaitForJsonAsync(events, TimeSpan.FromSeconds(QuickFirmwareTimeoutNodeFixture.TimeoutSeconds + 5));
        Assert.Equal("expired", expired.GetProperty("status").GetString());
        Assert.Contains("Firmware:TimeoutSeconds", expired.GetProperty("error").GetString());

        var late = await node.RefusedAsync(device, $"iot/devices/firmware/{deviceId}/update/stalls/progress", """{"state":"updated"}""");
        Assert.Equal("validation_failed", late.Code);
        Assert.Null((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).FirmwareVersion);
    }
}

public sealed class FirmwareTimeoutFlowTests(QuickFirmwareTimeoutNodeFixture node) : FirmwareTimeoutFlows(node), IClassFixture<QuickFirmwareTimeoutNodeFixture>;

public sealed class ExternalFirmwareTimeoutFlowTests(QuickFirmwareTimeoutExternalNodeFixture node) : FirmwareTimeoutFlows(node), IClassFixture<QuickFirmwareTimeoutExternalNodeFixture>;
