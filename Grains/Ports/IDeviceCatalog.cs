namespace Orleans.IoT.Grains.Ports;

/// <summary>The queryable list of devices, written when a registration or presence changes.</summary>
public interface IDeviceCatalog
{
    /// <summary>
    /// Records the device's latest entry. The adapter may queue it and write entries in batches, retrying until they
    /// are stored (a newer entry for the same device replaces a queued one); a store failure never fails the caller.
    /// </summary>
    ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken);
}

/// <summary>
/// A device's row in the catalog. <paramref name="WatchedBy"/> is the silo whose timer watches an online device's
/// silence (<see cref="Orleans.Runtime.SiloAddress.ToParsableString"/>), <see cref="Unwatched"/> when its grain was
/// deactivated while it was online, null when the device is offline.
/// </summary>
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
    DateTimeOffset UpdatedAt,
    string? WatchedBy = null)
{
    /// <summary>The watcher of an online device whose grain is not active anywhere.</summary>
    public const string Unwatched = "";
}
