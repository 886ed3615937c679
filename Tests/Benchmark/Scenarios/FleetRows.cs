using System.Diagnostics;
using Npgsql;
using Orleans.IoT.Grains.Fleet;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Postgres;

namespace Orleans.IoT.Benchmark.Scenarios;

/// <summary>
/// Fleet-like catalog rows and active alerts (the <c>fleet</c> and <c>console</c> scenarios' data), and their writing
/// through the PostgreSQL adapters' own paths.
/// </summary>
public static class FleetRows
{
    private static readonly (string Type, int Weight)[] Types = [("sensor", 50), ("meter", 20), ("actuator", 15), ("camera", 10), ("gateway", 5)];

    private static readonly (string Severity, int Weight)[] Severities = [("info", 10), ("low", 30), ("medium", 30), ("high", 25), ("critical", 5)];

    /// <summary>The silo address the online rows are watched by unless a caller names one: no silo of a benchmark run.</summary>
    public const string NoSilo = "127.0.0.1:11111@1";

    /// <summary>
    /// <paramref name="count"/> devices <c>{runId}-{i}</c> named <c>Device {runId}-{i}</c> (see <see cref="NewEntry"/>), the
    /// online ones watched by <paramref name="watchedBy"/>.
    /// </summary>
    public static List<DeviceCatalogEntry> Entries(string runId, int count, DateTimeOffset now, Random random, string watchedBy = NoSilo) =>
        Enumerable.Range(0, count).Select(i => NewEntry($"{runId}-{i}", now, random, watchedBy)).ToList();

    /// <summary>An active alert on about 1 % of <paramref name="entries"/>.</summary>
    public static List<Alert> ActiveAlerts(string runId, List<DeviceCatalogEntry> entries, DateTimeOffset now, Random random) =>
        entries.Where(_ => random.NextDouble() < 0.01).Select((e, i) => NewAlert($"{runId}-a{i}", e.DeviceId, now, random)).ToList();

    /// <summary>Writes through the catalog's batch writer: queued, then written in batches until its stop has written them all.</summary>
    public static async Task WriteAsync(PostgresDeviceCatalog catalog, List<DeviceCatalogEntry> entries)
    {
        foreach (var entry in entries)
        {
            await catalog.UpsertAsync(entry, CancellationToken.None);
        }

        await catalog.StartAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await catalog.StopAsync(deadline.Token);
        if (catalog.Queued > 0)
        {
            throw new InvalidOperationException($"{catalog.Queued} catalog entries were not written within 5 minutes");
        }
    }

    /// <summary>Records the alerts through the alert store, whose start and stop write what it queued.</summary>
    public static async Task RecordAsync(PostgresAlertStore alertStore, List<Alert> alerts)
    {
        foreach (var alert in alerts)
        {
            await alertStore.RecordAsync(alert, CancellationToken.None);
        }

        await alertStore.StartAsync(CancellationToken.None);
        await alertStore.StopAsync(CancellationToken.None);
    }

    /// <summary>Removes the rows of the run <paramref name="runId"/>, so that the next run's catalog is the same size.</summary>
    public static async Task RemoveAsync(NpgsqlDataSource dataSource, string runId)
    {
        foreach (var table in new[] { "alerts", "sensor_readings", "devices" })
        {
            await using var command = dataSource.CreateCommand($"DELETE FROM {table} WHERE device_id LIKE $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId + "-%" });
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Online/offline/unregistered counts of <paramref name="entries"/>.</summary>
    public static string Statuses(List<DeviceCatalogEntry> entries) =>
        $"{entries.Count(e => e.Active && e.Online)}/{entries.Count(e => e.Active && !e.Online)}/{entries.Count(e => !e.Active)}";

    /// <summary>
    /// 3 % unregistered; of the rest 88 % online (heard within offline_after) and 12 % offline, silent for up to 30 days,
    /// most of them recently.
    /// </summary>
    private static DeviceCatalogEntry NewEntry(string deviceId, DateTimeOffset now, Random random, string watchedBy)
    {
        var active = random.NextDouble() >= 0.03;
        var online = active && random.NextDouble() < 0.88;
        var silentFor = online
            ? TimeSpan.FromSeconds(random.Next(600))
            : TimeSpan.FromMinutes(10 + Math.Pow(random.NextDouble(), 3) * 30 * 24 * 60);
        var createdAt = now.AddDays(-90);
        return new DeviceCatalogEntry(
            deviceId, $"Device {deviceId}", Pick(Types, random), "1.4.2", "rev-b", $"site-{random.Next(50)}", ["temperature", "humidity"],
            active, online, now - silentFor, createdAt, now - silentFor, online ? watchedBy : null);
    }

    private static Alert NewAlert(string alertId, string deviceId, DateTimeOffset now, Random random) =>
        new(alertId, deviceId, "temperature>80", "temperature", Pick(Severities, random), 80, 80 + random.Next(1, 20), now.AddMinutes(-random.Next(1, 600)));

    private static string Pick((string Value, int Weight)[] choices, Random random)
    {
        var roll = random.Next(choices.Sum(c => c.Weight));
        foreach (var (value, weight) in choices)
        {
            if ((roll -= weight) < 0)
            {
                return value;
            }
        }

        throw new UnreachableException();
    }
}
