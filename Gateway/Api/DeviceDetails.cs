using System.Text.Json;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// One device's full state as <c>GET /api/v1/devices/{device_id}</c> answers it, composed from what its grain holds:
/// registration, status, metrics, latest readings, configuration, the commands not yet ended and firmware updates.
/// Only fields an operator may see: no token or token hash exists in any of the sources, and the device's status
/// report holds its payload's fields without <c>auth_token</c> (the gateway strips credentials before the grain).
/// Times are RFC 3339; the JSON objects of the lifecycles (parameters, configuration) are embedded as JSON.
/// </summary>
/// <param name="RegisteredAt">When the device last registered (or renewed its registration).</param>
/// <param name="Status">One of <see cref="DeviceStatuses"/>.</param>
/// <param name="StatusReport">What the device last reported on its status route, or null.</param>
/// <param name="Latest">The latest reading of each sensor type, by sensor type.</param>
/// <param name="PendingCommands">The commands that have not ended (queued, sent or delivered), oldest first.</param>
public sealed record DeviceDetails(
    string DeviceId,
    string? Name,
    string? Type,
    string? Location,
    string? FirmwareVersion,
    string? HardwareVersion,
    IReadOnlyList<string> Capabilities,
    DateTimeOffset? RegisteredAt,
    string Status,
    DateTimeOffset? LastSeen,
    DeviceStatusReport? StatusReport,
    DeviceMetrics Metrics,
    IReadOnlyDictionary<string, LatestReading> Latest,
    DeviceConfigState Config,
    IReadOnlyList<PendingCommand> PendingCommands,
    DeviceFirmwareState Firmware)
{
    public static DeviceDetails From(
        DeviceSnapshot snapshot, ConfigTwin config, IReadOnlyList<CommandStatus> commands, IReadOnlyList<FirmwareStatus> firmwareUpdates)
    {
        var latest = new Dictionary<string, LatestReading>(snapshot.Latest.Count, StringComparer.Ordinal);
        foreach (var (sensorType, reading) in snapshot.Latest)
        {
            latest[sensorType] = new LatestReading(reading.Value, reading.Unit, reading.Quality, At(reading.Timestamp));
        }

        var inFlight = firmwareUpdates.FirstOrDefault(u => !FirmwareStates.IsFinal(u.State));
        return new DeviceDetails(
            snapshot.DeviceId,
            snapshot.Name,
            snapshot.Type,
            snapshot.Location,
            snapshot.FirmwareVersion,
            snapshot.HardwareVersion,
            snapshot.Capabilities,
            snapshot.RegisteredAt is { } registeredAt ? At(registeredAt) : null,
            snapshot.Presence,
            snapshot.LastSeen is { } lastSeen ? At(lastSeen) : null,
            snapshot.Status is { } status ? new DeviceStatusReport(status, Json(snapshot.StatusExtraJson)) : null,
            snapshot.Metrics,
            latest,
            new DeviceConfigState(
                JsonElement.Parse(config.DesiredJson),
                config.DesiredVersion,
                Json(config.ReportedJson),
                config.ReportedVersion,
                JsonElement.Parse(config.DeltaJson)),
            [.. commands.Where(c => !CommandStates.IsFinal(c.State)).Select(PendingCommand.From)],
            new DeviceFirmwareState(
                inFlight is null ? null : FirmwareUpdate.From(inFlight),
                [.. firmwareUpdates.Where(u => FirmwareStates.IsFinal(u.State)).Select(FirmwareUpdate.From)]));
    }

    /// <summary>A time the grains keep as Unix seconds.</summary>
    internal static DateTimeOffset At(double unixSeconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(unixSeconds * 1000));

    /// <summary>JSON text the grains keep (always written by the gateway or the grain), embedded as JSON.</summary>
    internal static JsonElement? Json(string? text) => text is null ? null : JsonElement.Parse(text);
}

/// <summary>The device's last status report: its status word and the report's other fields (an object), if any.</summary>
public sealed record DeviceStatusReport(string Status, JsonElement? Details);

/// <summary>A sensor type's latest reading; <paramref name="Timestamp"/> is the device's time, or receive time.</summary>
public sealed record LatestReading(double Value, string? Unit, string Quality, DateTimeOffset Timestamp);

/// <summary>
/// The device twin: the desired configuration (every update merged) and its version, what the device last reported
/// (null: nothing yet) and the version it reported it for, and the desired values the device does not report yet.
/// </summary>
public sealed record DeviceConfigState(JsonElement Desired, int DesiredVersion, JsonElement? Reported, int ReportedVersion, JsonElement Delta);

/// <summary>A command that has not ended.</summary>
public sealed record PendingCommand(
    string CommandId,
    string Command,
    JsonElement? Parameters,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset UpdatedAt)
{
    public static PendingCommand From(CommandStatus command) => new(
        command.CommandId,
        command.Command,
        DeviceDetails.Json(command.ParametersJson),
        command.State,
        DeviceDetails.At(command.CreatedAt),
        DeviceDetails.At(command.ExpiresAt),
        DeviceDetails.At(command.UpdatedAt));
}

/// <summary>The firmware update in flight (null: none) and the recently ended ones, oldest first.</summary>
public sealed record DeviceFirmwareState(FirmwareUpdate? InFlight, IReadOnlyList<FirmwareUpdate> Recent);

/// <summary>A firmware update; <paramref name="Progress"/> is the device's last reported percentage.</summary>
public sealed record FirmwareUpdate(
    string UpdateId,
    string Version,
    string Url,
    string Checksum,
    string State,
    double? Progress,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Error)
{
    public static FirmwareUpdate From(FirmwareStatus update) => new(
        update.UpdateId,
        update.Version,
        update.Url,
        update.Checksum,
        update.State,
        update.Progress,
        DeviceDetails.At(update.CreatedAt),
        DeviceDetails.At(update.UpdatedAt),
        update.Error);
}
