namespace Orleans.IoT.Silo.Adapters;

/// <summary>
/// What both sensor histories (in memory and in PostgreSQL) accept on a read, and how they align and page buckets,
/// so that both answer alike. Times are counted in microseconds since the Unix epoch (<see cref="SensorHistory.Microseconds"/>), as PostgreSQL keeps them.
/// </summary>
public static class SensorHistoryRules
{
    public static readonly long OriginMicroseconds = SensorHistory.Microseconds(SensorHistory.BucketOrigin);

    /// <summary>
    /// Checks a read's arguments: a device and sensor, a range from <see cref="SensorHistory.BucketOrigin"/> on with
    /// its start before its end, and a limit of 1 to <paramref name="maxLimit"/>.
    /// </summary>
    public static void ValidateRead(SensorHistoryRange range, int limit, int maxLimit)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentException.ThrowIfNullOrEmpty(range.DeviceId, nameof(range.DeviceId));
        ArgumentException.ThrowIfNullOrEmpty(range.SensorType, nameof(range.SensorType));
        ArgumentOutOfRangeException.ThrowIfLessThan(range.From, SensorHistory.BucketOrigin, nameof(range.From));
        if (range.From >= range.To)
        {
            throw new ArgumentException("the range's start must lie before its end", nameof(range));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, maxLimit);
    }

    /// <summary>Checks a bucket width and returns it in microseconds: whole seconds, within the bounds of <see cref="SensorHistory"/>.</summary>
    public static long WidthMicroseconds(TimeSpan width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, SensorHistory.MinBucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, SensorHistory.MaxBucket);
        if (width.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentException("a bucket is a whole number of seconds", nameof(width));
        }

        return width.Ticks / TimeSpan.TicksPerMicrosecond;
    }

    /// <summary>
    /// The start of the bucket of <paramref name="width"/> that holds <paramref name="at"/> (not before the origin):
    /// what PostgreSQL's <c>date_bin(width, at, origin)</c> returns.
    /// </summary>
    public static long BucketStart(long at, long width) => OriginMicroseconds + (at - OriginMicroseconds) / width * width;

    /// <summary>
    /// The end of a page of buckets whose first reading is at <paramref name="first"/>: <paramref name="limit"/> widths
    /// after the start of its bucket, or the range's end <paramref name="to"/> when that comes first.
    /// </summary>
    public static long PageEnd(long first, long width, int limit, long to) => Math.Min(to, BucketStart(first, width) + limit * width);
}
