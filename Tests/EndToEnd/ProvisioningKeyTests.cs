using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>A node whose registration is closed by a provisioning key.</summary>
public sealed class ProvisionedNodeFixture : NodeFixture
{
    public const string ProvisioningKey = "provision-test-key";

    protected override IEnumerable<string> ExtraArguments => [$"--Auth:ProvisioningKey={ProvisioningKey}"];
}

public sealed class ProvisioningKeyTests(ProvisionedNodeFixture node) : IClassFixture<ProvisionedNodeFixture>
{
    [Fact]
    public async Task Without_the_key_registration_is_refused()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var client = await node.ConnectAsync();
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/error");

        var ack = await client.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"t","provision_key":"wrong"}""");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, ack.ReasonCode);
        var error = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/error");
        Assert.Equal("unauthorized", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_key_in_the_payload_allows_registration()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var client = await node.ConnectAsync();
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        var ack = await client.PublishAsync(
            $"iot/devices/register/{deviceId}",
            $$"""{"name":"n","type":"t","provision_key":"{{ProvisionedNodeFixture.ProvisioningKey}}"}""");

        Assert.True(ack.IsSuccess, ack.ReasonString);
        Assert.Equal("registered", (await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_provision_user_with_the_key_may_register_and_a_wrong_key_cannot_connect()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var wrong = await TestMqttClient.ConnectAsync(node.MqttPort, "provision", "guess", clientId: "installer-1", throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrong.ConnectResult.ResultCode);

        await using var installer = await node.ConnectAsync("provision", ProvisionedNodeFixture.ProvisioningKey, clientId: "installer-2");
        await installer.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        var ack = await installer.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"t"}""");

        Assert.True(ack.IsSuccess, ack.ReasonString);
        Assert.Equal("registered", (await installer.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_operator_key_as_auth_token_may_register()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var client = await node.ConnectAsync();

        var ack = await client.PublishAsync(
            $"iot/devices/register/{deviceId}",
            $$"""{"name":"n","type":"t","auth_token":"{{NodeFixture.OperatorKey}}"}""");

        Assert.True(ack.IsSuccess, ack.ReasonString);
    }

    [Fact]
    public async Task Another_provisioning_or_anonymous_session_never_receives_an_installers_token()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var rival = await node.ConnectAsync("provision", ProvisionedNodeFixture.ProvisioningKey, clientId: $"rival-{Guid.NewGuid():N}");
        await using var anonymous = await node.ConnectAsync();
        foreach (var filter in new[] { "register/response", "register/+", "register/#" })
        {
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await rival.SubscribeAsync($"iot/devices/{deviceId}/{filter}"));
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await anonymous.SubscribeAsync($"iot/devices/{deviceId}/{filter}"));
        }

        await using var installer = await node.ConnectAsync("provision", ProvisionedNodeFixture.ProvisioningKey, clientId: $"installer-{Guid.NewGuid():N}");
        await installer.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        Assert.True((await installer.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"t"}""")).IsSuccess);

        Assert.False(string.IsNullOrEmpty((await installer.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString()));
        await rival.AssertNothingOnAsync($"iot/devices/{deviceId}/register/response", TimeSpan.FromMilliseconds(700));
        await anonymous.AssertNothingOnAsync($"iot/devices/{deviceId}/register/response", TimeSpan.FromMilliseconds(100));
    }
}
