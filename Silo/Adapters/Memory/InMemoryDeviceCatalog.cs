using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>The device catalog kept in this process (the embedded default).</summary>
/// <remarks>
/// The fleet reads do not look at every entry: the counts by type and status are kept as entries change, and the
/// silent longest are looked for among the registered offline devices only. The reads enumerate dictionaries
/// themselves, which takes no lock, rather than <c>Values</c>, which locks and copies every entry. The device list
/// reads the ids in order from where its previous page ended, a few hundred at a time under the lock, and their
/// entries from the dictionary: only a new device changes the order, so a changed entry costs it nothing.
/// </remarks>
public sealed class InMemoryDeviceCatalog : IDeviceCatalog, IPresenceWatchList, IFleetCatalog, IDeviceDirectory
{
    /// <summary>Ids the device list copies out of <see cref="_ids"/> per hold of the lock.</summary>
    private const int ListBatch = 256;

    private readonly ConcurrentDictionary<string, DeviceCatalogEntry> _devices = new(StringComparer.Ordinal);

    /// <summary>The registered offline devices: where the silent longest are.</summary>
    private readonly ConcurrentDictionary<string, DeviceCatalogEntry> _registeredOffline = new(StringComparer.Ordinal);

    /// <summary>
    /// Per type, the four counts of (active, online), at index 2 * active + online; a string key hashes several times
    /// faster than a (type, active, online) tuple. Guarded by <see cref="_changing"/>, as are the entries' replacements.
    /// </summary>
    private readonly Dictionary<string, long[]> _counts = new(StringComparer.Ordinal);

    /// <summary>Every device id, in order, for the device list. Guarded by <see cref="_changing"/>.</summary>
    private readonly SortedDeviceIds _ids = new();

    private readonly Lock _changing = new();

    public ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken)
    {
        lock (_changing)
        {
            if (_devices.TryGetValue(entry.DeviceId, out var previous))
            {
                CountsOf(previous.Type)[StatusIndex(previous)]--;
            }
            else
            {
                _ids.Add(entry.DeviceId);
            }

            _devices[entry.DeviceId] = entry;
            CountsOf(entry.Type)[StatusIndex(entry)]++;
            if (entry.Active && !entry.Online)
            {
                _registeredOffline[entry.DeviceId] = entry;
            }
            else
            {
                _registeredOffline.TryRemove(entry.DeviceId, out _);
            }
        }

        return ValueTask.CompletedTask;
    }

    private long[] CountsOf(string type)
    {
        ref var ofType = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, type, out _);
        return ofType ??= new long[4];
    }

    private static int StatusIndex(DeviceCatalogEntry entry) => (entry.Active ? 2 : 0) + (entry.Online ? 1 : 0);

    public DeviceCatalogEntry? Find(string deviceId) => _devices.GetValueOrDefault(deviceId);

    public ValueTask<IReadOnlyList<string>> WatchersAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(
            _devices.Select(d => d.Value).Where(e => e.Online && e.WatchedBy is not null).Select(e => e.WatchedBy!).Distinct().ToList());

    public ValueTask<IReadOnlyList<string>> WatchedByAsync(string watcher, string? afterDeviceId, int limit, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(
            _devices.Select(d => d.Value)
                .Where(e => e.Online && e.WatchedBy == watcher && string.CompareOrdinal(e.DeviceId, afterDeviceId) > 0)
                .Select(e => e.DeviceId)
                .Order(StringComparer.Ordinal)
                .Take(limit)
                .ToList());

    public ValueTask<IReadOnlyList<FleetCatalogGroup>> CountByTypeAndStatusAsync(CancellationToken cancellationToken)
    {
        var groups = new List<FleetCatalogGroup>();
        lock (_changing)
        {
            foreach (var (type, counts) in _counts)
            {
                for (var i = 0; i < counts.Length; i++)
                {
                    if (counts[i] > 0)
                    {
                        groups.Add(new FleetCatalogGroup(type, Active: i >= 2, Online: i % 2 == 1, counts[i]));
                    }
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<FleetCatalogGroup>>(groups);
    }

    /// <summary>One pass keeping the <paramref name="limit"/> silent longest so far in a heap whose top is the least silent of them.</summary>
    public ValueTask<IReadOnlyList<SilentDevice>> SilentLongestAsync(int limit, CancellationToken cancellationToken)
    {
        var kept = new PriorityQueue<DeviceCatalogEntry, DeviceCatalogEntry>(limit + 1, LeastSilentFirst.Instance);
        foreach (var (_, entry) in _registeredOffline)
        {
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

    /// <summary>
    /// Walks the ids in order from <see cref="DeviceQuery.AfterDeviceId"/>, a batch at a time, until one more than a page
    /// matches: a page needs no sort, and ids are only ever added, so the walk is stable while entries change. A filter
    /// that few entries match walks the fleet: 30 to 55 ms for 100,000 entries on the shared 2-core machine.
    /// </summary>
    public Task<DevicePage> ListAsync(DeviceQuery query, CancellationToken cancellationToken)
    {
        var devices = new List<DeviceSummary>(query.Limit);
        var batch = new string[ListBatch];
        var name = query.NameContains is null ? null : SearchValues.Create([query.NameContains], StringComparison.OrdinalIgnoreCase);
        var after = query.AfterDeviceId;
        while (true)
        {
            int copied;
            lock (_changing)
            {
                copied = _ids.CopyAfter(after, batch);
            }

            for (var i = 0; i < copied; i++)
            {
                var entry = _devices[batch[i]];
                if (!Matches(entry, query, name))
                {
                    continue;
                }

                if (devices.Count == query.Limit)
                {
                    return Task.FromResult(new DevicePage(devices, HasMore: true));
                }

                devices.Add(Summary(entry));
            }

            if (copied < batch.Length)
            {
                return Task.FromResult(new DevicePage(devices, HasMore: false));
            }

            after = batch[copied - 1];
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// The same filters as the PostgreSQL catalog's query; the name by ordinal case-insensitive comparison, through
    /// <see cref="SearchValues{T}"/> made for the query (several times faster than <c>string.Contains</c> per name).
    /// </summary>
    private static bool Matches(DeviceCatalogEntry entry, DeviceQuery query, SearchValues<string>? name) =>
        (query.Status is null || DeviceStatuses.Of(entry.Active, entry.Online) == query.Status)
        && (query.Type is null || entry.Type == query.Type)
        && (query.Location is null || entry.Location == query.Location)
        && (name is null || entry.Name.AsSpan().ContainsAny(name));

    private static DeviceSummary Summary(DeviceCatalogEntry entry) => new(
        entry.DeviceId,
        entry.Name,
        entry.Type,
        entry.Location,
        entry.FirmwareVersion,
        entry.HardwareVersion,
        entry.Capabilities,
        DeviceStatuses.Of(entry.Active, entry.Online),
        entry.LastSeen,
        entry.CreatedAt,
        entry.UpdatedAt);

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
