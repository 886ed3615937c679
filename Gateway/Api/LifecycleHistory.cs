using System.Text.Json;

namespace Orleans.IoT.Gateway.Api;

/// <summary>A state a command or firmware update passed through, and when, as the lifecycle audit records it.</summary>
public sealed record LifecycleState(string State, DateTimeOffset At);

/// <summary>
/// Commands and firmware updates as the lifecycle audit records them: one the device grain no longer holds (it keeps
/// only its recent ones), and a device's latest, for <c>GET .../commands</c> and <c>GET .../firmware</c>.
/// </summary>
public static class LifecycleHistory
{
    public const int DefaultListLimit = 20;

    public const int MaxListLimit = 100;

    /// <summary>The most entries read for one command or update: far more states than a lifecycle has.</summary>
    public const int MaxEntriesPerItem = 50;

    /// <summary>
    /// The device's latest items of <paramref name="kind"/> that changed within <c>from</c>..<c>to</c> (by default since
    /// 2000 and up to a day ahead), most recently changed first, at most <c>limit</c>, each with its entries oldest first;
    /// or the problem with the parameters.
    /// </summary>
    public static async Task<(IReadOnlyList<IReadOnlyList<LifecycleAuditEntry>>? Items, ApiProblem? Problem)> ReadLatestAsync(
        ILifecycleAuditReader audit,
        TimeProvider clock,
        string deviceId,
        string kind,
        string? from,
        string? to,
        string? limit,
        CancellationToken cancellationToken)
    {
        if (!ApiRequests.TryLimit(limit, DefaultListLimit, MaxListLimit, out var count, out var problem)
            || !ApiRequests.TryRange(from, to, DateTimeOffset.UnixEpoch.AddSeconds(Messaging.RequestReader.MinTimestamp), clock.GetUtcNow().AddDays(1), out var range, out problem))
        {
            return (null, problem);
        }

        var entries = await audit.ReadLatestAsync(deviceId, kind, range.From, range.To, count, cancellationToken);
        return (ByItem(entries), null);
    }

    /// <summary>One command's or update's entries, oldest first; empty when the audit has none.</summary>
    public static Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAsync(
        ILifecycleAuditReader audit, string deviceId, string kind, string id, CancellationToken cancellationToken) =>
        audit.ReadOneAsync(deviceId, kind, id, MaxEntriesPerItem, cancellationToken);

    public static IReadOnlyList<LifecycleState> States(IReadOnlyList<LifecycleAuditEntry> entries) =>
        [.. entries.Select(e => new LifecycleState(e.State, e.At))];

    /// <summary>What the newest entry says of the item (the command, the firmware, a result or error), as a JSON object.</summary>
    public static JsonDocument Detail(IReadOnlyList<LifecycleAuditEntry> entries) => JsonDocument.Parse(entries[^1].DetailJson ?? "{}");

    /// <summary>A grain's Unix seconds as a time of the API.</summary>
    public static DateTimeOffset Time(double unixSeconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)(unixSeconds * 1000));

    /// <summary>A JSON object or value held as text, as the API answers it (null stays null).</summary>
    public static JsonElement? Json(string? json) => json is null ? null : JsonElement.Parse(json);

    /// <summary>The property of <paramref name="detail"/>, when it has it and it is not null.</summary>
    public static JsonElement? Property(JsonElement detail, string name) =>
        detail.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    /// <summary>Entries (oldest first) grouped by item, the most recently changed item first.</summary>
    private static List<IReadOnlyList<LifecycleAuditEntry>> ByItem(IReadOnlyList<LifecycleAuditEntry> entries)
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

        return [.. items.Values.OrderByDescending(item => item[^1].At).Select(item => (IReadOnlyList<LifecycleAuditEntry>)item)];
    }
}
