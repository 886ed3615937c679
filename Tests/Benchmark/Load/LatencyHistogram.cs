namespace Orleans.IoT.Benchmark.Load;

/// <summary>
/// A log-linear histogram of microsecond values: 64 sub-buckets per power of two, so every recorded value is
/// kept to within 1.6 % (its top 7 bits). Not thread-safe: one per connection, merged at the end.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Magnitudes = 40;

    private readonly long[] _counts = new long[Magnitudes * SubBuckets];

    public long Count { get; private set; }

    public long Max { get; private set; }

    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        _counts[IndexOf(value)]++;
        Count++;
        if (value > Max)
        {
            Max = value;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The value at or below which <paramref name="percentile"/> % of the recorded values fall.</summary>
    public long ValueAt(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * Count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBoundOf(i), Max);
            }
        }

        return Max;
    }

    /// <summary>Values below 64 have a bucket each; above, a value keeps its top 7 bits.</summary>
    private static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        var shift = 64 - (int)long.LeadingZeroCount(value) - (SubBucketBits + 1);
        var index = (shift * SubBuckets) + (int)(value >> shift);
        return Math.Min(index, LastIndex);
    }

    private static long UpperBoundOf(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var shift = (index / SubBuckets) - 1;
        var top = index - (shift * SubBuckets);
        return ((long)(top + 1) << shift) - 1;
    }

    private const int LastIndex = (Magnitudes * SubBuckets) - 1;
}
