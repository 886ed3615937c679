using Prometheus;

namespace Orleans.IoT.Silo;

/// <summary>
/// Which <c>System.Diagnostics.Metrics</c> meters <c>/metrics</c> exports (<c>Metrics:Meters</c>, name prefixes).
/// Listening costs CPU on every measurement, and Orleans records several per grain call, so only the system's
/// own meters and the runtime's are exported unless more are named (for example <c>Microsoft.Orleans</c>).
/// </summary>
public static class PrometheusExport
{
    public const string Section = "Metrics:Meters";

    public static readonly string[] DefaultMeters =
    [
        "Orleans.IoT", "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
    ];

    private static int _configured;

    /// <summary>Starts exporting the named meters; once per process (the exporter is process-wide).</summary>
    public static void Configure(IReadOnlyList<string> meterPrefixes)
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1)
        {
            return;
        }

        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        MeterAdapter.StartListening(new MeterAdapterOptions
        {
            InstrumentFilterPredicate = instrument =>
                meterPrefixes.Any(prefix => instrument.Meter.Name.StartsWith(prefix, StringComparison.Ordinal)),
        });
    }
}
