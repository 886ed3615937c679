namespace Orleans.IoT.Grains;

/// <summary>
/// The device's rate limits (<c>RateLimit:*</c>), counted here, by the device's one owner, so that they are exact
/// however many gateways route to it. A refused message is not counted and costs no storage write.
/// </summary>
public sealed partial class DeviceGrain
{
    private FixedWindowRateLimiter _messages;
    private FixedWindowRateLimiter _registrations;

    private bool CountsRegistrationAttempts => _registrations.IsCounting(NowMilliseconds());

    /// <summary><see cref="Authorize"/>, then the per-device message limit: only an authorized message is counted.</summary>
    private DeviceResult? Admit(Caller caller)
    {
        if (Authorize(caller) is { } refused)
        {
            return refused;
        }

        NoteGateway(caller);
        return _messages.TryAcquire(NowMilliseconds(), _services.RateLimit.MaxMessages, _services.RateLimit.WindowSeconds) is { } retryAfter
            ? DeviceResult.Refused(ErrorCodes.RateLimited, $"more than {_services.RateLimit.MaxMessages} messages in {_services.RateLimit.WindowSeconds} s", retryAfter)
            : null;
    }

    /// <summary>
    /// Counts a registration attempt before any other check, so that refused attempts (a guessed token, no provisioning
    /// right) count too; null when it may go on.
    /// </summary>
    private DeviceResult? CountRegistrationAttempt() =>
        _registrations.TryAcquire(NowMilliseconds(), _services.RateLimit.MaxRegistrationsPerDevice, _services.RateLimit.WindowSeconds) is { } retryAfter
            ? DeviceResult.Refused(ErrorCodes.RateLimited, $"more than {_services.RateLimit.MaxRegistrationsPerDevice} registration attempts for this device in {_services.RateLimit.WindowSeconds} s", retryAfter)
            : null;

    private long NowMilliseconds() => _services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
}
