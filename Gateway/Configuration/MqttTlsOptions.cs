using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.IoT.Gateway.Configuration;

/// <summary>
/// <c>Mqtt:Tls:*</c>: the embedded broker's encrypted listener on <c>Mqtt:TlsPort</c> (TLS 1.2 and 1.3 only) and how it
/// treats device certificates. The files are read and checked at start-up (<see cref="MqttOptionsValidator"/>).
/// </summary>
public sealed class MqttTlsOptions
{
    public const string Section = "Mqtt:Tls";

    /// <summary>No client certificate is asked for; every session logs in with a user name and password.</summary>
    public const string None = "None";

    /// <summary>A client certificate is asked for: one that is presented must be valid, and logs its device in.</summary>
    public const string Optional = "Optional";

    /// <summary>A TLS session without a valid client certificate is refused at CONNECT.</summary>
    public const string Required = "Required";

    /// <summary>
    /// The server certificate: a PEM file (the certificate first, then any intermediates, and its key unless
    /// <see cref="KeyPath"/> is set) or a PKCS#12 (PFX) file holding the certificate with its key and any intermediates.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/> that does not hold its key.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The password of a PFX <see cref="CertificatePath"/>, or of an encrypted PEM key. Never logged.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary><see cref="None"/>, <see cref="Optional"/> or <see cref="Required"/>.</summary>
    [RegularExpression("^(None|Optional|Required)$", ErrorMessage = "Mqtt:Tls:ClientCertificates must be None, Optional or Required")]
    public string ClientCertificates { get; set; } = None;

    /// <summary>
    /// The PEM certificate(s) of the certificate authority that issues device certificates: a device certificate must
    /// chain to one of them (the system's trusted roots are not used).
    /// </summary>
    public string? ClientCaPath { get; set; }

    /// <summary>
    /// How a device certificate's revocation is checked: <c>NoCheck</c> (the default), <c>Online</c> (the CRLs its
    /// certificates name are fetched) or <c>Offline</c> (cached CRLs only).
    /// </summary>
    [RegularExpression("^(NoCheck|Online|Offline)$", ErrorMessage = "Mqtt:Tls:RevocationMode must be NoCheck, Online or Offline")]
    public string RevocationMode { get; set; } = nameof(X509RevocationMode.NoCheck);

    /// <summary>A connection that has not finished its TLS handshake after this long is closed.</summary>
    [Range(1, 300, ErrorMessage = "Mqtt:Tls:HandshakeTimeoutSeconds must be between 1 and 300")]
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    public bool AsksForClientCertificate => ClientCertificates != None;

    public X509RevocationMode Revocation => Enum.Parse<X509RevocationMode>(RevocationMode);
}
