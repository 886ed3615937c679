namespace Orleans.IoT.Grains.Gateways;

/// <summary>The gateways the directory knows, stored so that a directory grain moved by a silo's death still knows them.</summary>
[GenerateSerializer, Alias("iot.gateway-directory-state")]
public sealed class GatewayDirectoryState
{
    [Id(0)]
    public Dictionary<string, GatewayRegistration> Gateways { get; set; } = new(StringComparer.Ordinal);
}
