using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Security;

/// <summary>A setting under <c>Mqtt:Tls</c> that cannot be used; the message names it and never holds a password.</summary>
public sealed class TlsSettingException(string message) : Exception(message);

/// <summary>The broker's server certificate with its private key, and the intermediates sent with it.</summary>
public sealed class ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection intermediates) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    public X509Certificate2Collection Intermediates { get; } = intermediates;

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var intermediate in Intermediates)
        {
            intermediate.Dispose();
        }
    }
}

/// <summary>
/// Reads the files of <c>Mqtt:Tls:*</c> as Kestrel reads its own: the server certificate from a PEM file (the
/// certificate, then any intermediates, and its key there or in <c>KeyPath</c>) or from a PKCS#12 (PFX) file; the
/// device certificate authorities from a PEM file. Relative paths are taken from the working directory.
/// </summary>
public static class TlsCertificateFiles
{
    public const string CertificatePathKey = MqttTlsOptions.Section + ":" + nameof(MqttTlsOptions.CertificatePath);
    public const string KeyPathKey = MqttTlsOptions.Section + ":" + nameof(MqttTlsOptions.KeyPath);
    public const string CertificatePasswordKey = MqttTlsOptions.Section + ":" + nameof(MqttTlsOptions.CertificatePassword);
    public const string ClientCaPathKey = MqttTlsOptions.Section + ":" + nameof(MqttTlsOptions.ClientCaPath);

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>The server certificate, with its key, valid at <paramref name="now"/>; throws <see cref="TlsSettingException"/>.</summary>
    public static ServerCertificate LoadServerCertificate(MqttTlsOptions tls, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(tls.CertificatePath))
        {
            throw new TlsSettingException($"{CertificatePathKey} is required when Mqtt:TlsPort is set");
        }

        var bytes = Read(tls.CertificatePath, CertificatePathKey);
        var loaded = bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0 ? FromPem(bytes, tls) : FromPkcs12(bytes, tls);
        try
        {
            var certificate = loaded.Certificate;
            if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            {
                throw new TlsSettingException(
                    $"{CertificatePathKey}: the certificate '{certificate.Subject}' is valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}, not now");
            }

            if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usages
                && !usages.EnhancedKeyUsages.Cast<Oid>().Any(usage => usage.Value == ServerAuthentication))
            {
                throw new TlsSettingException($"{CertificatePathKey}: the certificate '{certificate.Subject}' is not for server authentication (its extended key usage lacks it)");
            }

            return loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>The certificate authorities a device certificate must chain to; throws <see cref="TlsSettingException"/>.</summary>
    public static X509Certificate2Collection LoadClientAuthorities(MqttTlsOptions tls, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(tls.ClientCaPath))
        {
            throw new TlsSettingException($"{ClientCaPathKey} is required when Mqtt:Tls:ClientCertificates is {tls.ClientCertificates}");
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(Encoding.ASCII.GetString(Read(tls.ClientCaPath, ClientCaPathKey)));
        }
        catch (CryptographicException)
        {
            throw new TlsSettingException($"{ClientCaPathKey}: '{tls.ClientCaPath}' holds a PEM certificate that cannot be read");
        }

        if (authorities.Count == 0)
        {
            throw new TlsSettingException($"{ClientCaPathKey}: '{tls.ClientCaPath}' holds no PEM certificate");
        }

        foreach (var authority in authorities)
        {
            if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                throw new TlsSettingException($"{ClientCaPathKey}: '{authority.Subject}' is not a certificate authority (its basic constraints do not let it sign certificates)");
            }

            if (now > authority.NotAfter.ToUniversalTime())
            {
                throw new TlsSettingException($"{ClientCaPathKey}: the certificate authority '{authority.Subject}' expired on {authority.NotAfter.ToUniversalTime():u}");
            }
        }

        return authorities;
    }

    private static ServerCertificate FromPem(byte[] bytes, MqttTlsOptions tls)
    {
        var certificatePem = Encoding.ASCII.GetString(bytes);
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certificatePem);
        }
        catch (CryptographicException)
        {
            throw new TlsSettingException($"{CertificatePathKey}: '{tls.CertificatePath}' holds a PEM certificate that cannot be read");
        }

        if (all.Count == 0)
        {
            throw new TlsSettingException($"{CertificatePathKey}: '{tls.CertificatePath}' holds no PEM certificate");
        }

        var (keyPem, keyKey) = string.IsNullOrWhiteSpace(tls.KeyPath)
            ? (certificatePem, CertificatePathKey)
            : (Encoding.ASCII.GetString(Read(tls.KeyPath, KeyPathKey)), KeyPathKey);
        X509Certificate2 certificate;
        try
        {
            certificate = string.IsNullOrEmpty(tls.CertificatePassword)
                ? X509Certificate2.CreateFromPem(certificatePem, keyPem)
                : X509Certificate2.CreateFromEncryptedPem(certificatePem, keyPem, tls.CertificatePassword);
        }
        catch (ArgumentException)
        {
            throw new TlsSettingException(string.IsNullOrEmpty(tls.CertificatePassword)
                ? $"{keyKey} holds no unencrypted private key (an encrypted one needs {CertificatePasswordKey}; a key kept in its own file goes in {KeyPathKey})"
                : $"{keyKey} holds no encrypted private key for {CertificatePasswordKey}");
        }
        catch (CryptographicException)
        {
            throw new TlsSettingException(string.IsNullOrEmpty(tls.CertificatePassword)
                ? $"{keyKey}: its private key does not match the certificate in {CertificatePathKey}, or cannot be read"
                : $"{keyKey}: its private key does not match the certificate in {CertificatePathKey}, or {CertificatePasswordKey} does not open it");
        }
        finally
        {
            all[0].Dispose();
        }

        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use a key that lives only in memory, as a key read from PEM does; Kestrel does the same.
            using var ephemeral = certificate;
            certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }

        all.RemoveAt(0);
        return new ServerCertificate(certificate, all);
    }

    private static ServerCertificate FromPkcs12(byte[] bytes, MqttTlsOptions tls)
    {
        if (X509Certificate2.GetCertContentType(bytes) != X509ContentType.Pkcs12)
        {
            throw new TlsSettingException($"{CertificatePathKey}: '{tls.CertificatePath}' is neither PEM nor PKCS#12 (PFX)");
        }

        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12Collection(bytes, tls.CertificatePassword);
        }
        catch (CryptographicException)
        {
            throw new TlsSettingException(string.IsNullOrEmpty(tls.CertificatePassword)
                ? $"{CertificatePathKey}: '{tls.CertificatePath}' cannot be opened without a password: set {CertificatePasswordKey}"
                : $"{CertificatePasswordKey} does not open '{tls.CertificatePath}' ({CertificatePathKey})");
        }

        var certificate = all.FirstOrDefault(c => c.HasPrivateKey);
        if (certificate is null)
        {
            foreach (var other in all)
            {
                other.Dispose();
            }

            throw new TlsSettingException($"{CertificatePathKey}: '{tls.CertificatePath}' holds no certificate with its private key");
        }

        all.Remove(certificate);
        return new ServerCertificate(certificate, all);
    }

    private static byte[] Read(string path, string key)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new TlsSettingException($"{key}: cannot read '{path}': {ex.Message}");
        }
    }
}
