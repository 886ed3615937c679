using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.RateLimiting;

/// <summary>
/// Limits the registrations one MQTT client asks for (<c>RateLimit:MaxRegistrationsPerClient</c> per
/// <c>RateLimit:WindowSeconds</c>), counted by its client id at the gateway its session lives on, so exactly, and refused
/// without a grain call. The device grain limits the attempts per device id besides.
/// </summary>
public sealed class RegistrationRateLimiter
{
    private readonly FixedWindowCounters _clients;

    public RegistrationRateLimiter(IOptions<GatewayRateLimitOptions> options, TimeProvider clock)
        : this(options.Value.MaxRegistrationsPerClient, TimeSpan.FromSeconds(options.Value.WindowSeconds), clock)
    {
    }

    public RegistrationRateLimiter(int maxRegistrations, TimeSpan window, TimeProvider clock, int maxTrackedClients = FixedWindowCounters.DefaultMaxTrackedKeys) =>
        _clients = new FixedWindowCounters(maxRegistrations, window, clock, maxTrackedClients);

    /// <summary>How many clients are tracked now.</summary>
    public int TrackedClients => _clients.TrackedKeys;

    /// <summary>Counts a registration from <paramref name="clientId"/>: null when it may go on, else the whole seconds to wait.</summary>
    public int? TryAcquire(string clientId) => _clients.TryAcquire(clientId);
}
