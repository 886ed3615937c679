namespace Orleans.IoT.Grains;

/// <summary>
/// Counts a device's events in fixed windows: a window opens with the first event after the last one ended. Exact
/// because one grain owns the count. Times are Unix milliseconds, so a window's end is exact and so is the wait.
/// </summary>
public struct FixedWindowRateLimiter
{
    private long _windowEnd;
    private int _count;

    /// <summary>
    /// Counts one event at <paramref name="nowMilliseconds"/>. Over the limit, the event is not counted and the result
    /// is the whole seconds until the window ends (at least 1, never short of it); else null.
    /// </summary>
    public int? TryAcquire(long nowMilliseconds, int limit, int windowSeconds)
    {
        var window = windowSeconds * 1000L;
        if (nowMilliseconds >= _windowEnd || nowMilliseconds < _windowEnd - window)
        {
            _windowEnd = nowMilliseconds + window;
            _count = 0;
        }

        if (_count >= limit)
        {
            return (int)((_windowEnd - nowMilliseconds + 999) / 1000);
        }

        _count++;
        return null;
    }

    /// <summary>True while a window that has counted something is open: forgetting the count now would reset it.</summary>
    public readonly bool IsCounting(long nowMilliseconds) => _count > 0 && nowMilliseconds < _windowEnd;
}
