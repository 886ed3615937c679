namespace Orleans.IoT;

[GenerateSerializer, Immutable, Alias("iot.register")]
public sealed record RegisterRequest(
    [property: Id(0)] string Name,
    [property: Id(1)] string Type,
    [property: Id(2)] string? FirmwareVersion,
    [property: Id(3)] string? HardwareVersion,
    [property: Id(4)] string? Location,
    [property: Id(5)] IReadOnlyList<string> Capabilities);

/// <summary>Heartbeat metrics; a null field was not reported.</summary>
[GenerateSerializer, Immutable, Alias("iot.metrics")]
public sealed record DeviceMetrics(
    [property: Id(0)] double? BatteryLevel,
    [property: Id(1)] double? SignalStrength,
    [property: Id(2)] double? MemoryUsage,
    [property: Id(3)] double? CpuUsage)
{
    public static readonly DeviceMetrics None = new(null, null, null, null);
}

/// <summary>A status report: the status word and the report's other fields as a JSON object.</summary>
[GenerateSerializer, Immutable, Alias("iot.status")]
public sealed record StatusReport(
    [property: Id(0)] string Status,
    [property: Id(1)] string? ExtraJson);

/// <summary>One sensor reading. <see cref="Timestamp"/> is the device's time (Unix seconds), or receive time.</summary>
[GenerateSerializer, Immutable, Alias("iot.reading")]
public sealed record SensorReading(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string SensorType,
    [property: Id(2)] double Value,
    [property: Id(3)] string? Unit,
    [property: Id(4)] double Timestamp,
    [property: Id(5)] string Quality);
