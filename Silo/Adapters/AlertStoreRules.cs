namespace Orleans.IoT.Silo.Adapters;

/// <summary>What both alert stores (in memory and in PostgreSQL) accept, and how they merge what they are told.</summary>
public static class AlertStoreRules
{
    /// <summary>The most alerts one read returns.</summary>
    public const int MaxReadLimit = IAlertReader.MaxReadLimit;

    /// <summary>
    /// Checks an alert before it is queued and returns it as the stores keep it (times to the microsecond, in UTC). A
    /// malformed alert is the caller's mistake, refused at once with an <see cref="ArgumentException"/>.
    /// </summary>
    public static Alert Accept(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentException.ThrowIfNullOrEmpty(alert.AlertId, nameof(alert.AlertId));
        ArgumentException.ThrowIfNullOrEmpty(alert.DeviceId, nameof(alert.DeviceId));
        ArgumentException.ThrowIfNullOrEmpty(alert.Rule, nameof(alert.Rule));
        ArgumentException.ThrowIfNullOrEmpty(alert.SensorType, nameof(alert.SensorType));
        ValidateSeverity(alert.Severity ?? throw new ArgumentNullException(nameof(alert.Severity)));
        if (alert.ClearedAt is null != alert.ClearedValue is null)
        {
            throw new ArgumentException("a cleared alert has both the time and the value it cleared at; an active one neither", nameof(alert.ClearedAt));
        }

        return alert with
        {
            RaisedAt = LifecycleAuditRules.Stored(alert.RaisedAt),
            ClearedAt = alert.ClearedAt is { } cleared ? LifecycleAuditRules.Stored(cleared) : null,
            AcknowledgedAt = alert.AcknowledgedAt is { } acknowledged ? LifecycleAuditRules.Stored(acknowledged) : null,
        };
    }

    /// <summary>
    /// What a store keeps when told of an alert it has: the first raise and the first clear stand (a clear is never
    /// undone, whatever order the two arrive in), and so does the first acknowledgement.
    /// </summary>
    public static Alert Merge(Alert kept, Alert told) => kept with
    {
        ClearedAt = kept.ClearedAt ?? told.ClearedAt,
        ClearedValue = kept.ClearedAt is null ? told.ClearedValue : kept.ClearedValue,
        AcknowledgedAt = kept.AcknowledgedAt ?? told.AcknowledgedAt,
        AcknowledgedBy = kept.AcknowledgedAt is null ? told.AcknowledgedBy : kept.AcknowledgedBy,
    };

    /// <summary>A severity to read by: one of <see cref="AlertSeverities.All"/>.</summary>
    public static void ValidateSeverity(string severity)
    {
        if (!AlertSeverities.IsValid(severity))
        {
            throw new ArgumentException($"the severity must be one of {string.Join(", ", AlertSeverities.All)}", nameof(severity));
        }
    }

    /// <summary>A state to read by: <see cref="AlertStates.Active"/> or <see cref="AlertStates.Cleared"/>.</summary>
    public static void ValidateState(string state)
    {
        if (state is not (AlertStates.Active or AlertStates.Cleared))
        {
            throw new ArgumentException($"the state must be {AlertStates.Active} or {AlertStates.Cleared}", nameof(state));
        }
    }

    /// <summary>A limit of 1 to <see cref="MaxReadLimit"/>.</summary>
    public static void ValidateLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxReadLimit);
    }

    /// <summary>A count for every severity, zero where <paramref name="counts"/> has none.</summary>
    public static IReadOnlyDictionary<string, long> EverySeverity(IReadOnlyDictionary<string, long> counts) =>
        AlertSeverities.All.ToDictionary(severity => severity, severity => counts.GetValueOrDefault(severity), StringComparer.Ordinal);
}
