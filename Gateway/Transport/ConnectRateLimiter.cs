using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Limits CONNECT attempts per client id: at most <c>Mqtt:MaxConnectsPerClientId</c> in a window of
/// <c>Mqtt:ConnectWindowSeconds</c> that starts at the id's first CONNECT (a fixed window, as the device grain's message rate limit).
/// It keeps a reconnect loop or a password-guessing client from costing an authentication and a grain call per attempt.
/// Memory stays bounded whatever clients send: an id's entry goes when its window ends, at most
/// <see cref="MaxTrackedClientIds"/> entries are kept (at that cap the oldest window is dropped, which only makes the
/// limit lenient for that id), and an id longer than <see cref="MaxKeyLength"/> characters (never a device id) is kept
/// as a hash of itself (33 characters). Per gateway: with several gateways, a client may make this many attempts at each.
/// </summary>
public sealed class ConnectRateLimiter
{
    /// <summary>The most client ids tracked at once.</summary>
    public const int DefaultMaxTrackedClientIds = 100_000;

    /// <summary>Client ids up to this length (every device id) are kept as they are; longer ones as a hash.</summary>
    public const int MaxKeyLength = 128;

    private readonly TimeProvider _clock;
    private readonly int _maxConnects;
    private readonly long _windowTicks;
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Queue<(string ClientId, long Start)> _byStart = new();
    private readonly Lock _lock = new();

    public ConnectRateLimiter(IOptions<MqttOptions> options, TimeProvider clock)
        : this(options.Value.MaxConnectsPerClientId, TimeSpan.FromSeconds(options.Value.ConnectWindowSeconds), clock)
    {
    }

    public ConnectRateLimiter(int maxConnects, TimeSpan window, TimeProvider clock, int maxTrackedClientIds = DefaultMaxTrackedClientIds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnects, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedClientIds, 1);
        _clock = clock;
        _maxConnects = maxConnects;
        _windowTicks = (long)(window.TotalSeconds * clock.TimestampFrequency);
        MaxTrackedClientIds = maxTrackedClientIds;
    }

    public int MaxTrackedClientIds { get; }

    /// <summary>How many client ids are tracked now.</summary>
    public int TrackedClientIds
    {
        get
        {
            lock (_lock)
            {
                return _windows.Count;
            }
        }
    }

    /// <summary>Counts a CONNECT for <paramref name="clientId"/>; false when it is over the limit and must be refused.</summary>
    public bool TryAcquire(string clientId)
    {
        var key = clientId.Length <= MaxKeyLength ? clientId : Hash(clientId);
        var now = _clock.GetTimestamp();
        lock (_lock)
        {
            // Windows end in the order they started: drop the ended ones from the front.
            while (_byStart.TryPeek(out var oldest) && now - oldest.Start >= _windowTicks)
            {
                _byStart.Dequeue();
                _windows.Remove(oldest.ClientId);
            }

            ref var window = ref CollectionsMarshal.GetValueRefOrNullRef(_windows, key);
            if (!Unsafe.IsNullRef(ref window))
            {
                if (window.Count >= _maxConnects)
                {
                    return false;
                }

                window.Count++;
                return true;
            }

            while (_windows.Count >= MaxTrackedClientIds && _byStart.TryDequeue(out var oldest))
            {
                _windows.Remove(oldest.ClientId);
            }

            _windows.Add(key, new Window { Count = 1 });
            _byStart.Enqueue((key, now));
            return true;
        }
    }

    private static string Hash(string clientId)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(clientId), hash);
        return "#" + Convert.ToHexString(hash[..16]);
    }

    private struct Window
    {
        public int Count;
    }
}
