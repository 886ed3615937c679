using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orleans.IoT.Tests.Transport;

/// <summary>
/// A throw-away PKI for the TLS tests, made at construction: a root authority that issues device certificates, an
/// intermediate under it that issues the server certificate for 127.0.0.1 and localhost, and a second, untrusted root.
/// The server's files (PFX; PEM with its chain and a separate key; PEM with the key inside) and the root's PEM are
/// written to a temporary directory, deleted on dispose.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string PfxPassword = "pfx-test-password";
    public const string ServerHost = "localhost";

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly X509Certificate2 _untrustedRoot;

    public TestPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("orleans-iot-tls-").FullName;
        Root = CreateAuthority("CN=Orleans.IoT Test Root", issuer: null);
        _untrustedRoot = CreateAuthority("CN=Someone Else's Root", issuer: null);
        using var intermediate = CreateAuthority("CN=Orleans.IoT Test Servers", Root);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(ServerHost);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        AddLeafExtensions(request, intermediate);
        using var server = request.Create(intermediate, Now.AddDays(-1), Now.AddDays(30), Serial()).CopyWithPrivateKey(serverKey);

        RootPemPath = Write("root.pem", Root.ExportCertificatePem());
        ServerPfxPath = Path.Combine(Directory, "server.pfx");
        File.WriteAllBytes(ServerPfxPath, new X509Certificate2Collection { server, WithoutKey(intermediate) }.Export(X509ContentType.Pkcs12, PfxPassword)!);
        ServerChainPemPath = Write("server-chain.pem", server.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem());
        ServerKeyPemPath = Write("server.key", serverKey.ExportPkcs8PrivateKeyPem());
        ServerCombinedPemPath = Write("server-combined.pem", server.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n" + serverKey.ExportPkcs8PrivateKeyPem());
        ServerCertificateOnlyPemPath = Write("server-no-key.pem", server.ExportCertificatePem());
        using var expired = request.Create(intermediate, Now.AddDays(-30), Now.AddDays(-1), Serial()).CopyWithPrivateKey(serverKey);
        ExpiredServerPfxPath = Path.Combine(Directory, "expired.pfx");
        File.WriteAllBytes(ExpiredServerPfxPath, expired.Export(X509ContentType.Pkcs12, PfxPassword));
    }

    public string Directory { get; }

    /// <summary>The root authority, with its key: clients trust it for the server, the broker for devices.</summary>
    public X509Certificate2 Root { get; }

    public string RootPemPath { get; }

    public string ServerPfxPath { get; }

    /// <summary>The server certificate, then the intermediate that issued it, without the key.</summary>
    public string ServerChainPemPath { get; }

    public string ServerKeyPemPath { get; }

    /// <summary>The server certificate, the intermediate and the key in one PEM file.</summary>
    public string ServerCombinedPemPath { get; }

    public string ServerCertificateOnlyPemPath { get; }

    public string ExpiredServerPfxPath { get; }

    /// <summary>The root alone, as a client's trust for the server's chain.</summary>
    public X509Certificate2Collection Trust => [WithoutKey(Root)];

    /// <summary>A client certificate with its key, issued by the root unless <paramref name="untrusted"/>.</summary>
    public X509Certificate2 IssueClient(string subject, bool untrusted = false, bool expired = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var issuer = untrusted ? _untrustedRoot : Root;
        AddLeafExtensions(request, issuer);
        var (from, to) = expired ? (Now.AddDays(-30), Now.AddDays(-1)) : (Now.AddDays(-1), Now.AddDays(30));
        using var certificate = request.Create(issuer, from, to, Serial()).CopyWithPrivateKey(key);

        // Through PKCS#12, as a device would load it: TLS client authentication needs no more of the key than that.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Root.Dispose();
        _untrustedRoot.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static X509Certificate2 CreateAuthority(string subject, X509Certificate2? issuer)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(Now.AddDays(-60), Now.AddDays(365));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(issuer, Now.AddDays(-60), Now.AddDays(300), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static void AddLeafExtensions(CertificateRequest request, X509Certificate2 issuer)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
    }

    private static X509Certificate2 WithoutKey(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);

    private static byte[] Serial() => RandomNumberGenerator.GetBytes(16);

    private string Write(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
