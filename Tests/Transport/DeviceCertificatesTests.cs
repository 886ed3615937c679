using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Tests.Transport;

/// <summary>The device a certificate names: the one CN of its subject, when that is a device id.</summary>
public sealed class DeviceCertificatesTests
{
    [Theory]
    [InlineData("CN=device_001", "device_001")]
    [InlineData("CN=plant-7:line.2, O=Example, C=DE", "plant-7:line.2")]
    [InlineData("O=Example, CN=device_001", "device_001")]
    [InlineData("O=Example", null)]
    [InlineData("CN=device_001, CN=device_002", null)]
    [InlineData("CN=device_001 + O=Example", null)]
    [InlineData("CN=not a device id", null)]
    [InlineData("CN=register", null)]
    [InlineData("CN=\"\"", null)]
    public void The_subject_CN_names_the_device(string subject, string? deviceId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest(subject, key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(deviceId, DeviceCertificates.DeviceIdOf(certificate));
    }
}
