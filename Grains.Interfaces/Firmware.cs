namespace Orleans.IoT;

/// <summary>The states of a firmware update (DESIGN §3); the last three end it.</summary>
public static class FirmwareStates
{
    public const string Initiated = "initiated";
    public const string Sent = "sent";
    public const string Downloading = "downloading";
    public const string Downloaded = "downloaded";
    public const string Verified = "verified";
    public const string Updating = "updating";
    public const string Updated = "updated";
    public const string Failed = "failed";
    public const string Expired = "expired";

    public static bool IsFinal(string state) => state is Updated or Failed or Expired;

    /// <summary>What a device may report: its progress states, then <c>updated</c> or <c>failed</c>.</summary>
    public static bool IsReportable(string state) => state is Downloading or Downloaded or Verified or Updating or Updated or Failed;
}

/// <summary>
/// An operator's firmware update for a device. <see cref="UpdateId"/> null means the grain makes one.
/// <see cref="Checksum"/> is normalised to <c>sha256:</c> and 64 lowercase hex digits.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.firmware-request")]
public sealed record FirmwareRequest(
    [property: Id(0)] string? UpdateId,
    [property: Id(1)] string Version,
    [property: Id(2)] string Url,
    [property: Id(3)] string Checksum);

/// <summary>A device's report on its update (<c>firmware/{device_id}/update/{update_id}/progress</c>); <see cref="Progress"/> is 0-100.</summary>
[GenerateSerializer, Immutable, Alias("iot.firmware-progress")]
public sealed record FirmwareProgress(
    [property: Id(0)] string State,
    [property: Id(1)] double? Progress,
    [property: Id(2)] string? Error);

/// <summary>Where a firmware update stands. Times are Unix seconds.</summary>
[GenerateSerializer, Immutable, Alias("iot.firmware-status")]
public sealed record FirmwareStatus(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string UpdateId,
    [property: Id(2)] string Version,
    [property: Id(3)] string Url,
    [property: Id(4)] string Checksum,
    [property: Id(5)] string State,
    [property: Id(6)] double? Progress,
    [property: Id(7)] double CreatedAt,
    [property: Id(8)] double UpdatedAt,
    [property: Id(9)] string? Error);

/// <summary>
/// What became of an operator's firmware update: refused, or its status; <paramref name="Repeated"/> when its id was
/// already known, so that the status is the first one's and nothing was sent again.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.firmware-outcome")]
public sealed record FirmwareOutcome(
    [property: Id(0)] DeviceResult Result,
    [property: Id(1)] FirmwareStatus? Status,
    [property: Id(2)] bool Repeated = false) : IOperatorOutcome;
