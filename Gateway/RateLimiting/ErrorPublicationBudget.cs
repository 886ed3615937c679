using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.RateLimiting;

/// <summary>
/// How many refusals a gateway copies to each device's <c>errors</c> (or <c>register/error</c>) topic per window
/// (<c>RateLimit:MaxErrorPublicationsPerDevice</c>), so that a flood costs few publications and no sender can fill the
/// topic a device reads. The device's own session has a budget of its own, apart from everyone else's, so that no
/// other sender can spend it. A refusal over budget still gets its acknowledgement and its Response Topic reply.
/// </summary>
public sealed class ErrorPublicationBudget
{
    /// <summary>Marks the budget of the senders other than the device's own session; no device id holds it.</summary>
    private const string OthersPrefix = "*";

    private readonly FixedWindowCounters _devices;

    public ErrorPublicationBudget(IOptions<GatewayRateLimitOptions> options, TimeProvider clock)
        : this(options.Value.MaxErrorPublicationsPerDevice, TimeSpan.FromSeconds(options.Value.WindowSeconds), clock)
    {
    }

    public ErrorPublicationBudget(int maxPublications, TimeSpan window, TimeProvider clock, int maxTrackedBudgets = FixedWindowCounters.DefaultMaxTrackedKeys) =>
        _devices = new FixedWindowCounters(maxPublications, window, clock, maxTrackedBudgets);

    /// <summary>How many budgets (two at most per device) are tracked now.</summary>
    public int TrackedBudgets => _devices.TrackedKeys;

    /// <summary>Takes one publication from the budget of <paramref name="deviceId"/>'s own session or of its other senders; false when it is spent.</summary>
    public bool TryTake(string deviceId, bool fromItsOwnSession) =>
        _devices.TryAcquire(fromItsOwnSession ? deviceId : OthersPrefix + deviceId) is null;
}
