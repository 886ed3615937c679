using System.Text.Json;

namespace Orleans.IoT.Silo.Adapters;

/// <summary>What both lifecycle audits (in memory and in PostgreSQL) accept, and how they keep time.</summary>
public static class LifecycleAuditRules
{
    /// <summary>The most entries one read returns.</summary>
    public const int MaxReadLimit = ILifecycleAuditReader.MaxReadLimit;

    /// <summary>
    /// Checks an entry before it is queued. A malformed entry is the caller's mistake, not a store failure: it is
    /// refused at once with an <see cref="ArgumentException"/>, in every profile, rather than lost later.
    /// </summary>
    public static void ValidateEntry(LifecycleAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.DeviceId, nameof(entry.DeviceId));
        ArgumentException.ThrowIfNullOrEmpty(entry.Kind, nameof(entry.Kind));
        ArgumentException.ThrowIfNullOrEmpty(entry.Id, nameof(entry.Id));
        ArgumentException.ThrowIfNullOrEmpty(entry.State, nameof(entry.State));
        if (entry.DetailJson is null)
        {
            return;
        }

        try
        {
            using var detail = JsonDocument.Parse(entry.DetailJson);
            if (detail.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException("the detail of an audit entry must be a JSON object or null", nameof(entry.DetailJson));
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("the detail of an audit entry is not valid JSON", nameof(entry.DetailJson), ex);
        }
    }

    /// <summary>Checks a read's arguments: a device, <c>from &lt; to</c>, and a limit of 1 to <see cref="MaxReadLimit"/>.</summary>
    public static void ValidateRead(string deviceId, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        if (from >= to)
        {
            throw new ArgumentException("the range's start must lie before its end", nameof(from));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxReadLimit);
    }

    /// <summary>Checks a read of one kind's entries: a kind, and the range and limit as <see cref="ValidateRead"/> does.</summary>
    public static void ValidateRead(string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ValidateRead(deviceId, from, to, limit);
    }

    /// <summary>Checks a read of one command, config change or update: a device, a kind, an id and a limit of 1 to <see cref="MaxReadLimit"/>.</summary>
    public static void ValidateReadOne(string deviceId, string kind, string id, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxReadLimit);
    }

    /// <summary>
    /// A time as the audit keeps it: in UTC, to the microsecond PostgreSQL stores (earlier ticks are dropped), so that
    /// both adapters key, compare and return the same times.
    /// </summary>
    public static DateTimeOffset Stored(DateTimeOffset at)
    {
        var ticks = at.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
    }
}
