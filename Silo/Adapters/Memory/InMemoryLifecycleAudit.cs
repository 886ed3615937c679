using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>
/// The lifecycle audit kept in this process (the embedded default): per device, the newest
/// <c>Audit:MaxEntriesPerDevice</c> entries (1,000 by default) by time; older ones are forgotten. An entry recorded
/// twice (same device, kind, id, state and time) is kept once, as PostgreSQL keeps it. Times are kept to the
/// microsecond, as PostgreSQL keeps them.
/// </summary>
public sealed class InMemoryLifecycleAudit(IOptions<AuditOptions> options) : ILifecycleAudit, ILifecycleAuditReader
{
    private readonly ConcurrentDictionary<string, DeviceLog> _devices = new(StringComparer.Ordinal);
    private readonly int _maxPerDevice = options.Value.MaxEntriesPerDevice;

    public ValueTask RecordAsync(LifecycleAuditEntry entry, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateEntry(entry);
        var stored = entry with { At = LifecycleAuditRules.Stored(entry.At) };
        var log = _devices.GetOrAdd(stored.DeviceId, static _ => new DeviceLog());
        lock (log)
        {
            if (!log.Keys.Add((stored.Kind, stored.Id, stored.State, stored.At)))
            {
                return ValueTask.CompletedTask;
            }

            // After every entry of the same time: entries of one time stay in the order they were recorded.
            log.Entries.Insert(log.IndexAfter(stored.At), stored);
            while (log.Entries.Count > _maxPerDevice)
            {
                var oldest = log.Entries[0];
                log.Entries.RemoveAt(0);
                log.Keys.Remove((oldest.Kind, oldest.Id, oldest.State, oldest.At));
            }
        }

        return ValueTask.CompletedTask;
    }

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadAsync(
        string deviceId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateRead(deviceId, from, to, limit);
        from = LifecycleAuditRules.Stored(from);
        to = LifecycleAuditRules.Stored(to);
        if (!_devices.TryGetValue(deviceId, out var log))
        {
            return Task.FromResult<IReadOnlyList<LifecycleAuditEntry>>([]);
        }

        var found = new List<LifecycleAuditEntry>();
        lock (log)
        {
            for (var i = log.IndexFrom(from); i < log.Entries.Count && found.Count < limit && log.Entries[i].At < to; i++)
            {
                found.Add(log.Entries[i]);
            }
        }

        return Task.FromResult<IReadOnlyList<LifecycleAuditEntry>>(found);
    }

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadLatestAsync(
        string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateRead(deviceId, kind, from, to, limit);
        from = LifecycleAuditRules.Stored(from);
        to = LifecycleAuditRules.Stored(to);
        if (!_devices.TryGetValue(deviceId, out var log))
        {
            return Task.FromResult<IReadOnlyList<LifecycleAuditEntry>>([]);
        }

        var latest = new HashSet<string>(StringComparer.Ordinal);
        lock (log)
        {
            var looked = 0;
            for (var i = log.IndexFrom(to) - 1; i >= 0 && latest.Count < limit && looked < LifecycleAuditRules.MaxReadLimit && log.Entries[i].At >= from; i--)
            {
                if (log.Entries[i].Kind == kind)
                {
                    latest.Add(log.Entries[i].Id);
                    looked++;
                }
            }

            return Task.FromResult<IReadOnlyList<LifecycleAuditEntry>>(
                [.. log.Entries.Where(e => e.Kind == kind && latest.Contains(e.Id)).Take(LifecycleAuditRules.MaxReadLimit)]);
        }
    }

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAsync(string deviceId, string kind, string id, int limit, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateReadOne(deviceId, kind, id, limit);
        if (!_devices.TryGetValue(deviceId, out var log))
        {
            return Task.FromResult<IReadOnlyList<LifecycleAuditEntry>>([]);
        }

        lock (log)
        {
            return Task.FromResult<IReadOnlyList<LifecycleAuditEntry>>([.. log.Entries.Where(e => e.Kind == kind && e.Id == id).Take(limit)]);
        }
    }

    /// <summary>Every entry kept for the device, oldest first: for tests.</summary>
    public IReadOnlyList<LifecycleAuditEntry> Read(string deviceId)
    {
        if (!_devices.TryGetValue(deviceId, out var log))
        {
            return [];
        }

        lock (log)
        {
            return [.. log.Entries];
        }
    }

    private sealed class DeviceLog
    {
        /// <summary>Oldest first; entries of one time in the order they were recorded.</summary>
        public List<LifecycleAuditEntry> Entries { get; } = [];

        public HashSet<(string Kind, string Id, string State, DateTimeOffset At)> Keys { get; } = [];

        /// <summary>The index of the first entry at or after <paramref name="at"/>.</summary>
        public int IndexFrom(DateTimeOffset at) => Search(at, includeEqual: false);

        /// <summary>The index of the first entry after <paramref name="at"/>.</summary>
        public int IndexAfter(DateTimeOffset at) => Search(at, includeEqual: true);

        private int Search(DateTimeOffset at, bool includeEqual)
        {
            // Entries mostly come in time order: look at the end first.
            if (Entries.Count == 0 || Entries[^1].At < at || (includeEqual && Entries[^1].At == at))
            {
                return Entries.Count;
            }

            int low = 0, high = Entries.Count;
            while (low < high)
            {
                var middle = (low + high) / 2;
                var before = includeEqual ? Entries[middle].At <= at : Entries[middle].At < at;
                if (before)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }
}
