using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>The device catalog kept in this process (the embedded default).</summary>
/// <remarks>
/// The fleet reads look at every entry (tens of milliseconds at 100,000 devices; README, "Performance"). They enumerate
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

    /// <summary>
    /// Keyed by type alone, which a string-keyed dictionary hashes several times faster than a (type, active, online)
    /// tuple; each type holds the four counts of (active, online), at index 2 * active + online.
    /// </summary>
    public ValueTask<IReadOnlyList<FleetCatalogGroup>> CountByTypeAndStatusAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (_, entry) in _devices)
        {
            ref var ofType = ref CollectionsMarshal.GetValueRefOrAddDefault(counts, entry.Type, out _);
            ofType ??= new long[4];
            ofType[(entry.Active ? 2 : 0) + (entry.Online ? 1 : 0)]++;
        }

        return ValueTask.FromResult<IReadOnlyList<FleetCatalogGroup>>(
            counts
                .SelectMany(c => Enumerable.Range(0, 4)
                    .Where(i => c.Value[i] > 0)
                    .Select(i => new FleetCatalogGroup(c.Key, Active: i >= 2, Online: i % 2 == 1, c.Value[i])))
                .ToList());
    }

    /// <summary>One pass keeping the <paramref name="limit"/> silent longest so far in a heap whose top is the least silent of them.</summary>
    public ValueTask<IReadOnlyList<SilentDevice>> SilentLongestAsync(int limit, CancellationToken cancellationToken)
    {
        var kept = new PriorityQueue<DeviceCatalogEntry, DeviceCatalogEntry>(limit + 1, LeastSilentFirst.Instance);
        foreach (var (_, entry) in _devices)
        {
            if (!entry.Active || entry.Online)
            {
                continue;
            }

            if (kept.Count < limit)
            {
                kept.Enqueue(entry, entry);
            }
            else if (LeastSilentFirst.Instance.Compare(entry, kept.Peek()) > 0)
            {
                kept.DequeueEnqueue(entry, entry);
            }
        }

        var silent = new SilentDevice[kept.Count];
        for (var i = silent.Length - 1; kept.TryDequeue(out var entry, out _); i--)
        {
            silent[i] = new SilentDevice(entry.DeviceId, entry.Name, entry.Type, entry.LastSeen);
        }

        return ValueTask.FromResult<IReadOnlyList<SilentDevice>>(silent);
    }

    /// <summary>Later last_seen first (never seen last), then the greater id first: the reverse of the report's order.</summary>
    private sealed class LeastSilentFirst : IComparer<DeviceCatalogEntry>
    {
        public static readonly LeastSilentFirst Instance = new();

        public int Compare(DeviceCatalogEntry? x, DeviceCatalogEntry? y)
        {
            var bySeen = Nullable.Compare(y!.LastSeen, x!.LastSeen);
            return bySeen != 0 ? bySeen : string.CompareOrdinal(y.DeviceId, x.DeviceId);
        }
    }
}
