namespace Orleans.IoT.Grains.Firmware;

/// <summary>A device's firmware updates, persisted apart from the rest of its state and written only when an update changes.</summary>
[GenerateSerializer, Alias("iot.firmware-updates-state")]
public sealed class FirmwareUpdatesState
{
    /// <summary>The update in flight, if any: a device has at most one.</summary>
    [Id(0)] public FirmwareUpdateRecord? Current { get; set; }

    /// <summary>The most recently ended updates (kept to answer a repeated id), oldest first.</summary>
    [Id(1)] public List<FirmwareUpdateRecord> Ended { get; set; } = [];

    /// <summary>A copy to go back to when a change cannot be stored.</summary>
    public FirmwareUpdatesState Copy() => new()
    {
        Current = Current?.Copy(),
        Ended = [.. Ended], // ended records no longer change
    };
}

/// <summary>One firmware update as the grain keeps it. Times are Unix seconds.</summary>
[GenerateSerializer, Alias("iot.firmware-update-record")]
public sealed class FirmwareUpdateRecord
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Version { get; init; }
    [Id(2)] public required string Url { get; init; }
    [Id(3)] public required string Checksum { get; init; }
    [Id(4)] public string State { get; set; } = FirmwareStates.Initiated;
    [Id(5)] public double? Progress { get; set; }
    [Id(6)] public double CreatedAt { get; init; }
    [Id(7)] public double UpdatedAt { get; set; }
    [Id(8)] public string? Error { get; set; }

    public bool IsOpen => !FirmwareStates.IsFinal(State);

    public FirmwareUpdateRecord Copy() => (FirmwareUpdateRecord)MemberwiseClone();

    public FirmwareStatus ToStatus(string deviceId) =>
        new(deviceId, Id, Version, Url, Checksum, State, Progress, CreatedAt, UpdatedAt, Error);
}
