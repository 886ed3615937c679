namespace Orleans.IoT;

/// <summary>
/// One state a command, configuration change or firmware update passed through (DESIGN §1: the audit in
/// PostgreSQL). <paramref name="Kind"/> is <c>command</c>, <c>config</c> or <c>firmware</c>; <paramref name="Id"/> is
/// the command, config or update id; <paramref name="DetailJson"/> is a JSON object with what the state carries
/// (the command and its parameters, the config updates, a result or error), or null.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.audit-entry")]
public sealed record LifecycleAuditEntry(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Id,
    [property: Id(3)] string State,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string? DetailJson);

/// <summary>The kinds of <see cref="LifecycleAuditEntry"/>.</summary>
public static class LifecycleAuditKinds
{
    public const string Command = "command";
    public const string Config = "config";
    public const string Firmware = "firmware";
}

/// <summary>Reads the audit: what operators and the HTTP API ask about a device's commands, configs and updates.</summary>
public interface ILifecycleAuditReader
{
    /// <summary>The most entries one read returns.</summary>
    public const int MaxReadLimit = 1000;

    /// <summary>A device's entries with <c>from &lt;= At &lt; to</c>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<LifecycleAuditEntry>> ReadAsync(string deviceId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// A device's latest commands, config changes or firmware updates (of <paramref name="kind"/>): the ones with an
    /// entry in <c>from &lt;= At &lt; to</c>, most recently changed first, at most <paramref name="limit"/> of them
    /// (looked for among the range's newest <see cref="MaxReadLimit"/> entries of that kind). Returns every entry each
    /// of them has, those outside the range included, oldest first, at most <see cref="MaxReadLimit"/>.
    /// </summary>
    Task<IReadOnlyList<LifecycleAuditEntry>> ReadLatestAsync(
        string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken);

    /// <summary>The entries of one command, config change or firmware update of a device, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAsync(string deviceId, string kind, string id, int limit, CancellationToken cancellationToken);
}
