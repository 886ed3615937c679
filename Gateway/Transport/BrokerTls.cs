using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// The TLS of the broker's encrypted listener (<c>Mqtt:TlsPort</c>): TLS 1.2 or 1.3 with the configured server
/// certificate and, when <c>Mqtt:Tls:ClientCertificates</c> asks for one, the check of a device's certificate chain
/// against <c>Mqtt:Tls:ClientCaPath</c> alone (the system's roots are not trusted; validity dates and the client
/// authentication usage are checked; revocation as <c>Mqtt:Tls:RevocationMode</c> says).
/// </summary>
/// <remarks>
/// The handshake lets a client through whatever certificate it presents and records whether it was valid; the CONNECT
/// is what refuses it (<see cref="EmbeddedBroker"/>), so that a device learns why from the CONNACK's reason code.
/// </remarks>
public sealed partial class BrokerTls(IOptions<MqttOptions> options, TimeProvider clock, ILogger<BrokerTls> logger) : IDisposable
{
    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private static readonly object Verified = new();

    private readonly MqttTlsOptions _tls = options.Value.Tls;

    /// <summary>The client certificates of this listener's connections that passed the chain check, by the certificate object.</summary>
    private readonly ConditionalWeakTable<X509Certificate2, object> _verified = new();

    private ServerCertificate? _certificate;
    private SslServerAuthenticationOptions? _serverOptions;

    /// <summary>Whether a TLS session must present a valid client certificate.</summary>
    public bool RequiresClientCertificate => _tls.ClientCertificates == MqttTlsOptions.Required;

    /// <summary>Reads the certificate files (checked at start-up by <see cref="MqttOptionsValidator"/>) when the listener starts.</summary>
    public void Load()
    {
        if (_serverOptions is not null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var certificate = TlsCertificateFiles.LoadServerCertificate(_tls, now);
        var serverOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate.Certificate, certificate.Intermediates, offline: true),
            EnabledSslProtocols = Protocols,
            AllowRenegotiation = false,
            ClientCertificateRequired = _tls.AsksForClientCertificate,
        };

        if (_tls.AsksForClientCertificate)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = _tls.Revocation,
                RevocationFlag = X509RevocationFlag.ExcludeRoot,
                // A device's certificate must not make the broker fetch what its Authority Information Access names.
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.AddRange(TlsCertificateFiles.LoadClientAuthorities(_tls, now));
            serverOptions.CertificateChainPolicy = policy;
        }

        _certificate = certificate;
        _serverOptions = serverOptions;
        LogCertificate(certificate.Certificate.Subject, certificate.Certificate.NotAfter.ToUniversalTime(), _tls.ClientCertificates);
        if (certificate.Certificate.NotAfter.ToUniversalTime() - now < TimeSpan.FromDays(30))
        {
            LogExpiresSoon(certificate.Certificate.Subject, certificate.Certificate.NotAfter.ToUniversalTime());
        }
    }

    /// <summary>
    /// Runs the server side of the handshake over <paramref name="stream"/>, at most <c>Mqtt:Tls:HandshakeTimeoutSeconds</c>;
    /// returns the encrypted stream (which owns <paramref name="stream"/>) and the client's certificate, if it presented one.
    /// </summary>
    public async ValueTask<(SslStream Stream, X509Certificate2? ClientCertificate)> AuthenticateAsync(Stream stream, CancellationToken cancellationToken)
    {
        var serverOptions = _serverOptions ?? throw new InvalidOperationException("The TLS settings are not loaded.");
        var chainValid = false;
        var ssl = _tls.AsksForClientCertificate
            ? new SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, _, errors) =>
            {
                chainValid = certificate is not null && errors == SslPolicyErrors.None;
                return true;
            })
            : new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_tls.HandshakeTimeoutSeconds));
            await ssl.AuthenticateAsServerAsync(serverOptions, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var clientCertificate = ssl.RemoteCertificate as X509Certificate2;
        if (clientCertificate is not null && chainValid)
        {
            _verified.AddOrUpdate(clientCertificate, Verified);
        }

        return (ssl, clientCertificate);
    }

    /// <summary>True when <paramref name="certificate"/> is a connection's client certificate that chained to a trusted authority.</summary>
    public bool IsVerified(X509Certificate2 certificate) => _verified.TryGetValue(certificate, out _);

    public void Dispose() => _certificate?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT over TLS with certificate '{Subject}', valid until {NotAfter:u}; client certificates: {ClientCertificates}")]
    private partial void LogCertificate(string subject, DateTime notAfter, string clientCertificates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The MQTT TLS certificate '{Subject}' expires on {NotAfter:u}: renew it and restart the gateway")]
    private partial void LogExpiresSoon(string subject, DateTime notAfter);
}
