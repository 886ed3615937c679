using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using Orleans.IoT.Tests.Transport;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// The node with MQTT over TLS only (plain MQTT off) from a PFX file, device certificates optional and checked against
/// the test root, registration closed by a provisioning key, and the HTTP API over HTTPS only (Kestrel's standard
/// settings, from PEM files). Its certificates come from a <see cref="TestPki"/> made for it.
/// </summary>
public sealed class TlsNodeFixture : NodeFixture
{
    public const string ProvisioningKey = "tls-provisioning-key";

    public TestPki Pki { get; } = new();

    public int TlsPort { get; } = FreePort();

    protected override IEnumerable<string> ExtraArguments =>
    [
        "--Mqtt:Port=0",
        $"--Mqtt:TlsPort={TlsPort}",
        $"--Mqtt:Tls:CertificatePath={Pki.ServerPfxPath}",
        $"--Mqtt:Tls:CertificatePassword={TestPki.PfxPassword}",
        "--Mqtt:Tls:ClientCertificates=Optional",
        $"--Mqtt:Tls:ClientCaPath={Pki.RootPemPath}",
        $"--Auth:ProvisioningKey={ProvisioningKey}",
        $"--Urls=https://127.0.0.1:{HttpPort}",
        $"--Kestrel:Certificates:Default:Path={Pki.ServerChainPemPath}",
        $"--Kestrel:Certificates:Default:KeyPath={Pki.ServerKeyPemPath}",
    ];

    public Task<TestMqttClient> ConnectTlsAsync(
        X509Certificate2? clientCertificate = null,
        string? user = null,
        string? password = null,
        string? clientId = null,
        bool throwOnRefusal = true) =>
        ConnectTlsAsync(TlsPort, Pki, clientCertificate, user, password, clientId, throwOnRefusal);

    /// <summary>An MQTT 5 client over TLS that trusts the test root for the server, presenting <paramref name="clientCertificate"/> if given.</summary>
    public static Task<TestMqttClient> ConnectTlsAsync(
        int port,
        TestPki pki,
        X509Certificate2? clientCertificate = null,
        string? user = null,
        string? password = null,
        string? clientId = null,
        bool throwOnRefusal = true)
    {
        var tls = new MqttClientTlsOptionsBuilder()
            .UseTls()
            .WithTargetHost(TestPki.ServerHost)
            .WithTrustChain(pki.Trust)
            .WithRevocationMode(X509RevocationMode.NoCheck);
        if (clientCertificate is not null)
        {
            tls.WithClientCertificates([clientCertificate]);
        }

        return TestMqttClient.ConnectAsync(port, user, password, clientId, throwOnRefusal: throwOnRefusal, configure: o => o.WithTlsOptions(tls.Build()));
    }

    /// <summary>An HTTP client that trusts the test root alone for the server's certificate.</summary>
    public HttpClient CreateHttpsClient()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(Pki.Trust);
        var handler = new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Pki.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TlsNodeCollection : ICollectionFixture<TlsNodeFixture>
{
    public const string Name = "tls-node";
}
