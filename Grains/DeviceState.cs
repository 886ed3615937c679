using Orleans.IoT.Grains.Alerts;

namespace Orleans.IoT.Grains;

/// <summary>The persisted state of one device.</summary>
[GenerateSerializer, Alias("iot.device-state")]
public sealed class DeviceState
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string? Name { get; set; }
    [Id(2)] public string? Type { get; set; }
    [Id(3)] public string? FirmwareVersion { get; set; }
    [Id(4)] public string? HardwareVersion { get; set; }
    [Id(5)] public string? Location { get; set; }
    [Id(6)] public List<string> Capabilities { get; set; } = [];
    [Id(7)] public byte[]? TokenHash { get; set; }
    [Id(8)] public DateTimeOffset? CreatedAt { get; set; }
    [Id(9)] public DateTimeOffset? UpdatedAt { get; set; }
    [Id(10)] public double? RegisteredAt { get; set; }
    [Id(11)] public bool Online { get; set; }
    [Id(12)] public double? LastSeen { get; set; }
    [Id(13)] public string? Status { get; set; }
    [Id(14)] public string? StatusExtraJson { get; set; }
    [Id(15)] public DeviceMetrics Metrics { get; set; } = DeviceMetrics.None;
    [Id(16)] public Dictionary<string, SensorReading> Latest { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The alerts raised and not yet cleared; null when there are none, as for most devices most of the time.</summary>
    [Id(17)] public List<ActiveAlert>? Alerts { get; set; }

    /// <summary>The gateway holding the device's connection (its <c>Gateway:Id</c>); null when unknown or closed.</summary>
    [Id(18)] public string? Gateway { get; set; }

    /// <summary>A copy to go back to when a change cannot be stored.</summary>
    public DeviceState Copy()
    {
        var copy = (DeviceState)MemberwiseClone();
        copy.Capabilities = [.. Capabilities];
        copy.Latest = new Dictionary<string, SensorReading>(Latest, StringComparer.Ordinal);
        copy.Alerts = Alerts is null ? null : [.. Alerts];
        return copy;
    }
}
