namespace Orleans.IoT.Grains.Alerts;

/// <summary>The rules an operator set last, and their version; nothing is stored while the configured rules are in force.</summary>
[GenerateSerializer, Alias("iot.alert-rules-state")]
public sealed class AlertRulesState
{
    [Id(0)] public long Version { get; set; }
    [Id(1)] public List<AlertRule> Rules { get; set; } = [];
}
