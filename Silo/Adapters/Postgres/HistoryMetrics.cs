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
        _batchSize = _meter.CreateHistogram<int>("batch.size", "{reading}", "Readings per written batch");
        _batchWait = _meter.CreateHistogram<double>(
            "batch.wait", "ms", "Time the oldest reading of a batch spent queued before the batch was written");
        _batchWrite = _meter.CreateHistogram<double>(
            "batch.duration", "ms", "Time to write and commit one batch, retries during an outage included");
        _batchesFailed = _meter.CreateCounter<long>(
            "batches.failed", "{batch}", "Batches whose readings failed unwritten (a long outage, shutdown, or an unexpected error)");
        _batchRetries = _meter.CreateCounter<long>(
            "batch.retries", "{attempt}", "Writes of a batch tried again after PostgreSQL could not be reached");
        _readingsRefused = _meter.CreateCounter<long>(
            "readings.refused", "{reading}", "Readings PostgreSQL refused for what they hold; the rest of their batch was stored");
    }

    public void ObserveQueue(Func<int> queued) =>
        _meter.CreateObservableGauge("queued", queued, "{reading}", "Readings waiting to be written");

    public void ObserveOutage(Func<double> outageSeconds) =>
        _meter.CreateObservableGauge(
            "outage", outageSeconds, "s", "How long PostgreSQL has been unreachable for the history writers; 0 when it is reachable");

    public void BatchWritten(int size, TimeSpan waited, TimeSpan writing)
    {
        _batchSize.Record(size);
        _batchWait.Record(waited.TotalMilliseconds);
        _batchWrite.Record(writing.TotalMilliseconds);
    }

    public void BatchFailed() => _batchesFailed.Add(1);

    public void BatchRetried() => _batchRetries.Add(1);

    public void ReadingRefused() => _readingsRefused.Add(1);

    public void Dispose() => _meter.Dispose();
}
