namespace Orleans.IoT.Grains.Ports;

/// <summary>
/// What the fleet health report reads from the catalog: counts and a bounded list, each answered by the catalog's own
/// indexes rather than by asking the device grains.
/// </summary>
public interface IFleetCatalog
{
    /// <summary>How many catalog rows there are for each (type, active, online) that has any.</summary>
    ValueTask<IReadOnlyList<FleetCatalogGroup>> CountByTypeAndStatusAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> active, offline devices, oldest <c>last_seen</c> first (none before any), then by id.
    /// </summary>
    ValueTask<IReadOnlyList<SilentDevice>> SilentLongestAsync(int limit, CancellationToken cancellationToken);
}

/// <summary>The number of catalog rows with one type, <see cref="DeviceCatalogEntry.Active"/> and <see cref="DeviceCatalogEntry.Online"/>.</summary>
public sealed record FleetCatalogGroup(string Type, bool Active, bool Online, long Devices);
