using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Orleans.IoT.Gateway;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format through OpenTelemetry, which keeps each instrument's kind: counters as
/// counters (<c>_total</c>), histograms as histograms, up-down counters and gauges as gauges, with the unit in the name
/// (<c>_seconds</c>). <c>Metrics:Meters</c> names the meters exported (a name, or a prefix ending in <c>*</c>): listening
/// costs CPU on every measurement, and Orleans records several per grain call, so only the system's own meters and the
/// runtime's are exported unless more are named (for example <c>Microsoft.Orleans*</c>).
/// </summary>
public static class PrometheusExport
{
    public const string Section = "Metrics:Meters";

    public const string Path = "/metrics";

    public static readonly string[] DefaultMeters =
    [
        "Orleans.IoT.*", "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
    ];

    /// <summary>
    /// The runtime's gauges whose names end in <c>.count</c>: Prometheus keeps a <c>_count</c> suffix for histograms and
    /// summaries (promtool refuses it on a gauge), so they are exported under these names.
    /// </summary>
    private static readonly (string Name, string PrometheusName)[] RuntimeRenames =
    [
        ("dotnet.assembly.count", "dotnet.assemblies.loaded"),
        ("dotnet.process.cpu.count", "dotnet.process.cpus"),
        ("dotnet.timer.count", "dotnet.timers"),
    ];

    public static void AddPrometheusExport(this IServiceCollection services, IConfiguration configuration)
    {
        var meters = configuration.GetSection(Section).Get<string[]>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("orleans-iot"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(meters is { Length: > 0 } ? meters : DefaultMeters);
                foreach (var (name, prometheusName) in RuntimeRenames)
                {
                    metrics.AddView(name, new MetricStreamConfiguration { Name = prometheusName });
                }

                // A meter created by another host's IMeterFactory in the same process (tests run several nodes in one)
                // is not this host's: OpenTelemetry listens by meter name and keeps the first instrument of a name, so
                // another node's counts would otherwise stand in for this one's.
                var own = new OwnMeters();
                metrics.AddInstrumentation(provider => own.Of(provider.GetRequiredService<IMeterFactory>()));
                metrics.AddView(instrument => own.Excludes(instrument.Meter) ? MetricStreamConfiguration.Drop : null);
                metrics.AddPrometheusExporter();
            });
    }

    public static void MapPrometheusExport(this WebApplication app) => app.MapPrometheusScrapingEndpoint(Path);

    /// <summary>This host's <see cref="IMeterFactory"/>, known once the meter provider is built (before it listens).</summary>
    private sealed class OwnMeters
    {
        private IMeterFactory? _factory;

        public OwnMeters Of(IMeterFactory factory)
        {
            _factory = factory;
            return this;
        }

        /// <summary>A meter another host's factory created; the runtime's own meters (no factory) are everyone's.</summary>
        public bool Excludes(Meter meter) => meter.Scope is IMeterFactory other && _factory is not null && !ReferenceEquals(other, _factory);
    }
}
