using System.Text;
using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>How a message proves its device, in either broker mode.</summary>
public abstract class SecurityFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    [Fact]
    public async Task A_payload_token_must_be_the_devices_current_token()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var client = await node.ConnectProvisioningAsync(deviceId);
        await using var observer = await node.ConnectOperatorAsync();
        await observer.SubscribeAsync($"iot/devices/{deviceId}/errors");

        var wrong = await node.RefusedAsync(client, $"iot/devices/heartbeat/{deviceId}", """{"auth_token":"not-it"}""");
        var missing = await node.RefusedAsync(client, $"iot/devices/status/{deviceId}", """{"status":"ok"}""");
        await node.AcceptedAsync(client, $"iot/devices/status/{deviceId}", $$"""{"status":"ok","auth_token":"{{token}}"}""");

        Assert.Equal(("unauthorized", "unauthorized"), (wrong.Code, missing.Code));
        node.AssertRefusalAck(wrong, MqttClientPublishReasonCode.NotAuthorized);
        node.AssertRefusalAck(missing, MqttClientPublishReasonCode.NotAuthorized);
        var error = await observer.WaitForJsonAsync($"iot/devices/{deviceId}/errors");
        Assert.Equal("unauthorized", error.GetProperty("code").GetString());
        Assert.Equal($"iot/devices/heartbeat/{deviceId}", error.GetProperty("topic").GetString());
    }

    [Fact]
    public async Task The_token_may_travel_as_an_mqtt5_user_property()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var client = await node.ConnectProvisioningAsync(deviceId);

        await node.AcceptedAsync(
            client,
            $"iot/devices/data/{deviceId}/humidity",
            """{"value":41}""",
            configure: b => b.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(token)));
    }
}

/// <summary>
/// Embedded only: who may connect, and who may publish and subscribe where, is the embedded broker's to decide; behind
/// Mosquitto its password file and ACL decide it (MosquittoConfigurationTests, ExternalBrokerTests).
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class SecurityTests(NodeFixture node) : SecurityFlows(node)
{
    [Fact]
    public async Task Connect_with_a_wrong_or_unknown_device_token_is_refused()
    {
        var (deviceId, token) = await Node.RegisterDeviceAsync();

        await using var wrong = await TestMqttClient.ConnectAsync(Node.MqttPort, deviceId, token + "x", throwOnRefusal: false);
        await using var unknown = await TestMqttClient.ConnectAsync(Node.MqttPort, $"dev-{Guid.NewGuid():N}", token, throwOnRefusal: false);
        await using var mismatched = await TestMqttClient.ConnectAsync(Node.MqttPort, deviceId, token, clientId: "someone-else", throwOnRefusal: false);
        await using var badOperator = await TestMqttClient.ConnectAsync(Node.MqttPort, NodeFixture.OperatorName, "guess", throwOnRefusal: false);
        await using var right = await TestMqttClient.ConnectAsync(Node.MqttPort, deviceId, token, throwOnRefusal: false);

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, unknown.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, mismatched.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, badOperator.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.Success, right.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task A_device_may_not_publish_or_subscribe_as_another_device()
    {
        var (alice, aliceToken) = await Node.RegisterDeviceAsync();
        var (bob, bobToken) = await Node.RegisterDeviceAsync();
        await using var aliceClient = await Node.ConnectAsync(alice, aliceToken);
        await using var bobClient = await Node.ConnectAsync(bob, bobToken);
        await bobClient.SubscribeAsync($"iot/devices/{bob}/#");

        var asBob = await aliceClient.PublishAsync($"iot/devices/data/{bob}/temperature", """{"value":99}""");
        var bobsTokenInPayload = await aliceClient.PublishAsync($"iot/devices/heartbeat/{bob}", $$"""{"auth_token":"{{bobToken}}"}""");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, asBob.ReasonCode);
        Assert.StartsWith("forbidden", asBob.ReasonString);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, bobsTokenInPayload.ReasonCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await aliceClient.SubscribeAsync($"iot/devices/{bob}/#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await aliceClient.SubscribeAsync("iot/devices/+/commands/+"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await aliceClient.SubscribeAsync("analytics/#"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await aliceClient.SubscribeAsync($"iot/devices/{alice}/#"));
        Assert.Equal(MqttClientPublishReasonCode.TopicNameInvalid, (await aliceClient.PublishAsync("some/other/topic", "{}")).ReasonCode);

        Assert.True(bobClient.IsConnected, "another client's refused messages never close this connection");
    }

    [Fact]
    public async Task Anonymous_sessions_may_subscribe_only_to_exact_registration_replies()
    {
        await using var client = await Node.ConnectAsync();

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync("iot/devices/dev-x/register/response"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("iot/devices/+/register/response"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("iot/devices/dev-x/commands/+"));
    }

    [Fact]
    public async Task Operator_routes_and_wildcards_need_operator_credentials()
    {
        await using var operatorClient = await Node.ConnectOperatorAsync();

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await operatorClient.SubscribeAsync("#"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await operatorClient.SubscribeAsync("iot/events/presence/+"));
    }
}

[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalSecurityTests(ExternalNodeFixture node) : SecurityFlows(node);
