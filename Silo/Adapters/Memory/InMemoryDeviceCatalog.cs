using System.Collections.Concurrent;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>The device catalog kept in this process (the embedded default).</summary>
public sealed class InMemoryDeviceCatalog : IDeviceCatalog, IPresenceWatchList
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
}
