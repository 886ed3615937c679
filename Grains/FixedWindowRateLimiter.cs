namespace Orleans.IoT.Grains;

/// <summary>Counts a device's messages in fixed windows. Exact because one grain owns the count.</summary>
public struct FixedWindowRateLimiter
{
    private double _windowStart;
    private int _count;

    /// <summary>Counts one message at <paramref name="now"/>; returns the seconds to wait when over the limit, else null.</summary>
    public double? TryAcquire(double now, int maxMessages, int windowSeconds)
    {
        if (now >= _windowStart + windowSeconds || now < _windowStart)
        {
            _windowStart = now;
            _count = 0;
        }

        if (_count >= maxMessages)
        {
            return Math.Max(0.001, _windowStart + windowSeconds - now);
        }

        _count++;
        return null;
    }
}
