namespace Orleans.IoT;

/// <summary>
/// The outcome of a device call. Refusals are values, not exceptions: they are part of the protocol
/// (DESIGN §2 error codes) and cheap to return across the grain boundary.
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.result")]
public sealed record DeviceResult(
    [property: Id(0)] string? ErrorCode,
    [property: Id(1)] string? Message,
    [property: Id(2)] double? RetryAfterSeconds = null)
{
    public static readonly DeviceResult Ok = new(null, null);

    public bool IsOk => ErrorCode is null;

    public static DeviceResult Refused(string code, string message, double? retryAfter = null) => new(code, message, retryAfter);
}

/// <summary>
/// What became of an operator's request to a device (a command, a configuration or firmware update): refused in
/// <see cref="Result"/>, or done; <see cref="Repeated"/> when its id was already known, so that nothing was done again.
/// </summary>
public interface IOperatorOutcome
{
    DeviceResult Result { get; }

    bool Repeated { get; }
}

[GenerateSerializer, Immutable, Alias("iot.register-result")]
public sealed record RegisterResult(
    [property: Id(0)] DeviceResult Result,
    [property: Id(1)] string? AuthToken,
    [property: Id(2)] double Timestamp);
