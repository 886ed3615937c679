namespace Orleans.IoT;

/// <summary>The bounds of sensor history reads, and the one rule for the time a reading is kept under.</summary>
public static class SensorHistory
{
    public const int DefaultReadings = 1000;

    public const int MaxReadings = 10_000;

    public const int DefaultBuckets = 1000;

    public const int MaxBuckets = 10_000;

    /// <summary>Where buckets are aligned: 2000-01-01T00:00:00Z, the earliest time a reading may carry.</summary>
    public static readonly DateTimeOffset BucketOrigin = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan MinBucket = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxBucket = TimeSpan.FromDays(31);

    /// <summary>
    /// The most time one page of buckets aggregates, whatever its <c>limit</c>: a bucketed read costs in proportion to the
    /// readings in its span, and a device may send up to its rate limit, so a page may not ask for years of them at once.
    /// </summary>
    public static readonly TimeSpan MaxBucketPageSpan = TimeSpan.FromDays(31);

    /// <summary>
    /// A reading's time as history keeps it: its Unix seconds rounded to the microsecond PostgreSQL stores, so that a
    /// reading and its latest value show the same time in either profile.
    /// </summary>
    public static long StoredMicroseconds(double unixSeconds) => (long)Math.Round(unixSeconds * 1_000_000);

    /// <summary><see cref="StoredMicroseconds"/> as a time.</summary>
    public static DateTimeOffset StoredTime(double unixSeconds) => Time(StoredMicroseconds(unixSeconds));

    /// <summary>A time in microseconds since the Unix epoch; a finer part is dropped, as PostgreSQL drops it.</summary>
    public static long Microseconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>Microseconds since the Unix epoch as a time.</summary>
    public static DateTimeOffset Time(long microseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
}

/// <summary>One sensor of one device, readings with <c>From &lt;= timestamp &lt; To</c>.</summary>
[GenerateSerializer, Immutable, Alias("iot.history-range")]
public sealed record SensorHistoryRange(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string SensorType,
    [property: Id(2)] DateTimeOffset From,
    [property: Id(3)] DateTimeOffset To);

/// <summary>A stored reading of a sensor whose device and type are known from the question.</summary>
[GenerateSerializer, Immutable, Alias("iot.recorded-reading")]
public sealed record RecordedReading(
    [property: Id(0)] DateTimeOffset Timestamp,
    [property: Id(1)] double Value,
    [property: Id(2)] string? Unit,
    [property: Id(3)] string Quality);

/// <summary>The readings of one bucket of time: it starts at <paramref name="Start"/> and holds <paramref name="Count"/>.</summary>
[GenerateSerializer, Immutable, Alias("iot.reading-bucket")]
public sealed record ReadingBucket(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] double Min,
    [property: Id(2)] double Max,
    [property: Id(3)] double Avg,
    [property: Id(4)] long Count);

/// <summary>A page of readings; <paramref name="Next"/> is where the rest of the range starts, null when nothing is left.</summary>
[GenerateSerializer, Immutable, Alias("iot.readings-page")]
public sealed record SensorReadingsPage(
    [property: Id(0)] IReadOnlyList<RecordedReading> Readings,
    [property: Id(1)] DateTimeOffset? Next);

/// <summary>A page of buckets; <paramref name="Next"/> is where the rest of the range starts, null when nothing is left.</summary>
[GenerateSerializer, Immutable, Alias("iot.buckets-page")]
public sealed record SensorBucketsPage(
    [property: Id(0)] IReadOnlyList<ReadingBucket> Buckets,
    [property: Id(1)] DateTimeOffset? Next);
