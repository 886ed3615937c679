namespace Orleans.IoT.Grains.Alerts;

/// <summary>An accepted alert rule, ready to be evaluated on every reading of its sensor type.</summary>
public sealed class AlertCondition
{
    private readonly Comparison _comparison;

    public AlertCondition(AlertRule accepted)
    {
        Id = accepted.Id ?? throw new ArgumentException("the rule has not been accepted: it has no id", nameof(accepted));
        SensorType = accepted.SensorType!;
        DeviceType = accepted.DeviceType;
        Threshold = accepted.Threshold!.Value;
        ClearThreshold = accepted.ClearThreshold;
        Severity = accepted.Severity!;
        _comparison = accepted.Operator switch
        {
            AlertOperators.Greater => Comparison.Greater,
            AlertOperators.GreaterOrEqual => Comparison.GreaterOrEqual,
            AlertOperators.Less => Comparison.Less,
            AlertOperators.LessOrEqual => Comparison.LessOrEqual,
            AlertOperators.Equal => Comparison.Equal,
            _ => throw new ArgumentException("the rule has not been accepted: its operator is unknown", nameof(accepted)),
        };
    }

    private enum Comparison
    {
        Greater,
        GreaterOrEqual,
        Less,
        LessOrEqual,
        Equal,
    }

    public string Id { get; }

    public string SensorType { get; }

    /// <summary>The type of device the rule is for; null: every device.</summary>
    public string? DeviceType { get; }

    public double Threshold { get; }

    public double? ClearThreshold { get; }

    public string Severity { get; }

    public bool AppliesTo(string? deviceType) => DeviceType is null || string.Equals(DeviceType, deviceType, StringComparison.Ordinal);

    /// <summary>Whether an alert is raised by this value (none being active).</summary>
    public bool Holds(double value) => Compare(value, Threshold);

    /// <summary>Whether an active alert stays active at this value: against the clear threshold when there is one.</summary>
    public bool KeepsHolding(double value) => Compare(value, ClearThreshold ?? Threshold);

    private bool Compare(double value, double limit) => _comparison switch
    {
        Comparison.Greater => value > limit,
        Comparison.GreaterOrEqual => value >= limit,
        Comparison.Less => value < limit,
        Comparison.LessOrEqual => value <= limit,
        _ => value == limit,
    };
}
