namespace Orleans.IoT.Grains.Config;

/// <summary>A device's configuration twin, persisted apart from the rest of its state.</summary>
[GenerateSerializer, Alias("iot.config-state")]
public sealed class ConfigState
{
    [Id(0)] public string DesiredJson { get; set; } = "{}";
    [Id(1)] public int DesiredVersion { get; set; }
    [Id(2)] public string? ReportedJson { get; set; }
    [Id(3)] public int ReportedVersion { get; set; }

    /// <summary>The recent updates, oldest first (bounded).</summary>
    [Id(4)] public List<ConfigRecord> Updates { get; set; } = [];
}

/// <summary>One configuration update as the grain keeps it; <see cref="UpdatesJson"/> is what the device is sent.</summary>
[GenerateSerializer, Alias("iot.config-record")]
public sealed class ConfigRecord
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public int Version { get; init; }
    [Id(2)] public required string UpdatesJson { get; set; }
    [Id(3)] public string State { get; set; } = ConfigStates.Pending;
    [Id(4)] public double UpdatedAt { get; set; }
    [Id(5)] public string? Error { get; set; }

    public ConfigStatus ToStatus(string deviceId) => new(deviceId, Id, Version, State, UpdatesJson, UpdatedAt, Error);
}
