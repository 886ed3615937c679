using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.IoT.Gateway.RateLimiting;

/// <summary>
/// Counts events per key (a client id, a device id) in fixed windows that start at the key's first event, with
/// memory bounded whatever clients send: a key's entry goes when its window ends, at most
/// <see cref="MaxTrackedKeys"/> entries are kept (at that cap the oldest window is dropped, which only makes the limit
/// lenient for that key), and a key longer than <see cref="MaxKeyLength"/> characters is kept as a hash of itself
/// (33 characters).
/// </summary>
public sealed class FixedWindowCounters
{
    /// <summary>The most keys tracked at once, unless told otherwise.</summary>
    public const int DefaultMaxTrackedKeys = 100_000;

    /// <summary>Keys up to this length (every device id, with room for a prefix) are kept as they are; longer ones as a hash.</summary>
    public const int MaxKeyLength = 160;

    private readonly TimeProvider _clock;
    private readonly int _limit;
    private readonly long _windowTicks;
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Start)> _byStart = new();
    private readonly Lock _lock = new();

    public FixedWindowCounters(int limit, TimeSpan window, TimeProvider clock, int maxTrackedKeys = DefaultMaxTrackedKeys)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedKeys, 1);
        _clock = clock;
        _limit = limit;
        _windowTicks = (long)(window.TotalSeconds * clock.TimestampFrequency);
        MaxTrackedKeys = maxTrackedKeys;
    }

    public int MaxTrackedKeys { get; }

    /// <summary>How many keys are tracked now.</summary>
    public int TrackedKeys
    {
        get
        {
            lock (_lock)
            {
                return _windows.Count;
            }
        }
    }

    /// <summary>
    /// Counts an event for <paramref name="key"/>. Null when it is within the limit; over it, the event is not counted
    /// and the result is the whole seconds until the key's window ends (at least 1).
    /// </summary>
    public int? TryAcquire(string key)
    {
        key = key.Length <= MaxKeyLength ? key : Hash(key);
        var now = _clock.GetTimestamp();
        lock (_lock)
        {
            // Windows end in the order they started: drop the ended ones from the front.
            while (_byStart.TryPeek(out var oldest) && now - oldest.Start >= _windowTicks)
            {
                _byStart.Dequeue();
                _windows.Remove(oldest.Key);
            }

            ref var window = ref CollectionsMarshal.GetValueRefOrNullRef(_windows, key);
            if (!Unsafe.IsNullRef(ref window))
            {
                if (window.Count >= _limit)
                {
                    var remaining = window.Start + _windowTicks - now;
                    return (int)((remaining + _clock.TimestampFrequency - 1) / _clock.TimestampFrequency);
                }

                window.Count++;
                return null;
            }

            while (_windows.Count >= MaxTrackedKeys && _byStart.TryDequeue(out var oldest))
            {
                _windows.Remove(oldest.Key);
            }

            _windows.Add(key, new Window { Start = now, Count = 1 });
            _byStart.Enqueue((key, now));
            return null;
        }
    }

    /// <summary>The whole seconds until <paramref name="key"/>'s window ends when it has reached the limit; else null. Counts nothing.</summary>
    public int? RetryAfter(string key)
    {
        key = key.Length <= MaxKeyLength ? key : Hash(key);
        var now = _clock.GetTimestamp();
        lock (_lock)
        {
            if (!_windows.TryGetValue(key, out var window) || window.Count < _limit || now - window.Start >= _windowTicks)
            {
                return null;
            }

            var remaining = window.Start + _windowTicks - now;
            return (int)((remaining + _clock.TimestampFrequency - 1) / _clock.TimestampFrequency);
        }
    }

    private static string Hash(string key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return "#" + Convert.ToHexString(hash[..16]);
    }

    private struct Window
    {
        public long Start;
        public int Count;
    }
}
