using System.Diagnostics.Metrics;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>The history writer's instruments: how full its batches are, how long they wait and take to commit.</summary>
public sealed class HistoryMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.History";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchWait;
    private readonly Histogram<double> _batchWrite;
    private readonly Counter<long> _batchesFailed;

    public HistoryMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _batchSize = _meter.CreateHistogram<int>("batch.size", "{reading}", "Readings per written batch");
        _batchWait = _meter.CreateHistogram<double>(
            "batch.wait", "ms", "Time the oldest reading of a batch spent queued before the batch was written");
        _batchWrite = _meter.CreateHistogram<double>("batch.duration", "ms", "Time to write and commit one batch");
        _batchesFailed = _meter.CreateCounter<long>("batches.failed", "{batch}", "Batches that could not be written");
    }

    public void ObserveQueue(Func<int> queued) =>
        _meter.CreateObservableGauge("queued", queued, "{reading}", "Readings waiting to be written");

    public void BatchWritten(int size, TimeSpan waited, TimeSpan writing)
    {
        _batchSize.Record(size);
        _batchWait.Record(waited.TotalMilliseconds);
        _batchWrite.Record(writing.TotalMilliseconds);
    }

    public void BatchFailed() => _batchesFailed.Add(1);

    public void Dispose() => _meter.Dispose();
}
