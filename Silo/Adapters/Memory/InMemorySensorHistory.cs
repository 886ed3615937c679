using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>
/// Sensor history kept in this process (the embedded default): per device and sensor, the newest
/// readings up to a bound, one per device timestamp.
/// </summary>
public sealed class InMemorySensorHistory(IOptions<HistoryOptions> options) : ISensorHistorySink
{
    private readonly ConcurrentDictionary<(string DeviceId, string SensorType), Series> _series = new();
    private readonly int _maxPerSeries = options.Value.MaxReadingsPerSeries;

    public ValueTask AppendAsync(SensorReading reading, CancellationToken cancellationToken)
    {
        var series = _series.GetOrAdd((reading.DeviceId, reading.SensorType), static _ => new Series());
        lock (series)
        {
            series.Readings[reading.Timestamp] = reading;
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

    private sealed class Series
    {
        public SortedList<double, SensorReading> Readings { get; } = [];
    }
}
