using System.Diagnostics.Metrics;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// The lifecycle audit writer's instruments: what it wrote, what PostgreSQL refused, what a full queue dropped, and
/// how often a batch had to be written again.
/// </summary>
public sealed class AuditMetrics : IDisposable
{
    public const string MeterName = "Orleans.IoT.Audit";

    private readonly Meter _meter;
    private readonly Counter<long> _entriesWritten;
    private readonly Counter<long> _entriesRefused;
    private readonly Counter<long> _entriesDropped;
    private readonly Counter<long> _batchRetries;
    private readonly Histogram<int> _batchSize;

    public AuditMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _entriesWritten = _meter.CreateCounter<long>(
            "orleans_iot.audit.entries.written", "{entry}", "Audit entries written to PostgreSQL (an entry already stored counts again)");
        _entriesRefused = _meter.CreateCounter<long>(
            "orleans_iot.audit.entries.refused", "{entry}", "Audit entries PostgreSQL refused for what they hold; the rest of their batch was stored");
        _entriesDropped = _meter.CreateCounter<long>(
            "orleans_iot.audit.entries.dropped", "{entry}", "Audit entries dropped unqueued: the queue stayed full too long, or the writer had stopped");
        _batchRetries = _meter.CreateCounter<long>(
            "orleans_iot.audit.batch.retries", "{attempt}", "Writes of a batch that failed and were tried again; its entries were kept");
        _batchSize = _meter.CreateHistogram<int>("orleans_iot.audit.batch.size", "{entry}", "Audit entries per batch the writer takes from its queue", advice: MetricBuckets.BatchSize);
    }

    public void ObserveQueue(Func<int> queued) =>
        _meter.CreateObservableGauge("orleans_iot.audit.queued", queued, "{entry}", "Audit entries waiting to be written");

    public void ObserveOutage(Func<double> outageSeconds) =>
        _meter.CreateObservableGauge(
            "orleans_iot.audit.outage", outageSeconds, "s", "How long the audit writer has been unable to write to PostgreSQL; 0 when it can");

    /// <summary>The writer took a batch of this many entries from the queue.</summary>
    public void BatchTaken(int size) => _batchSize.Record(size);

    public void EntriesWritten(int count) => _entriesWritten.Add(count);

    public void EntryRefused() => _entriesRefused.Add(1);

    public void EntryDropped() => _entriesDropped.Add(1);

    public void BatchRetried() => _batchRetries.Add(1);

    public void Dispose() => _meter.Dispose();
}
