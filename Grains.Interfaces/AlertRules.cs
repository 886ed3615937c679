namespace Orleans.IoT;

/// <summary>
/// An alert rule as configuration (<c>Alerts:Rules</c>) or an operator gives it: <c>value Operator Threshold</c> on
/// readings of <see cref="SensorType"/> (of devices of <see cref="DeviceType"/>, or of every device when it is null)
/// raises an alert of <see cref="Severity"/>. With <see cref="ClearThreshold"/> the alert clears only when
/// <c>value Operator ClearThreshold</c> stops holding (hysteresis). Every field but the three optional ones is
/// required; a rule is checked when it is accepted, and an accepted rule always has an <see cref="Id"/> (derived from
/// the rule when none is given).
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.alert-rule")]
public sealed record AlertRule
{
    [Id(0)] public string? Id { get; init; }
    [Id(1)] public string? SensorType { get; init; }
    [Id(2)] public string? DeviceType { get; init; }
    [Id(3)] public string? Operator { get; init; }
    [Id(4)] public double? Threshold { get; init; }
    [Id(5)] public string? Severity { get; init; }
    [Id(6)] public double? ClearThreshold { get; init; }
}

/// <summary>The comparison operators a rule may use.</summary>
public static class AlertOperators
{
    public const string Greater = ">";
    public const string GreaterOrEqual = ">=";
    public const string Less = "<";
    public const string LessOrEqual = "<=";
    public const string Equal = "==";

    public static readonly IReadOnlyList<string> All = [Greater, GreaterOrEqual, Less, LessOrEqual, Equal];
}

/// <summary>The rules in force, every one accepted; <see cref="Version"/> grows with each change.</summary>
[GenerateSerializer, Immutable, Alias("iot.alert-rule-set")]
public sealed record AlertRuleSet(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyList<AlertRule> Rules)
{
    /// <summary>The most rules the fleet may have at once.</summary>
    public const int MaxRules = 100;
}

/// <summary>What became of an operator's new rules: refused (naming the rule and field), or the rule set now in force.</summary>
[GenerateSerializer, Immutable, Alias("iot.alert-rules-outcome")]
public sealed record AlertRulesOutcome(
    [property: Id(0)] DeviceResult Result,
    [property: Id(1)] AlertRuleSet? Rules);
