namespace Orleans.IoT.Grains.Alerts;

/// <summary>An alert a device has raised and not yet cleared, as its grain keeps it (in <see cref="DeviceState.Alerts"/>).</summary>
[GenerateSerializer, Immutable, Alias("iot.active-alert")]
public sealed class ActiveAlert
{
    [Id(0)] public required string AlertId { get; init; }
    [Id(1)] public required string Rule { get; init; }
    [Id(2)] public required string SensorType { get; init; }
    [Id(3)] public required string Severity { get; init; }
    [Id(4)] public double Threshold { get; init; }
    [Id(5)] public double RaisedValue { get; init; }
    [Id(6)] public DateTimeOffset RaisedAt { get; init; }

    public Alert ToAlert(string deviceId) => new(AlertId, deviceId, Rule, SensorType, Severity, Threshold, RaisedValue, RaisedAt);
}
