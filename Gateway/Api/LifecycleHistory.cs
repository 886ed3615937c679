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

    /// <summary>Entries (oldest first) grouped by item, each item's oldest first, the most recently changed item first.</summary>
    public static IEnumerable<IReadOnlyList<LifecycleAuditEntry>> ByItem(IReadOnlyList<LifecycleAuditEntry> entries)
    {
        var items = new Dictionary<string, List<LifecycleAuditEntry>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!items.TryGetValue(entry.Id, out var item))
            {
                items[entry.Id] = item = [];
            }

            item.Add(entry);
        }

        return items.Values.OrderByDescending(item => item[^1].At);
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
