using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using System.Security.Authentication;
using MQTTnet;
using MQTTnet.Exceptions;
using Orleans.IoT.Silo.Adapters.Memory;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>MQTT over TLS with plain MQTT switched off, and the HTTP API over HTTPS only.</summary>
[Collection(TlsNodeCollection.Name)]
public sealed class TlsTransportTests(TlsNodeFixture node)
{
    [Fact]
    public async Task A_device_registers_and_publishes_a_reading_over_TLS()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        string token;
        await using (var installer = await node.ConnectTlsAsync())
        {
            Assert.True(installer.ConnectResult.ResultCode == MqttClientConnectResultCode.Success);
            await installer.SubscribeAsync($"iot/devices/{deviceId}/register/response");
            var registered = await installer.PublishAsync(
                $"iot/devices/register/{deviceId}",
                $$"""{"name":"n","type":"t","provision_key":"{{TlsNodeFixture.ProvisioningKey}}"}""");
            Assert.True(registered.IsSuccess, registered.ReasonString);
            token = (await installer.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).GetProperty("auth_token").GetString()!;
        }

        await using var device = await node.ConnectTlsAsync(user: deviceId, password: token);
        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":21.5,"unit":"C"}""", qos: 1);

        Assert.True(ack.IsSuccess, ack.ReasonString);
        Assert.Equal(21.5, Assert.Single(node.Services.GetRequiredService<InMemorySensorHistory>().Read(deviceId, "temperature")).Value);
    }

    [Fact]
    public async Task Plain_MQTT_switched_off_is_not_listening()
    {
        using var client = new TcpClient();

        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, node.MqttPort));

        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_server_certificate_cannot_connect()
    {
        var tls = new MqttClientTlsOptionsBuilder().UseTls().WithTargetHost(Transport.TestPki.ServerHost).Build();

        var refused = await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => TestMqttClient.ConnectAsync(node.TlsPort, configure: o => o.WithTlsOptions(tls)));

        Assert.IsType<AuthenticationException>(refused.InnerException);
    }

    [Fact]
    public async Task The_API_answers_over_HTTPS_and_not_over_plain_HTTP()
    {
        using var https = node.CreateHttpsClient();

        var ready = await https.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health/ready"));
    }
}
