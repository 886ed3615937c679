using System.Diagnostics.Metrics;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// The history writer's instruments: how full its batches are, how long they wait and take to commit, and what
/// PostgreSQL refused or could not take.
/// </summary>
public sealed class HistoryMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.History";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchWait;
    private readonly Histogram<double> _batchWrite;
    private readonly Counter<long> _batchesFailed;
    private readonly Counter<long> _batchRetries;
    private readonly Counter<long> _readingsRefused;

    public HistoryMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _batchSize = _meter.CreateHistogram<int>("orleans_iot.history.batch.size", "{reading}", "Readings per written batch", advice: MetricBuckets.BatchSize);
        _batchWait = _meter.CreateHistogram<double>(
            "orleans_iot.history.batch.wait", "s", "Time the oldest reading of a batch spent queued before the batch was written", advice: MetricBuckets.Latency);
        _batchWrite = _meter.CreateHistogram<double>(
            "orleans_iot.history.batch.duration", "s", "Time to write and commit one batch, retries during an outage included", advice: MetricBuckets.Latency);
        _batchesFailed = _meter.CreateCounter<long>(
            "orleans_iot.history.batches.failed", "{batch}", "Batches whose readings failed unwritten (a long outage, shutdown, or an unexpected error)");
        _batchRetries = _meter.CreateCounter<long>(
            "orleans_iot.history.batch.retries", "{attempt}", "Writes of a batch tried again after PostgreSQL could not be reached");
        _readingsRefused = _meter.CreateCounter<long>(
            "orleans_iot.history.readings.refused", "{reading}", "Readings PostgreSQL refused for what they hold; the rest of their batch was stored");
    }

    public void ObserveQueue(Func<int> queued) =>
        _meter.CreateObservableGauge("orleans_iot.history.queued", queued, "{reading}", "Readings waiting to be written");

    public void ObserveOutage(Func<double> outageSeconds) =>
        _meter.CreateObservableGauge(
            "orleans_iot.history.outage", outageSeconds, "s", "How long PostgreSQL has been unreachable for the history writers; 0 when it is reachable");

    public void BatchWritten(int size, TimeSpan waited, TimeSpan writing)
    {
        _batchSize.Record(size);
        _batchWait.Record(waited.TotalSeconds);
        _batchWrite.Record(writing.TotalSeconds);
    }

    public void BatchFailed() => _batchesFailed.Add(1);

    public void BatchRetried() => _batchRetries.Add(1);

    public void ReadingRefused() => _readingsRefused.Add(1);

    public void Dispose() => _meter.Dispose();
}
