using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// Devices that log in with a client certificate whose subject CN is their device id (<c>Mqtt:Tls:ClientCertificates</c>
/// Optional, the test root as <c>Mqtt:Tls:ClientCaPath</c>), with no token: what they may do, and what is refused.
/// </summary>
[Collection(TlsNodeCollection.Name)]
public sealed class ClientCertificateTests(TlsNodeFixture node)
{
    private const string Reading = """{"value":21.5,"unit":"C"}""";

    private static string NewDeviceId() => $"dev-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_certificate_logs_its_device_in_which_registers_itself_and_its_readings_are_stored()
    {
        var deviceId = NewDeviceId();
        using var certificate = node.Pki.IssueClient($"CN={deviceId}, O=Orleans.IoT tests");

        // No user name, no password, no client id: the certificate says who it is, and its id becomes the client id.
        await using var device = await node.ConnectTlsAsync(certificate, clientId: string.Empty);
        Assert.Equal(deviceId, device.ConnectResult.AssignedClientIdentifier);
        await device.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        // No provisioning key: the operator who issued the certificate provisioned the device.
        var registered = await device.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"t"}""");
        Assert.True(registered.IsSuccess, registered.ReasonString);
        Assert.Equal("registered", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("status").GetString());

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", Reading, qos: 1);

        Assert.True(ack.IsSuccess, ack.ReasonString);
        Assert.Equal(21.5, Assert.Single(node.Services.GetRequiredService<InMemorySensorHistory>().Read(deviceId, "temperature")).Value);
        var snapshot = await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot();
        Assert.Equal(21.5, snapshot.Latest["temperature"].Value);
        Assert.Equal("online", snapshot.Presence);

        // Re-registering needs no token either (it rotates the token, and keeps this session).
        Assert.True((await device.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"renamed","type":"t"}""")).IsSuccess);
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}", qos: 1)).IsSuccess);
        Assert.Equal("renamed", (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Name);

        // A rotation by someone else leaves it connected: its credential is the certificate, not the old token.
        await using (var operatorClient = await node.ConnectTlsAsync(user: NodeFixture.OperatorName, password: NodeFixture.OperatorKey, clientId: $"ops-{Guid.NewGuid():N}"))
        {
            Assert.True((await operatorClient.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"by operator","type":"t"}""")).IsSuccess);
        }

        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}", qos: 1)).IsSuccess);
        Assert.False(device.WasDisconnected);
    }

    [Fact]
    public async Task A_certificate_for_another_device_is_refused_on_this_devices_topics()
    {
        var victimId = NewDeviceId();
        var intruderId = NewDeviceId();
        using var victimCertificate = node.Pki.IssueClient($"CN={victimId}");
        using var intruderCertificate = node.Pki.IssueClient($"CN={intruderId}");
        await using (var victim = await node.ConnectTlsAsync(victimCertificate))
        {
            Assert.True((await victim.PublishAsync($"iot/devices/register/{victimId}", """{"name":"n","type":"t"}""")).IsSuccess);
        }

        await using var intruder = await node.ConnectTlsAsync(intruderCertificate);

        var data = await intruder.PublishAsync($"iot/devices/data/{victimId}/temperature", Reading, qos: 1);
        var register = await intruder.PublishAsync($"iot/devices/register/{victimId}", """{"name":"taken","type":"t"}""");
        var unregister = await intruder.PublishAsync($"iot/devices/unregister/{victimId}", "{}");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, data.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, register.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, unregister.ReasonCode);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await intruder.SubscribeAsync($"iot/devices/{victimId}/#"));
        Assert.Empty(node.Services.GetRequiredService<InMemorySensorHistory>().Read(victimId, "temperature"));
        var victimState = await node.Grains.GetGrain<IDeviceGrain>(victimId).GetSnapshot();
        Assert.True(victimState.Registered);
        Assert.Equal("n", victimState.Name);

        // Nor may it take the victim's client id, or log in as the victim with its certificate.
        await using var asVictimId = await node.ConnectTlsAsync(intruderCertificate, clientId: victimId, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, asVictimId.ConnectResult.ResultCode);
        await using var asVictimUser = await node.ConnectTlsAsync(intruderCertificate, user: victimId, password: "guess", throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, asVictimUser.ConnectResult.ResultCode);
    }

    [Theory]
    [InlineData("untrusted")]
    [InlineData("expired")]
    [InlineData("no device id")]
    [InlineData("a route word")]
    [InlineData("an operator's name")]
    public async Task A_certificate_that_proves_no_device_is_refused_at_CONNECT(string kind)
    {
        var deviceId = NewDeviceId();
        using var certificate = kind switch
        {
            "untrusted" => node.Pki.IssueClient($"CN={deviceId}", untrusted: true),
            "expired" => node.Pki.IssueClient($"CN={deviceId}", expired: true),
            "no device id" => node.Pki.IssueClient("CN=not a device id"),
            "a route word" => node.Pki.IssueClient("CN=register"),
            _ => node.Pki.IssueClient($"CN={NodeFixture.OperatorName}"),
        };

        // Not even an operator's credentials get a session past a certificate that fails.
        await using var refused = await node.ConnectTlsAsync(certificate, throwOnRefusal: false);
        await using var withOperatorKey = await node.ConnectTlsAsync(certificate, NodeFixture.OperatorName, NodeFixture.OperatorKey, throwOnRefusal: false);

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, refused.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, withOperatorKey.ConnectResult.ResultCode);
        Assert.False((await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Registered);
    }

    [Fact]
    public async Task With_a_certificate_a_user_name_and_key_still_decide_for_operators()
    {
        using var certificate = node.Pki.IssueClient($"CN={NewDeviceId()}");

        await using var operatorClient = await node.ConnectTlsAsync(certificate, NodeFixture.OperatorName, NodeFixture.OperatorKey, clientId: $"ops-{Guid.NewGuid():N}");
        await using var wrongKey = await node.ConnectTlsAsync(certificate, NodeFixture.OperatorName, "guess", throwOnRefusal: false);

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await operatorClient.SubscribeAsync("iot/events/#"));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrongKey.ConnectResult.ResultCode);
    }
}
