using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using MQTTnet;
using Orleans.IoT.Silo;
using Orleans.IoT.Tests.Transport;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The TLS settings: a server certificate from PEM, required client certificates, and settings that stop start-up.</summary>
public sealed class TlsSettingsTests(TestPki pki) : IClassFixture<TestPki>
{
    [Theory]
    [InlineData("chain and separate key")]
    [InlineData("chain and key in one file")]
    public async Task A_PEM_certificate_serves_TLS_beside_plain_MQTT_and_required_client_certificates_are_required(string files)
    {
        var (mqttPort, tlsPort, httpPort) = (NodeFixture.FreePort(), NodeFixture.FreePort(), NodeFixture.FreePort());
        string[] certificate = files == "chain and separate key"
            ? [$"--Mqtt:Tls:CertificatePath={pki.ServerChainPemPath}", $"--Mqtt:Tls:KeyPath={pki.ServerKeyPemPath}"]
            : [$"--Mqtt:Tls:CertificatePath={pki.ServerCombinedPemPath}"];
        await using var app = await IoTNode.BuildAsync(
        [
            .. NodeArguments(mqttPort, httpPort), $"--Mqtt:TlsPort={tlsPort}", .. certificate,
            "--Mqtt:Tls:ClientCertificates=Required", $"--Mqtt:Tls:ClientCaPath={pki.RootPemPath}",
        ]);
        await app.StartAsync();
        try
        {
            var deviceId = $"dev-{Guid.NewGuid():N}";
            using var deviceCertificate = pki.IssueClient($"CN={deviceId}");

            await using var device = await TlsNodeFixture.ConnectTlsAsync(tlsPort, pki, deviceCertificate);
            await using var withoutCertificate = await TlsNodeFixture.ConnectTlsAsync(tlsPort, pki, throwOnRefusal: false);
            await using var plain = await TestMqttClient.ConnectAsync(mqttPort);

            Assert.True((await device.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"t"}""")).IsSuccess);
            Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}", qos: 1)).IsSuccess);
            Assert.Equal(MqttClientConnectResultCode.NotAuthorized, withoutCertificate.ConnectResult.ResultCode);
            Assert.True(plain.IsConnected);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Theory]
    [InlineData("missing file", "Mqtt:Tls:CertificatePath")]
    [InlineData("wrong password", "Mqtt:Tls:CertificatePassword")]
    [InlineData("no password", "Mqtt:Tls:CertificatePassword")]
    [InlineData("no key", "Mqtt:Tls:CertificatePath")]
    [InlineData("key of another certificate", "Mqtt:Tls:KeyPath")]
    [InlineData("expired", "Mqtt:Tls:CertificatePath")]
    [InlineData("no certificate", "Mqtt:Tls:CertificatePath")]
    [InlineData("certificate without TLS port", "Mqtt:TlsPort")]
    [InlineData("no listener", "Mqtt:Port and Mqtt:TlsPort")]
    [InlineData("client certificates without authority", "Mqtt:Tls:ClientCaPath")]
    [InlineData("authority that is no authority", "Mqtt:Tls:ClientCaPath")]
    [InlineData("unknown client certificate mode", "Mqtt:Tls:ClientCertificates")]
    public async Task A_bad_TLS_setting_stops_start_up_naming_the_setting(string problem, string named)
    {
        var tlsPort = $"--Mqtt:TlsPort={NodeFixture.FreePort()}";
        var pfx = $"--Mqtt:Tls:CertificatePath={pki.ServerPfxPath}";
        var password = $"--Mqtt:Tls:CertificatePassword={TestPki.PfxPassword}";
        string[] settings = problem switch
        {
            "missing file" => [tlsPort, $"--Mqtt:Tls:CertificatePath={Path.Combine(pki.Directory, "absent.pfx")}"],
            "wrong password" => [tlsPort, pfx, "--Mqtt:Tls:CertificatePassword=not-the-password"],
            "no password" => [tlsPort, pfx],
            "no key" => [tlsPort, $"--Mqtt:Tls:CertificatePath={pki.ServerCertificateOnlyPemPath}"],
            "key of another certificate" => [tlsPort, $"--Mqtt:Tls:CertificatePath={pki.ServerCertificateOnlyPemPath}", $"--Mqtt:Tls:KeyPath={OtherKeyPath()}"],
            "expired" => [tlsPort, $"--Mqtt:Tls:CertificatePath={pki.ExpiredServerPfxPath}", password],
            "no certificate" => [tlsPort],
            "certificate without TLS port" => [pfx, password],
            "no listener" => ["--Mqtt:Port=0"],
            "client certificates without authority" => [tlsPort, pfx, password, "--Mqtt:Tls:ClientCertificates=Required"],
            "authority that is no authority" => [tlsPort, pfx, password, "--Mqtt:Tls:ClientCertificates=Optional", $"--Mqtt:Tls:ClientCaPath={pki.ServerCertificateOnlyPemPath}"],
            _ => [tlsPort, pfx, password, "--Mqtt:Tls:ClientCertificates=Sometimes"],
        };
        await using var app = await IoTNode.BuildAsync([.. NodeArguments(NodeFixture.FreePort(), NodeFixture.FreePort()), .. settings, "--Logging:LogLevel:Default=None"]);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(named, refused.Message);
        Assert.DoesNotContain("not-the-password", refused.Message);
        Assert.DoesNotContain(TestPki.PfxPassword, refused.Message);
    }

    private static string[] NodeArguments(int mqttPort, int httpPort) =>
    [
        $"--Mqtt:Port={mqttPort}", "--Mqtt:BindAddress=127.0.0.1", $"--Orleans:SiloPort={NodeFixture.FreePort()}",
        $"--Orleans:GatewayPort={NodeFixture.FreePort()}", $"--Urls=http://127.0.0.1:{httpPort}", "--Logging:LogLevel:Default=Warning",
    ];

    private string OtherKeyPath()
    {
        var path = Path.Combine(pki.Directory, "other.key");
        using var other = System.Security.Cryptography.ECDsa.Create();
        File.WriteAllText(path, other.ExportPkcs8PrivateKeyPem());
        return path;
    }
}
