namespace Orleans.IoT;

/// <summary>
/// Reads one sensor's stored history (DESIGN §4, <c>GET /api/v1/devices/{id}/telemetry/{sensor_type}</c>) page by page,
/// in time order: raw, or aggregated into time buckets. Reads see what is committed. Both profiles answer alike: the
/// same readings, the same buckets (starts, min, max, count, and avg as long as the values add up exactly in either
/// order), the same pages.
/// </summary>
public interface ISensorHistoryReader
{
    /// <summary>
    /// The readings of <paramref name="range"/>, oldest first, at most <paramref name="limit"/> (1 to
    /// <see cref="SensorHistory.MaxReadings"/>). PostgreSQL unreachable is a <see cref="PassingFaultException"/>.
    /// </summary>
    Task<SensorReadingsPage> ReadAsync(SensorHistoryRange range, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The readings of <paramref name="range"/> in buckets of <paramref name="width"/> (whole seconds, from
    /// <see cref="SensorHistory.MinBucket"/> to <see cref="SensorHistory.MaxBucket"/>) aligned on
    /// <see cref="SensorHistory.BucketOrigin"/>, oldest first; a bucket without readings is left out, and the first and
    /// last buckets hold only the readings inside the range. A page starts at the bucket of the range's first reading and
    /// spans at most <paramref name="limit"/> (1 to <see cref="SensorHistory.MaxBuckets"/>) bucket widths of time, so it
    /// holds at most that many buckets, and fewer where the history has gaps; no bucket is split between pages.
    /// </summary>
    Task<SensorBucketsPage> ReadBucketsAsync(SensorHistoryRange range, TimeSpan width, int limit, CancellationToken cancellationToken);
}
