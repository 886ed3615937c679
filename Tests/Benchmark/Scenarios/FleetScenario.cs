using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.IoT.Benchmark.Load;
using Orleans.IoT.Grains.Fleet;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// The fleet health report at N catalog rows: the rows are written through the PostgreSQL catalog's own upsert path
/// (its batch writer), a fleet-like mix of types and statuses with some active alerts, then the report is read through
/// the real adapters, first with the visibility map current (as after autovacuum) and again after presence changes on
/// 5 % of the devices (as between two autovacuums); then the same report over the in-memory catalog.
/// </summary>
public sealed class FleetScenario : IScenario
{
    private const int WarmupReads = 5;
    private const int MeasuredReads = 50;
    private const double ChurnedShare = 0.05;

    public string Name => "fleet";

    public async Task RunAsync(BenchmarkOptions options, Report report)
    {
        var runId = RunIds.New();
        var now = DateTimeOffset.UtcNow;
        var random = new Random(11);
        var entries = FleetRows.Entries(runId, options.FleetDevices, now, random);
        var alerts = FleetRows.ActiveAlerts(runId, entries, now, random);
        report.Add(Name, "devices", entries.Count);
        report.Add(Name, "active_alerts", alerts.Count);

        if (options.Durable)
        {
            await InPostgresAsync(options, report, runId, entries, alerts, random);
        }
        else
        {
            report.Note(Name, "the PostgreSQL phases need the durable profile");
        }

        await InMemoryAsync(report, entries, alerts);
    }

    private async Task InPostgresAsync(BenchmarkOptions options, Report report, string runId, List<DeviceCatalogEntry> entries, List<Alert> alerts, Random random)
    {
        await PostgresSchema.MigrateAsync(options.Postgres, CancellationToken.None);
        await using var dataSource = NpgsqlDataSource.Create(options.Postgres);
        var catalog = new PostgresDeviceCatalog(dataSource, NullLogger<PostgresDeviceCatalog>.Instance);
        var alertStore = new PostgresAlertStore(
            dataSource, Options.Create(new AlertStoreOptions()), TimeProvider.System, NullLogger<PostgresAlertStore>.Instance);

        var filling = Stopwatch.StartNew();
        await FleetRows.WriteAsync(catalog, entries);
        report.Add(Name, "fill_upsert_rows_per_s", entries.Count / filling.Elapsed.TotalSeconds, "rows/s");
        await FleetRows.RecordAsync(alertStore, alerts);

        var fleetHealth = new FleetHealthReport(catalog, alertStore, TimeProvider.System);
        await ExecuteAsync(dataSource, "VACUUM (ANALYZE) devices");
        report.Add(Name, "settled_count_plan", await CountPlanAsync(dataSource));
        var health = await TimeReadsAsync(report, "settled_", fleetHealth);
        report.Add(Name, "report_total_devices", health.TotalDevices);
        report.Add(Name, "report_online_offline_unregistered", $"{health.ByStatus.Online}/{health.ByStatus.Offline}/{health.ByStatus.Unregistered}");
        report.Add(Name, "filled_online_offline_unregistered", FleetRows.Statuses(entries));
        report.Add(Name, "report_active_alerts", health.ActiveAlertsBySeverity.Values.Sum());
        report.Add(Name, "report_silent_longest", health.SilentLongest.Count);

        var churned = entries
            .Where(e => e.Active && random.NextDouble() < ChurnedShare)
            .Select(e => e with { Online = !e.Online, LastSeen = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow })
            .ToList();
        await FleetRows.WriteAsync(catalog, churned);
        await ExecuteAsync(dataSource, "ANALYZE devices");
        report.Add(Name, "churned_devices", churned.Count);
        report.Add(Name, "churned_count_plan", await CountPlanAsync(dataSource));
        await TimeReadsAsync(report, "churned_", fleetHealth);
        await FleetRows.RemoveAsync(dataSource, runId);
    }

    private async Task InMemoryAsync(Report report, List<DeviceCatalogEntry> entries, List<Alert> alerts)
    {
        var catalog = new InMemoryDeviceCatalog();
        foreach (var entry in entries)
        {
            await catalog.UpsertAsync(entry, CancellationToken.None);
        }

        var alertStore = new InMemoryAlertStore(Options.Create(new AlertStoreOptions()), TimeProvider.System);
        foreach (var alert in alerts)
        {
            await alertStore.RecordAsync(alert, CancellationToken.None);
        }

        await TimeReadsAsync(report, "memory_", new FleetHealthReport(catalog, alertStore, TimeProvider.System));
    }

    private async Task<FleetHealth> TimeReadsAsync(Report report, string prefix, FleetHealthReport fleetHealth)
    {
        for (var i = 0; i < WarmupReads; i++)
        {
            await fleetHealth.ReadAsync(FleetHealth.DefaultSilentLongest, CancellationToken.None);
        }

        var latency = new LatencyHistogram();
        FleetHealth? health = null;
        for (var i = 0; i < MeasuredReads; i++)
        {
            var started = Stopwatch.GetTimestamp();
            health = await fleetHealth.ReadAsync(FleetHealth.DefaultSilentLongest, CancellationToken.None);
            latency.Record((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        report.Add(Name, $"{prefix}read_p50_ms", latency.ValueAt(50) / 1000.0, "ms");
        report.Add(Name, $"{prefix}read_p99_ms", latency.ValueAt(99) / 1000.0, "ms");
        report.Add(Name, $"{prefix}read_max_ms", latency.Max / 1000.0, "ms");
        return health!;
    }

    private static async Task<string> CountPlanAsync(NpgsqlDataSource dataSource)
    {
        await using var explain = dataSource.CreateCommand("EXPLAIN SELECT type, active, online, count(*) FROM devices GROUP BY type, active, online");
        var plan = new List<string>();
        await using var rows = await explain.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            plan.Add(rows.GetString(0));
        }

        return plan.Any(line => line.Contains("Index Only Scan", StringComparison.Ordinal)) ? "index-only scan" : "sequential scan";
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
