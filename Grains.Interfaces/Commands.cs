namespace Orleans.IoT;

/// <summary>The states of a command (DESIGN §3); the last four end it.</summary>
public static class CommandStates
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Rejected = "rejected";
    public const string Expired = "expired";

    public static bool IsFinal(string state) => state is Succeeded or Failed or Rejected or Expired;

    /// <summary>What a device may report: <c>delivered</c>, then one of the outcomes.</summary>
    public static bool IsReportable(string state) => state is Delivered or Succeeded or Failed or Rejected;
}

/// <summary>An operator's command for a device. <see cref="CommandId"/> null means the grain makes one.</summary>
/// <param name="ParametersJson">The <c>parameters</c> object as JSON text, or null.</param>
[GenerateSerializer, Immutable, Alias("iot.command-request")]
public sealed record CommandRequest(
    [property: Id(0)] string? CommandId,
    [property: Id(1)] string Command,
    [property: Id(2)] string? ParametersJson,
    [property: Id(3)] int TtlSeconds);

/// <summary>A device's report on one of its commands (<c>control/{device_id}/command/{command_id}/result</c>).</summary>
/// <param name="ResultJson">The <c>result</c> value as JSON text, or null.</param>
[GenerateSerializer, Immutable, Alias("iot.command-report")]
public sealed record CommandReport(
    [property: Id(0)] string Status,
    [property: Id(1)] string? ResultJson,
    [property: Id(2)] string? Error);

/// <summary>Where a command stands. Times are Unix seconds.</summary>
[GenerateSerializer, Immutable, Alias("iot.command-status")]
public sealed record CommandStatus(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string CommandId,
    [property: Id(2)] string Command,
    [property: Id(3)] string? ParametersJson,
    [property: Id(4)] string State,
    [property: Id(5)] double CreatedAt,
    [property: Id(6)] double ExpiresAt,
    [property: Id(7)] double UpdatedAt,
    [property: Id(8)] string? ResultJson,
    [property: Id(9)] string? Error);

/// <summary>
/// What became of an operator's command: refused, or its status; <paramref name="Repeated"/> when its id was already
/// known, so that the status is the first one's and nothing was sent again.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.command-outcome")]
public sealed record CommandOutcome(
    [property: Id(0)] DeviceResult Result,
    [property: Id(1)] CommandStatus? Status,
    [property: Id(2)] bool Repeated = false) : IOperatorOutcome;
