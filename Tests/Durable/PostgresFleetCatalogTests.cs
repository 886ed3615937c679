using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Postgres;

namespace Orleans.IoT.Tests.Durable;

/// <summary>
/// The catalog's fleet reads against the durable profile's PostgreSQL (its schema made by the node). The database is
/// shared by the durable tests, so each test uses types of its own and last_seen times older than any other test's.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresFleetCatalogTests(DurableNodeFixture node)
{
    private static readonly DateTimeOffset LongAgo = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_counts_by_type_and_status_are_those_of_the_upserted_rows()
    {
        await using var dataSource = node.CreateDataSource();
        var catalog = new PostgresDeviceCatalog(dataSource, new RecordingLogger<PostgresDeviceCatalog>());
        var prefix = NewPrefix();
        var (sensor, meter) = ($"{prefix}sensor", $"{prefix}meter");
        var entries = new List<DeviceCatalogEntry>();
        for (var i = 0; i < 50; i++)
        {
            entries.Add(Entry($"{prefix}s{i}", sensor, active: i % 10 != 0, online: i % 3 != 0, DateTimeOffset.UtcNow));
        }

        for (var i = 0; i < 7; i++)
        {
            entries.Add(Entry($"{prefix}m{i}", meter, active: true, online: false, DateTimeOffset.UtcNow));
        }

        await StoreAsync(catalog, entries);

        var groups = (await catalog.CountByTypeAndStatusAsync(CancellationToken.None)).Where(g => g.Type.StartsWith(prefix, StringComparison.Ordinal));

        var expected = entries
            .CountBy(e => (e.Type, e.Active, e.Online))
            .Select(c => new FleetCatalogGroup(c.Key.Type, c.Key.Active, c.Key.Online, c.Value));
        Assert.Equal(expected.OrderBy(g => g.ToString()), groups.OrderBy(g => g.ToString()));
        Assert.Contains(new FleetCatalogGroup(meter, true, false, 7), groups);
    }

    [Fact]
    public async Task The_silent_longest_are_the_registered_offline_rows_oldest_last_seen_first_then_by_id()
    {
        await using var dataSource = node.CreateDataSource();
        var catalog = new PostgresDeviceCatalog(dataSource, new RecordingLogger<PostgresDeviceCatalog>());
        var prefix = NewPrefix();
        var type = $"{prefix}sensor";
        var offline = Enumerable.Range(0, 120)
            .Select(i => Entry($"{prefix}{i:D3}", type, active: true, online: false, LongAgo.AddMinutes(i / 2)))
            .ToList();
        List<DeviceCatalogEntry> others =
        [
            Entry($"{prefix}online", type, active: true, online: true, LongAgo.AddYears(-1)),
            Entry($"{prefix}unregistered", type, active: false, online: false, LongAgo.AddYears(-1)),
        ];
        await StoreAsync(catalog, [.. offline.AsEnumerable().Reverse(), .. others]);

        var silent = await catalog.SilentLongestAsync(FleetHealth.MaxSilentLongest, CancellationToken.None);

        Assert.Equal(offline.Take(FleetHealth.MaxSilentLongest).Select(e => e.DeviceId), silent.Select(d => d.DeviceId));
        Assert.Equal(new SilentDevice($"{prefix}003", $"Device {prefix}003", type, LongAgo.AddMinutes(1)), silent[3]);
        Assert.Equal([$"{prefix}000", $"{prefix}001"], (await catalog.SilentLongestAsync(2, CancellationToken.None)).Select(d => d.DeviceId));
    }

    /// <summary>Queues <paramref name="entries"/> and runs the catalog's writer until they are all stored.</summary>
    internal static async Task StoreAsync(PostgresDeviceCatalog catalog, IEnumerable<DeviceCatalogEntry> entries)
    {
        foreach (var entry in entries)
        {
            await catalog.UpsertAsync(entry, CancellationToken.None);
        }

        await catalog.StartAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await catalog.StopAsync(deadline.Token);
        Assert.Equal(0, catalog.Queued);
    }

    private static string NewPrefix() => $"fleet-{Guid.NewGuid():N}-";

    private static DeviceCatalogEntry Entry(string deviceId, string type, bool active, bool online, DateTimeOffset lastSeen) => new(
        deviceId, $"Device {deviceId}", type, "1.0.0", null, "lab", [], active, online, lastSeen, LongAgo, LongAgo);
}
