using System.Text.Json;

namespace Orleans.IoT.Gateway.Api;

/// <summary>A state a command or firmware update passed through, and when, as the lifecycle audit records it.</summary>
public sealed record LifecycleState(string State, DateTimeOffset At);

/// <summary>
/// Commands and firmware updates as the API answers them from the device grain's statuses (times in Unix seconds, JSON
/// as text) and from the lifecycle audit's entries (one item's entries, oldest first: its newest state and detail).
/// </summary>
public static class LifecycleHistory
{
    public const int DefaultListLimit = 20;

    public const int MaxListLimit = 100;

    /// <summary>The most entries read for one command or update: far more states than a lifecycle has.</summary>
    public const int MaxEntriesPerItem = 50;

    /// <summary>Where a range read from the audit starts by default: 2000-01-01, before any time the system keeps.</summary>
    public static readonly DateTimeOffset Beginning = DateTimeOffset.UnixEpoch.AddSeconds(Messaging.RequestReader.MinTimestamp);

    /// <summary>
    /// Entries (oldest first, in the order recorded) grouped by item, each item's oldest first, the most recently changed
    /// item first: the one whose last entry comes latest, which also orders items changed within the same millisecond.
    /// </summary>
    public static IEnumerable<IReadOnlyList<LifecycleAuditEntry>> ByItem(IReadOnlyList<LifecycleAuditEntry> entries)
    {
        var items = new Dictionary<string, (List<LifecycleAuditEntry> Entries, int Last)>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var item = items.TryGetValue(entry.Id, out var known) ? known.Entries : [];
            item.Add(entry);
            items[entry.Id] = (item, i);
        }

        return items.Values.OrderByDescending(item => item.Last).Select(item => (IReadOnlyList<LifecycleAuditEntry>)item.Entries);
    }

    public static IReadOnlyList<LifecycleState> States(IReadOnlyList<LifecycleAuditEntry> entries) =>
        [.. entries.Select(e => new LifecycleState(e.State, e.At))];

    /// <summary>What the newest entry says of the item (the command, the firmware, a result or error), as a JSON object.</summary>
    public static JsonDocument Detail(IReadOnlyList<LifecycleAuditEntry> entries) => JsonDocument.Parse(entries[^1].DetailJson ?? "{}");

    /// <summary>The property of <paramref name="detail"/>, when it has it and it is not null.</summary>
    public static JsonElement? Property(JsonElement detail, string name) =>
        detail.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    /// <summary>A grain's Unix seconds as a time of the API.</summary>
    public static DateTimeOffset Time(double unixSeconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)(unixSeconds * 1000));

    /// <summary>A JSON value a grain holds as text, as the API answers it (null stays null).</summary>
    public static JsonElement? Json(string? json) => json is null ? null : JsonElement.Parse(json);
}
