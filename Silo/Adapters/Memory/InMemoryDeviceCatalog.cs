using System.Collections.Concurrent;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>The device catalog kept in this process (the embedded default).</summary>
/// <remarks>
/// The fleet reads look at every entry (a few milliseconds at 100,000 devices; README, "Performance"). They enumerate
/// the dictionary itself, which takes no lock, rather than <c>Values</c>, which locks it and copies every entry.
/// </remarks>
public sealed class InMemoryDeviceCatalog : IDeviceCatalog, IPresenceWatchList, IFleetCatalog
{
    private readonly ConcurrentDictionary<string, DeviceCatalogEntry> _devices = new(StringComparer.Ordinal);

    public ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken)
    {
        _devices[entry.DeviceId] = entry;
        return ValueTask.CompletedTask;
    }

    public DeviceCatalogEntry? Find(string deviceId) => _devices.GetValueOrDefault(deviceId);

    public ValueTask<IReadOnlyList<string>> WatchersAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(
            _devices.Values.Where(e => e.Online && e.WatchedBy is not null).Select(e => e.WatchedBy!).Distinct().ToList());

    public ValueTask<IReadOnlyList<string>> WatchedByAsync(string watcher, string? afterDeviceId, int limit, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(
            _devices.Values
                .Where(e => e.Online && e.WatchedBy == watcher && string.CompareOrdinal(e.DeviceId, afterDeviceId) > 0)
                .Select(e => e.DeviceId)
                .Order(StringComparer.Ordinal)
                .Take(limit)
                .ToList());

    public ValueTask<IReadOnlyList<FleetCatalogGroup>> CountByTypeAndStatusAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<FleetCatalogGroup>>(
            _devices
                .CountBy(d => (d.Value.Type, d.Value.Active, d.Value.Online))
                .Select(g => new FleetCatalogGroup(g.Key.Type, g.Key.Active, g.Key.Online, g.Value))
                .ToList());

    public ValueTask<IReadOnlyList<SilentDevice>> SilentLongestAsync(int limit, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<SilentDevice>>(
            _devices
                .Select(d => d.Value)
                .Where(e => e.Active && !e.Online)
                .OrderBy(e => e.LastSeen ?? DateTimeOffset.MinValue)
                .ThenBy(e => e.DeviceId, StringComparer.Ordinal)
                .Take(limit)
                .Select(e => new SilentDevice(e.DeviceId, e.Name, e.Type, e.LastSeen))
                .ToList());
}
