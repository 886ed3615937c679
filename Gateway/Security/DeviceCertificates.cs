using System.Security.Cryptography.X509Certificates;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Security;

/// <summary>How a device certificate names its device: by the common name (CN) of its subject.</summary>
public static class DeviceCertificates
{
    private const string CommonNameOid = "2.5.4.3";

    /// <summary>
    /// The subject's one CN when it is a device id; null when there is none, more than one, or it is no device id, and
    /// when the subject has a multi-valued part (which could hide a second CN).
    /// </summary>
    public static string? DeviceIdOf(X509Certificate2 certificate)
    {
        string? commonName = null;
        foreach (var part in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (part.HasMultipleElements)
            {
                return null;
            }

            if (part.GetSingleElementType().Value == CommonNameOid)
            {
                if (commonName is not null)
                {
                    return null;
                }

                commonName = part.GetSingleElementValue() ?? string.Empty;
            }
        }

        return commonName is not null && Identifiers.IsDeviceId(commonName) ? commonName : null;
    }
}
