namespace Orleans.IoT;

/// <summary>A device came online or went offline (<c>iot/events/presence/{device_id}</c>). Times are Unix seconds.</summary>
[GenerateSerializer, Immutable, Alias("iot.presence-change")]
public sealed record PresenceChange(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] bool Online,
    [property: Id(2)] string Reason,
    [property: Id(3)] double Timestamp);
