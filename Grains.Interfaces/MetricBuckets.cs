using System.Diagnostics.Metrics;

namespace Orleans.IoT;

/// <summary>
/// Histogram bucket boundaries of the system's instruments, given as advice so that every exporter uses them: the
/// default ones (0 to 10,000) suit neither seconds nor batch sizes.
/// </summary>
public static class MetricBuckets
{
    /// <summary>Seconds, from 100 µs (a message handled in memory) to 30 s (a write waiting out an outage).</summary>
    public static readonly InstrumentAdvice<double> Latency = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    };

    /// <summary>Items per batch, from one to the largest batches the writers take.</summary>
    public static readonly InstrumentAdvice<int> BatchSize = new()
    {
        HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
    };
}
