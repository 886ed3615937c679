using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.RateLimiting;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Limits CONNECT attempts per client id: at most <c>Mqtt:MaxConnectsPerClientId</c> in a window of
/// <c>Mqtt:ConnectWindowSeconds</c> that starts at the id's first CONNECT (a fixed window, as the device grain's message rate limit).
/// It keeps a reconnect loop or a password-guessing client from costing an authentication and a grain call per attempt.
/// Memory stays bounded whatever clients send (<see cref="FixedWindowCounters"/>). Per gateway: with several gateways,
/// a client may make this many attempts at each.
/// </summary>
public sealed class ConnectRateLimiter
{
    /// <summary>The most client ids tracked at once.</summary>
    public const int DefaultMaxTrackedClientIds = FixedWindowCounters.DefaultMaxTrackedKeys;

    private readonly FixedWindowCounters _counters;

    public ConnectRateLimiter(IOptions<MqttOptions> options, TimeProvider clock)
        : this(options.Value.MaxConnectsPerClientId, TimeSpan.FromSeconds(options.Value.ConnectWindowSeconds), clock)
    {
    }

    public ConnectRateLimiter(int maxConnects, TimeSpan window, TimeProvider clock, int maxTrackedClientIds = DefaultMaxTrackedClientIds) =>
        _counters = new FixedWindowCounters(maxConnects, window, clock, maxTrackedClientIds);

    public int MaxTrackedClientIds => _counters.MaxTrackedKeys;

    /// <summary>How many client ids are tracked now.</summary>
    public int TrackedClientIds => _counters.TrackedKeys;

    /// <summary>Counts a CONNECT for <paramref name="clientId"/>; false when it is over the limit and must be refused.</summary>
    public bool TryAcquire(string clientId) => _counters.TryAcquire(clientId) is null;
}
