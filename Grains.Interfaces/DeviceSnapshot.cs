namespace Orleans.IoT;

/// <summary>What one device grain knows, for operators and tests.</summary>
[GenerateSerializer, Immutable, Alias("iot.snapshot")]
public sealed record DeviceSnapshot(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] bool Registered,
    [property: Id(2)] string? Name,
    [property: Id(3)] string? Type,
    [property: Id(4)] string? FirmwareVersion,
    [property: Id(5)] string? HardwareVersion,
    [property: Id(6)] string? Location,
    [property: Id(7)] IReadOnlyList<string> Capabilities,
    [property: Id(8)] double? RegisteredAt,
    [property: Id(9)] string Presence,
    [property: Id(10)] double? LastSeen,
    [property: Id(11)] string? Status,
    [property: Id(12)] string? StatusExtraJson,
    [property: Id(13)] DeviceMetrics Metrics,
    [property: Id(14)] IReadOnlyDictionary<string, SensorReading> Latest);
