using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.RateLimiting;

namespace Orleans.IoT.Gateway.Security;

/// <summary>
/// Wrong operator keys presented over HTTP, counted per client address (an IPv6 client by its /64, which one host
/// commonly holds whole): past <c>RateLimit:MaxFailedOperatorKeysPerAddress</c> in a window, the address may present no
/// key until the window ends, so that a short operator key cannot be guessed at the speed of the network. A right key
/// is refused too meanwhile, so that a guesser cannot tell when it found one.
/// </summary>
public sealed partial class OperatorKeyAttempts(IOptions<GatewayRateLimitOptions> options, TimeProvider clock, ILogger<OperatorKeyAttempts> logger)
{
    private readonly FixedWindowCounters _failures = new(
        options.Value.MaxFailedOperatorKeysPerAddress, TimeSpan.FromSeconds(options.Value.WindowSeconds), clock);

    /// <summary>The seconds until <paramref name="address"/> may present a key again; null when it may now.</summary>
    public int? RefusedFor(IPAddress? address) => _failures.RetryAfter(Key(address));

    /// <summary>The refusal's words.</summary>
    public static string Refusal(int retryAfterSeconds) =>
        $"too many wrong operator keys from this address: none is accepted for {retryAfterSeconds} s";

    /// <summary>Counts a wrong key from <paramref name="address"/>.</summary>
    public void Failed(IPAddress? address)
    {
        var key = Key(address);
        if (_failures.TryAcquire(key) is null && _failures.RetryAfter(key) is { } seconds)
        {
            LogRefusing(key, options.Value.MaxFailedOperatorKeysPerAddress, seconds);
        }
    }

    private static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var prefix = address.GetAddressBytes();
        Array.Clear(prefix, 8, 8);
        return new IPAddress(prefix) + "/64";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Address} presented {Failures} wrong operator keys; its operator keys are refused for {Seconds} s")]
    private partial void LogRefusing(string address, int failures, int seconds);
}
