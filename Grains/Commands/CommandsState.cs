namespace Orleans.IoT.Grains.Commands;

/// <summary>A device's commands, persisted apart from the rest of its state and written only when a command changes.</summary>
[GenerateSerializer, Alias("iot.commands-state")]
public sealed class CommandsState
{
    /// <summary>Open commands and the most recently ended ones (kept to answer a repeated id), oldest first.</summary>
    [Id(0)] public List<CommandRecord> Commands { get; set; } = [];
}

/// <summary>One command as the grain keeps it. Times are Unix seconds.</summary>
[GenerateSerializer, Alias("iot.command-record")]
public sealed class CommandRecord
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Command { get; init; }
    [Id(2)] public string? ParametersJson { get; init; }
    [Id(3)] public string State { get; set; } = CommandStates.Queued;
    [Id(4)] public double CreatedAt { get; init; }
    [Id(5)] public double ExpiresAt { get; init; }
    [Id(6)] public double UpdatedAt { get; set; }
    [Id(7)] public string? ResultJson { get; set; }
    [Id(8)] public string? Error { get; set; }

    public bool IsOpen => !CommandStates.IsFinal(State);

    public CommandStatus ToStatus(string deviceId) =>
        new(deviceId, Id, Command, ParametersJson, State, CreatedAt, ExpiresAt, UpdatedAt, ResultJson, Error);
}
