namespace Orleans.IoT.Grains.Ports;

/// <summary>The queryable list of devices, written when a registration or presence changes.</summary>
public interface IDeviceCatalog
{
    ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken);
}

public sealed record DeviceCatalogEntry(
    string DeviceId,
    string Name,
    string Type,
    string? FirmwareVersion,
    string? HardwareVersion,
    string? Location,
    IReadOnlyList<string> Capabilities,
    bool Active,
    bool Online,
    DateTimeOffset? LastSeen,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
