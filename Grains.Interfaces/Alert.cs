namespace Orleans.IoT;

/// <summary>
/// An alert: raised once when a rule starts to hold on a device's readings, cleared once when it stops holding
/// (DESIGN §3). It is published on <c>iot/alerts/{severity}/{device_id}</c> at each of the two, stored, and may be
/// acknowledged by an operator (which does not clear it). Times are the server's, in UTC.
/// </summary>
/// <param name="Rule">The id of the rule that raised it.</param>
/// <param name="Threshold">The rule's threshold when it was raised.</param>
/// <param name="RaisedValue">The reading's value that raised it.</param>
/// <param name="ClearedValue">The reading's value that cleared it; null while it is active.</param>
[GenerateSerializer, Immutable, Alias("iot.alert")]
public sealed record Alert(
    [property: Id(0)] string AlertId,
    [property: Id(1)] string DeviceId,
    [property: Id(2)] string Rule,
    [property: Id(3)] string SensorType,
    [property: Id(4)] string Severity,
    [property: Id(5)] double Threshold,
    [property: Id(6)] double RaisedValue,
    [property: Id(7)] DateTimeOffset RaisedAt,
    [property: Id(8)] double? ClearedValue = null,
    [property: Id(9)] DateTimeOffset? ClearedAt = null,
    [property: Id(10)] DateTimeOffset? AcknowledgedAt = null,
    [property: Id(11)] string? AcknowledgedBy = null)
{
    /// <summary><see cref="AlertStates.Active"/> until it is cleared.</summary>
    public string State => ClearedAt is null ? AlertStates.Active : AlertStates.Cleared;

    /// <summary>The value of the reading that raised it, or that cleared it once cleared.</summary>
    public double Value => ClearedValue ?? RaisedValue;

    /// <summary>When it was raised, or cleared once cleared.</summary>
    public DateTimeOffset ChangedAt => ClearedAt ?? RaisedAt;
}

/// <summary>The two states of an alert, as they appear on the wire and in the store.</summary>
public static class AlertStates
{
    public const string Active = "active";
    public const string Cleared = "cleared";
}

/// <summary>The fixed set of severities: each is an MQTT topic level of <c>iot/alerts/{severity}/{device_id}</c>.</summary>
public static class AlertSeverities
{
    public const string Info = "info";
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";
    public const string Critical = "critical";

    /// <summary>Every severity, least severe first.</summary>
    public static readonly IReadOnlyList<string> All = [Info, Low, Medium, High, Critical];

    public static bool IsValid(string? severity) => severity is Info or Low or Medium or High or Critical;
}
