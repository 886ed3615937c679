using System.Text;
using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>A node whose devices fall offline after 2 s of silence, so that commands wait for them in tests.</summary>
public sealed class QuickPresenceNodeFixture : NodeFixture
{
    public const int OfflineAfterSeconds = 2;

    protected override IEnumerable<string> ExtraArguments => [$"--Presence:OfflineAfterSeconds={OfflineAfterSeconds}"];
}

/// <summary><see cref="QuickPresenceNodeFixture"/> with its gateway a client of Mosquitto.</summary>
public sealed class QuickPresenceExternalNodeFixture : ExternalNodeFixture
{
    protected override IEnumerable<string> ExtraArguments => [.. base.ExtraArguments, $"--Presence:OfflineAfterSeconds={QuickPresenceNodeFixture.OfflineAfterSeconds}"];
}

/// <summary>Commands end to end over MQTT: operator → device → result, with every state on the events topic, in either broker mode.</summary>
public abstract class CommandFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    [Fact]
    public async Task An_operator_command_reaches_the_device_and_every_state_is_announced_and_replied()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/commands/{deviceId}/+");
        await operatorClient.SubscribeAsync("ops/replies");

        var ack = await operatorClient.PublishAsync(
            $"iot/devices/control/{deviceId}/command",
            """{"command":"set_interval","parameters":{"seconds":30},"ttl_seconds":120}""",
            qos: 2,
            configure: b => b.WithResponseTopic("ops/replies").WithCorrelationData([7, 7]));

        Assert.True(ack.IsSuccess, ack.ReasonString);
        var reply = await operatorClient.WaitForAsync("ops/replies");
        Assert.Equal(new byte[] { 7, 7 }, reply.CorrelationData);
        var replied = Json(reply);
        var commandId = replied.GetProperty("command_id").GetString()!;
        Assert.Equal("sent", replied.GetProperty("status").GetString());

        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/{commandId}");
        Assert.Equal("set_interval", received.GetProperty("command").GetString());
        Assert.Equal(30, received.GetProperty("parameters").GetProperty("seconds").GetInt32());
        Assert.True(received.GetProperty("expires_at").GetDouble() > received.GetProperty("timestamp").GetDouble());

        var resultTopic = $"iot/devices/control/{deviceId}/command/{commandId}/result";
        await node.AcceptedAsync(device, resultTopic, """{"status":"delivered"}""");
        await node.AcceptedAsync(device, resultTopic, """{"status":"succeeded","result":{"applied":true}}""");

        var events = $"iot/events/commands/{deviceId}/{commandId}";
        Assert.Equal("sent", (await operatorClient.WaitForJsonAsync(events)).GetProperty("status").GetString());
        Assert.Equal("delivered", (await operatorClient.WaitForJsonAsync(events)).GetProperty("status").GetString());
        var succeeded = await operatorClient.WaitForJsonAsync(events);
        Assert.Equal("succeeded", succeeded.GetProperty("status").GetString());
        Assert.True(succeeded.GetProperty("result").GetProperty("applied").GetBoolean());
    }

    [Fact]
    public async Task An_operator_on_the_oldest_protocol_names_the_command_and_follows_it_on_the_events_topic()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectLegacyOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/commands/{deviceId}/+");

        await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"reboot-1"}""", qos: 2);

        var sent = await operatorClient.WaitForJsonAsync($"iot/events/commands/{deviceId}/reboot-1");
        Assert.Equal("sent", sent.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_command_for_an_offline_device_waits_until_it_is_next_heard_from()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await WaitForPresenceAsync(deviceId, "offline");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/commands/{deviceId}/+");

        Assert.True((await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"later"}""", qos: 2)).IsSuccess);
        Assert.Equal("queued", (await operatorClient.WaitForJsonAsync($"iot/events/commands/{deviceId}/later")).GetProperty("status").GetString());

        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/commands/later", TimeSpan.FromMilliseconds(300));
        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");

        Assert.Equal("reboot", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/later")).GetProperty("command").GetString());
        Assert.Equal("sent", (await operatorClient.WaitForJsonAsync($"iot/events/commands/{deviceId}/later")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_same_command_id_twice_reaches_the_device_once_and_is_answered_with_the_first_ones_state()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync("ops/replies/dup");
        const string command = """{"command":"reboot","command_id":"dup-1"}""";

        await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", command, qos: 2);
        await device.WaitForAsync($"iot/devices/{deviceId}/commands/dup-1");
        await device.PublishAsync($"iot/devices/control/{deviceId}/command/dup-1/result", """{"status":"delivered"}""");
        await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", command, qos: 2, configure: b => b.WithResponseTopic("ops/replies/dup"));

        Assert.Equal("delivered", (await operatorClient.WaitForJsonAsync("ops/replies/dup")).GetProperty("status").GetString());
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/commands/dup-1", TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_device_cannot_report_on_another_devices_command()
    {
        var (victimId, _) = await node.RegisterDeviceAsync();
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.PublishAsync($"iot/devices/control/{victimId}/command", """{"command":"reboot","command_id":"theirs"}""", qos: 2);
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var onTheirTopic = await node.RefusedAsync(device, $"iot/devices/control/{victimId}/command/theirs/result", """{"status":"succeeded"}""");
        var onOwnTopic = await node.RefusedAsync(device, $"iot/devices/control/{deviceId}/command/theirs/result", """{"status":"succeeded"}""");

        Assert.Equal("forbidden", onTheirTopic.Code);
        Assert.Equal("validation_failed", onOwnTopic.Code);
        Assert.Equal("sent", (await node.Grains.GetGrain<IDeviceGrain>(victimId).GetCommand("theirs"))!.State);
    }

    [Fact]
    public async Task A_result_for_an_expired_command_is_refused()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/commands/{deviceId}/+");
        await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"brief","ttl_seconds":1}""", qos: 2);
        Assert.Equal("sent", (await operatorClient.WaitForJsonAsync($"iot/events/commands/{deviceId}/brief")).GetProperty("status").GetString());
        Assert.Equal("expired", (await operatorClient.WaitForJsonAsync($"iot/events/commands/{deviceId}/brief")).GetProperty("status").GetString());
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var late = await node.RefusedAsync(device, $"iot/devices/control/{deviceId}/command/brief/result", """{"status":"succeeded"}""");

        Assert.Equal("validation_failed", late.Code);
        Assert.StartsWith("the command has already ended (expired)", late.Message);
    }

    [Theory]
    [InlineData("""{"parameters":{}}""", "'command' is required")]
    [InlineData("""{"command":"x","parameters":[1]}""", "'parameters' must be an object")]
    [InlineData("""{"command":"x","ttl_seconds":0}""", "'ttl_seconds' must be a whole number")]
    [InlineData("""{"command":"x","ttl_seconds":1.5}""", "'ttl_seconds' must be a whole number")]
    [InlineData("""{"command":"x","command_id":"has space"}""", "'command_id' must match")]
    public async Task A_malformed_command_is_refused_naming_the_field(string payload, string expected)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync("ops/replies/bad");

        // QoS 2: MQTTnet's client keeps PUBREC's reason code but not its reason string, so the message is read from the reply.
        var ack = await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", payload, qos: 2, configure: b => b.WithResponseTopic("ops/replies/bad"));

        node.AssertRefusedAck(ack, "validation_failed");
        var reply = await operatorClient.WaitForJsonAsync("ops/replies/bad");
        Assert.Equal("validation_failed", reply.GetProperty("code").GetString());
        Assert.StartsWith(expected, reply.GetProperty("message").GetString());
    }

    private async Task WaitForPresenceAsync(string deviceId, string presence)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(QuickPresenceNodeFixture.OfflineAfterSeconds + 5);
        while ((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Presence != presence)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the device became {presence}");
            await Task.Delay(100);
        }
    }

    private static System.Text.Json.JsonElement Json(MqttApplicationMessage message) =>
        System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(message.Payload)).RootElement;
}

public sealed class CommandFlowTests(QuickPresenceNodeFixture node) : CommandFlows(node), IClassFixture<QuickPresenceNodeFixture>
{
    // Embedded only: behind Mosquitto, who may publish on the command route is its ACL's to decide (ExternalBrokerTests).
    [Fact]
    public async Task Only_operators_may_send_commands()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");
        await using var anonymous = await Node.ConnectAsync();

        var byDevice = await device.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot"}""", qos: 2);
        var byAnonymous = await anonymous.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot"}""", qos: 2);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byDevice.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byAnonymous.ReasonCode);
        Assert.Equal("forbidden", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
        Assert.Equal("unauthorized", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/errors")).GetProperty("code").GetString());
        Assert.Empty(await Node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
    }
}

public sealed class ExternalCommandFlowTests(QuickPresenceExternalNodeFixture node) : CommandFlows(node), IClassFixture<QuickPresenceExternalNodeFixture>;
