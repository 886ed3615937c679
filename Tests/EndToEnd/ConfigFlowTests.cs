using System.Text.Json;
using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The configuration twin end to end over MQTT: operator → device → its answer, with every state announced, in either broker mode.</summary>
public abstract class ConfigFlows(NodeFixture node)
{
    [Fact]
    public async Task A_configuration_update_reaches_the_device_and_its_answer_updates_the_twin()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/config/+");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/config/{deviceId}/+");
        await operatorClient.SubscribeAsync("ops/replies/config");

        var ack = await operatorClient.PublishAsync(
            $"iot/devices/control/{deviceId}/config",
            """{"config":{"interval":30,"mode":"eco"}}""",
            qos: 2,
            configure: b => b.WithResponseTopic("ops/replies/config").WithCorrelationData([1]));

        Assert.True(ack.IsSuccess);
        var reply = await operatorClient.WaitForJsonAsync("ops/replies/config");
        var configId = reply.GetProperty("config_id").GetString()!;
        Assert.Equal(("sent", 1), (reply.GetProperty("status").GetString(), reply.GetProperty("version").GetInt32()));
        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/config/{configId}");
        Assert.Equal(30, received.GetProperty("updates").GetProperty("interval").GetInt32());
        Assert.Equal(1, received.GetProperty("version").GetInt32());

        await node.AcceptedAsync(
            device, $"iot/devices/control/{deviceId}/config/{configId}/result", """{"status":"applied","reported":{"interval":30,"mode":"eco"}}""");

        Assert.Equal("sent", (await operatorClient.WaitForJsonAsync($"iot/events/config/{deviceId}/{configId}")).GetProperty("status").GetString());
        Assert.Equal("applied", (await operatorClient.WaitForJsonAsync($"iot/events/config/{deviceId}/{configId}")).GetProperty("status").GetString());
        var twin = await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetConfig();
        Assert.Equal((1, 1), (twin.DesiredVersion, twin.ReportedVersion));
        Assert.Equal("{}", twin.DeltaJson);
    }

    [Fact]
    public async Task A_device_that_was_offline_gets_the_current_configuration_not_every_update()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await WaitForOfflineAsync(deviceId);
        await using var operatorClient = await node.ConnectLegacyOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/config/{deviceId}/+");
        await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/config", """{"config":{"interval":30},"config_id":"first"}""", qos: 2);
        await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/config", """{"config":{"mode":"eco"},"config_id":"second"}""", qos: 2);
        Assert.Equal("pending", (await operatorClient.WaitForJsonAsync($"iot/events/config/{deviceId}/second")).GetProperty("status").GetString());

        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/config/+");
        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");

        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/config/second");
        Assert.Equal(2, received.GetProperty("version").GetInt32());
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse("""{"interval":30,"mode":"eco"}""").RootElement, received.GetProperty("updates")));
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/config/first", TimeSpan.FromMilliseconds(300));
    }

    [Theory]
    [InlineData("""{"config":{}}""", "'config' must be a non-empty object")]
    [InlineData("""{"config":[1]}""", "'config' must be an object")]
    [InlineData("""{}""", "'config' must be a non-empty object")]
    public async Task A_malformed_update_is_refused_naming_the_field(string payload, string expected)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync("ops/replies/bad-config");

        var ack = await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/config", payload, qos: 2, configure: b => b.WithResponseTopic("ops/replies/bad-config"));

        node.AssertRefusedAck(ack, "validation_failed");
        Assert.StartsWith(expected, (await operatorClient.WaitForJsonAsync("ops/replies/bad-config")).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_device_answers_only_for_its_own_configuration()
    {
        var (victimId, _) = await node.RegisterDeviceAsync();
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.PublishAsync($"iot/devices/control/{victimId}/config", """{"config":{"interval":30},"config_id":"theirs"}""", qos: 2);
        await using var device = await node.ConnectDeviceAsync(deviceId, token);

        var onTheirTopic = await node.RefusedAsync(device, $"iot/devices/control/{victimId}/config/theirs/result", """{"status":"applied"}""");
        var byDeviceAsOperator = await device.PublishAsync($"iot/devices/control/{deviceId}/config", """{"config":{"interval":1}}""", qos: 2);

        Assert.Equal("forbidden", onTheirTopic.Code);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byDeviceAsOperator.ReasonCode);
        Assert.Equal(ConfigStates.Sent, Assert.Single((await node.Grains.GetGrain<IDeviceGrain>(victimId).GetConfig()).Updates).State);
    }

    private async Task WaitForOfflineAsync(string deviceId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(QuickPresenceNodeFixture.OfflineAfterSeconds + 5);
        while ((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Presence != "offline")
        {
            Assert.True(DateTime.UtcNow < deadline, "the device went offline");
            await Task.Delay(100);
        }
    }
}

public sealed class ConfigFlowTests(QuickPresenceNodeFixture node) : ConfigFlows(node), IClassFixture<QuickPresenceNodeFixture>;

public sealed class ExternalConfigFlowTests(QuickPresenceExternalNodeFixture node) : ConfigFlows(node), IClassFixture<QuickPresenceExternalNodeFixture>;
