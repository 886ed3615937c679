namespace Orleans.IoT;

/// <summary>The states of one configuration update: waiting for the device, sent to it, or its answer.</summary>
public static class ConfigStates
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Applied = "applied";
    public const string Rejected = "rejected";

    public static bool IsReportable(string state) => state is Applied or Rejected;
}

/// <summary>An operator's configuration update: a JSON merge patch of the desired configuration.</summary>
/// <param name="ConfigId">Makes a retried update idempotent; null means the grain makes one.</param>
[GenerateSerializer, Immutable, Alias("iot.config-update")]
public sealed record ConfigUpdate(
    [property: Id(0)] string? ConfigId,
    [property: Id(1)] string UpdatesJson);

/// <summary>A device's answer to one configuration update; <paramref name="ReportedJson"/> is its whole configuration, when given.</summary>
[GenerateSerializer, Immutable, Alias("iot.config-report")]
public sealed record ConfigReport(
    [property: Id(0)] string Status,
    [property: Id(1)] string? ReportedJson,
    [property: Id(2)] string? Error);

/// <summary>One configuration update and where it stands. Times are Unix seconds.</summary>
[GenerateSerializer, Immutable, Alias("iot.config-status")]
public sealed record ConfigStatus(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string ConfigId,
    [property: Id(2)] int Version,
    [property: Id(3)] string State,
    [property: Id(4)] string UpdatesJson,
    [property: Id(5)] double UpdatedAt,
    [property: Id(6)] string? Error);

/// <summary>
/// The device twin: the desired configuration (every update merged, with its version), what the device last
/// reported, and the difference: the desired values the device does not report yet.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.config-twin")]
public sealed record ConfigTwin(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string DesiredJson,
    [property: Id(2)] int DesiredVersion,
    [property: Id(3)] string? ReportedJson,
    [property: Id(4)] int ReportedVersion,
    [property: Id(5)] string DeltaJson,
    [property: Id(6)] IReadOnlyList<ConfigStatus> Updates);

/// <summary>
/// What became of an operator's update: refused, or its status; <paramref name="Repeated"/> when its id was already
/// known, so that the status is the first one's and nothing was applied again.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.config-outcome")]
public sealed record ConfigOutcome(
    [property: Id(0)] DeviceResult Result,
    [property: Id(1)] ConfigStatus? Status,
    [property: Id(2)] bool Repeated = false) : IOperatorOutcome;
