using System.Collections.Concurrent;

namespace Orleans.IoT.Gateway.RateLimiting;

/// <summary>
/// Devices whose grain refused a message <c>rate_limited</c>, each until the <c>retry_after</c> it gave, counted from
/// when that message was sent to the grain: until then the gateway refuses the device's further messages itself, with
/// no grain call. The limit stays the grain's: nothing refused here would have been accepted before the retry_after
/// the grain gave (it is never short of its window's end, and it counts from no earlier than the grain's own answer),
/// so a device that waits the retry_after it was told is never refused here.
/// Looking a device up takes no lock (every message does it); memory is bounded: at most
/// <see cref="MaxTrackedDevices"/> entries (at that cap the one that ends first goes, which only sends that device's
/// messages to its grain again), and ended entries are dropped when the next one is added.
/// </summary>
public sealed class RateLimitedDevices
{
    /// <summary>The most devices tracked at once, unless told otherwise.</summary>
    public const int DefaultMaxTrackedDevices = 100_000;

    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, long> _until = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _byEnd = new();
    private readonly Lock _lock = new();

    public RateLimitedDevices(TimeProvider clock, int maxTrackedDevices = DefaultMaxTrackedDevices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedDevices, 1);
        _clock = clock;
        MaxTrackedDevices = maxTrackedDevices;
    }

    public int MaxTrackedDevices { get; }

    /// <summary>How many devices are tracked now, ended entries not yet dropped included.</summary>
    public int TrackedDevices => _until.Count;

    /// <summary>The whole seconds (at least 1) until <paramref name="deviceId"/>'s messages may go to its grain again; null when they may now.</summary>
    public int? RetryAfter(string deviceId)
    {
        if (!_until.TryGetValue(deviceId, out var until))
        {
            return null;
        }

        var remaining = until - _clock.GetTimestamp();
        return remaining > 0 ? (int)((remaining + _clock.TimestampFrequency - 1) / _clock.TimestampFrequency) : null;
    }

    /// <summary>
    /// The grain refused a message of <paramref name="deviceId"/> with <paramref name="retryAfterSeconds"/>;
    /// <paramref name="sentAt"/> is the clock's timestamp from just before the message was sent to it. While an entry
    /// lasts, a later refusal leaves it as it is.
    /// </summary>
    public void Add(string deviceId, long sentAt, double retryAfterSeconds)
    {
        var until = sentAt + (long)(retryAfterSeconds * _clock.TimestampFrequency);
        var now = _clock.GetTimestamp();
        if (until <= now)
        {
            return;
        }

        lock (_lock)
        {
            while (_byEnd.TryPeek(out var ended, out var end) && end <= now)
            {
                _byEnd.Dequeue();
                _until.TryRemove(KeyValuePair.Create(ended, end));
            }

            if (_until.ContainsKey(deviceId))
            {
                return;
            }

            while (_until.Count >= MaxTrackedDevices && _byEnd.TryDequeue(out var first, out var end))
            {
                _until.TryRemove(KeyValuePair.Create(first, end));
            }

            _until[deviceId] = until;
            _byEnd.Enqueue(deviceId, until);
        }
    }
}
