using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains.Fleet;

/// <summary>
/// The fleet health report, composed from the catalog's counts and silent devices and the alert store's active counts,
/// read together. An inactive (unregistered) row counts as unregistered whatever its presence says.
/// </summary>
public sealed class FleetHealthReport(IFleetCatalog catalog, IAlertReader alerts, TimeProvider clock) : IFleetHealthReader
{
    public async Task<FleetHealth> ReadAsync(int silentLongest, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silentLongest, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(silentLongest, FleetHealth.MaxSilentLongest);
        var computedAt = clock.GetUtcNow();
        var groups = catalog.CountByTypeAndStatusAsync(cancellationToken).AsTask();
        var silent = catalog.SilentLongestAsync(silentLongest, cancellationToken).AsTask();
        var bySeverity = alerts.CountActiveBySeverityAsync(cancellationToken);
        await Task.WhenAll(groups, silent, bySeverity);

        var byType = new Dictionary<string, FleetStatusCounts>(StringComparer.Ordinal);
        foreach (var group in await groups)
        {
            byType[group.Type] = Add(byType.GetValueOrDefault(group.Type, FleetStatusCounts.None), group);
        }

        var byStatus = byType.Values.Aggregate(
            FleetStatusCounts.None, (sum, type) => new(sum.Online + type.Online, sum.Offline + type.Offline, sum.Unregistered + type.Unregistered));
        return new FleetHealth(byStatus.Total, byStatus, byType, await silent, await bySeverity, computedAt);
    }

    private static FleetStatusCounts Add(FleetStatusCounts counts, FleetCatalogGroup group) => (group.Active, group.Online) switch
    {
        (false, _) => counts with { Unregistered = counts.Unregistered + group.Devices },
        (true, true) => counts with { Online = counts.Online + group.Devices },
        (true, false) => counts with { Offline = counts.Offline + group.Devices },
    };
}
