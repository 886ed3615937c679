using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Postgres;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The catalog writer on its own, against the durable profile's PostgreSQL (its schema made by the node).</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresDeviceCatalogTests(DurableNodeFixture node)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Entries_queued_while_postgres_is_cut_are_stored_once_it_is_restored()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresDeviceCatalog>();
        var catalog = new PostgresDeviceCatalog(dataSource, logger);
        await catalog.StartAsync(CancellationToken.None);
        var prefix = NewPrefix();

        proxy.Cut();
        for (var i = 0; i < 20; i++)
        {
            await catalog.UpsertAsync(Entry($"{prefix}{i}", "cut"), CancellationToken.None);
        }

        await Task.Delay(1000);
        Assert.Equal(0, CountDevices(prefix));
        proxy.Restore();

        await WaitUntilAsync(() => CountDevices(prefix) == 20);
        await catalog.StopAsync(CancellationToken.None);
        var warnings = logger.At(LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("cannot be written", warnings[0]);
        Assert.Contains("written to PostgreSQL again", warnings[1]);
        Assert.Empty(logger.At(LogLevel.Error));
    }

    [Fact]
    public async Task A_newer_entry_queued_while_an_older_one_is_being_written_is_not_overwritten_by_it()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var catalog = new PostgresDeviceCatalog(dataSource, new RecordingLogger<PostgresDeviceCatalog>());
        await catalog.StartAsync(CancellationToken.None);
        var deviceId = $"{NewPrefix()}0";

        proxy.Cut();
        await catalog.UpsertAsync(Entry(deviceId, "older"), CancellationToken.None);
        // The writer has taken the older entry and keeps trying to write it.
        await WaitUntilAsync(() => catalog.Queued == 0);
        await catalog.UpsertAsync(Entry(deviceId, "newer"), CancellationToken.None);
        proxy.Restore();

        using var deadline = new CancellationTokenSource(Settled);
        await catalog.StopAsync(deadline.Token);
        Assert.Equal("newer", NameOf(deviceId));
    }

    [Fact]
    public async Task Stopping_writes_every_queued_entry_first_and_the_latest_entry_of_a_device_wins()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresDeviceCatalog>();
        var catalog = new PostgresDeviceCatalog(dataSource, logger);
        await catalog.StartAsync(CancellationToken.None);
        var prefix = NewPrefix();

        for (var i = 0; i < 3000; i++)
        {
            await catalog.UpsertAsync(Entry($"{prefix}{i}", "first"), CancellationToken.None);
        }

        for (var i = 0; i < 3000; i += 2)
        {
            await catalog.UpsertAsync(Entry($"{prefix}{i}", "second", online: true), CancellationToken.None);
        }

        using var deadline = new CancellationTokenSource(Settled);
        await catalog.StopAsync(deadline.Token);

        Assert.Equal(3000, CountDevices(prefix));
        Assert.Equal("second", NameOf($"{prefix}0"));
        Assert.Equal("first", NameOf($"{prefix}1"));
        Assert.Equal("second", NameOf($"{prefix}2998"));
        await using (var connection = node.OpenDatabase())
        await using (var command = new NpgsqlCommand(
            "SELECT type, firmware_version, hardware_version, location, capabilities::text, active, online, last_seen, created_at FROM devices WHERE device_id = $1",
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{prefix}0" });
            await using var row = await command.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal("sensor", row.GetString(0));
            Assert.Equal("1.0.0", row.GetString(1));
            Assert.True(row.IsDBNull(2));
            Assert.Equal("lab", row.GetString(3));
            Assert.Equal("""["temperature"]""", row.GetString(4));
            Assert.True(row.GetBoolean(5));
            Assert.True(row.GetBoolean(6));
            Assert.Equal(DateTime.UnixEpoch.AddSeconds(1_694_678_400), row.GetDateTime(7));
            Assert.Equal(DateTime.UnixEpoch.AddSeconds(1_694_678_000), row.GetDateTime(8));
        }

        Assert.Empty(logger.At(LogLevel.Warning));
        Assert.Empty(logger.At(LogLevel.Error));
    }

    [Fact]
    public async Task An_entry_postgres_refuses_is_left_out_and_the_rest_of_its_batch_is_stored()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresDeviceCatalog>();
        var catalog = new PostgresDeviceCatalog(dataSource, logger);
        var prefix = NewPrefix();
        for (var i = 0; i < 30; i++)
        {
            await catalog.UpsertAsync(Entry($"{prefix}{i}", i == 17 ? "wxyz\0name" : "good"), CancellationToken.None);
        }

        await catalog.StartAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(Settled);
        await catalog.StopAsync(deadline.Token);

        Assert.Equal(29, CountDevices(prefix));
        var refused = Assert.Single(logger.At(LogLevel.Error));
        Assert.Contains($"{prefix}17", refused);
        // Not the entry's content: a marker neither a device id's hex digits nor the message can spell.
        Assert.DoesNotContain("wxyz", refused);
    }

    private static string NewPrefix() => $"catalog-{Guid.NewGuid():N}-";

    private static DeviceCatalogEntry Entry(string deviceId, string name, bool online = false) => new(
        deviceId, name, "sensor", "1.0.0", null, "lab", ["temperature"], true, online,
        DateTimeOffset.FromUnixTimeSeconds(1_694_678_400), DateTimeOffset.FromUnixTimeSeconds(1_694_678_000), DateTimeOffset.UtcNow);

    private long CountDevices(string prefix)
    {
        using var connection = node.OpenDatabase();
        using var command = new NpgsqlCommand("SELECT count(*) FROM devices WHERE starts_with(device_id, $1)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        return (long)command.ExecuteScalar()!;
    }

    private string? NameOf(string deviceId)
    {
        using var connection = node.OpenDatabase();
        using var command = new NpgsqlCommand("SELECT name FROM devices WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        return (string?)command.ExecuteScalar();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Settled;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(50);
        }
    }
}
