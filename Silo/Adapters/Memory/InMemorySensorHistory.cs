using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>
/// Sensor history kept in this process (the embedded default): per device and sensor, the newest readings up to a
/// bound, one per device timestamp to the microsecond (as PostgreSQL keys them). Reads answer as PostgreSQL's do,
/// buckets included: the same starts, and min, max and avg taken over the readings in time order.
/// </summary>
public sealed class InMemorySensorHistory(IOptions<HistoryOptions> options) : ISensorHistorySink, ISensorHistoryReader
{
    private readonly ConcurrentDictionary<(string DeviceId, string SensorType), Series> _series = new();
    private readonly int _maxPerSeries = options.Value.MaxReadingsPerSeries;

    public ValueTask AppendAsync(SensorReading reading, CancellationToken cancellationToken)
    {
        var series = _series.GetOrAdd((reading.DeviceId, reading.SensorType), static _ => new Series());
        lock (series)
        {
            // A reading resent with the same time is stored once, the first one, as PostgreSQL's ON CONFLICT DO NOTHING keeps it.
            series.Readings.TryAdd(SensorHistory.StoredMicroseconds(reading.Timestamp), reading);
            while (series.Readings.Count > _maxPerSeries)
            {
                series.Readings.RemoveAt(0);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The stored readings of one series, oldest first.</summary>
    public IReadOnlyList<SensorReading> Read(string deviceId, string sensorType)
    {
        if (!_series.TryGetValue((deviceId, sensorType), out var series))
        {
            return [];
        }

        lock (series)
        {
            return [.. series.Readings.Values];
        }
    }

    public Task<SensorReadingsPage> ReadAsync(SensorHistoryRange range, int limit, CancellationToken cancellationToken)
    {
        SensorHistoryRules.ValidateRead(range, limit, SensorHistory.MaxReadings);
        var readings = new List<RecordedReading>();
        DateTimeOffset? next = null;
        if (_series.TryGetValue((range.DeviceId, range.SensorType), out var series))
        {
            var to = SensorHistory.Microseconds(range.To);
            lock (series)
            {
                var (times, stored) = (series.Readings.Keys, series.Readings.Values);
                for (var i = series.IndexFrom(SensorHistory.Microseconds(range.From)); i < times.Count && times[i] < to; i++)
                {
                    if (readings.Count == limit)
                    {
                        next = SensorHistory.Time(times[i]);
                        break;
                    }

                    readings.Add(new RecordedReading(SensorHistory.Time(times[i]), stored[i].Value, stored[i].Unit, stored[i].Quality));
                }
            }
        }

        return Task.FromResult(new SensorReadingsPage(readings, next));
    }

    public Task<SensorBucketsPage> ReadBucketsAsync(SensorHistoryRange range, TimeSpan width, int limit, CancellationToken cancellationToken)
    {
        SensorHistoryRules.ValidateRead(range, limit, SensorHistory.MaxBuckets);
        var widthMicroseconds = SensorHistoryRules.WidthMicroseconds(width);
        var buckets = new List<ReadingBucket>();
        DateTimeOffset? next = null;
        if (_series.TryGetValue((range.DeviceId, range.SensorType), out var series))
        {
            var to = SensorHistory.Microseconds(range.To);
            lock (series)
            {
                var (times, stored) = (series.Readings.Keys, series.Readings.Values);
                var i = series.IndexFrom(SensorHistory.Microseconds(range.From));
                if (i < times.Count && times[i] < to)
                {
                    var end = SensorHistoryRules.PageEnd(times[i], widthMicroseconds, limit, to);
                    var bucket = new BucketAccumulator();
                    for (; i < times.Count && times[i] < end; i++)
                    {
                        var start = SensorHistoryRules.BucketStart(times[i], widthMicroseconds);
                        if (bucket.Count > 0 && start != bucket.Start)
                        {
                            buckets.Add(bucket.ToBucket());
                            bucket = new BucketAccumulator();
                        }

                        bucket.Add(start, stored[i].Value);
                    }

                    buckets.Add(bucket.ToBucket());
                    if (i < times.Count && times[i] < to)
                    {
                        next = SensorHistory.Time(SensorHistoryRules.BucketStart(times[i], widthMicroseconds));
                    }
                }
            }
        }

        return Task.FromResult(new SensorBucketsPage(buckets, next));
    }

    private sealed class Series
    {
        /// <summary>By stored time (<see cref="SensorHistory.StoredMicroseconds"/>).</summary>
        public SortedList<long, SensorReading> Readings { get; } = [];

        /// <summary>The index of the first reading at or after <paramref name="from"/>; the count when there is none.</summary>
        public int IndexFrom(long from)
        {
            var times = Readings.Keys;
            int low = 0, high = times.Count;
            while (low < high)
            {
                var middle = low + (high - low) / 2;
                if (times[middle] < from)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }

    /// <summary>
    /// One bucket's figures as PostgreSQL's aggregates take them: the sum in reading order (avg = sum / count), and of
    /// equal values min and max keep the later, as <c>float8smaller</c> and <c>float8larger</c> do.
    /// </summary>
    private struct BucketAccumulator
    {
        private double _min, _max, _sum;

        public long Start { get; private set; }

        public long Count { get; private set; }

        public void Add(long start, double value)
        {
            if (Count == 0)
            {
                Start = start;
                _min = _max = value;
            }
            else
            {
                _min = _min < value ? _min : value;
                _max = _max > value ? _max : value;
            }

            _sum += value;
            Count++;
        }

        public readonly ReadingBucket ToBucket() => new(SensorHistory.Time(Start), _min, _max, _sum / Count, Count);
    }
}
