using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The alert store on its own, against the durable profile's PostgreSQL (its schema made by the node).</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresAlertStoreTests(DurableNodeFixture node)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(15);
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_694_678_400);

    [Fact]
    public async Task Alerts_are_stored_read_counted_and_acknowledged_and_a_clear_stands_whatever_order_it_arrives_in()
    {
        await using var dataSource = node.CreateDataSource();
        var clock = new FakeTimeProvider(T0.AddHours(1));
        var logger = new RecordingLogger<PostgresAlertStore>();
        var store = new PostgresAlertStore(dataSource, Options.Create(new AlertStoreOptions()), clock, logger);
        var (device, other) = (NewDeviceId(), NewDeviceId());
        var countsBefore = await store.CountActiveBySeverityAsync(CancellationToken.None);
        await store.StartAsync(CancellationToken.None);

        var hot = Raised(NewAlertId(), device, "high", T0.AddTicks(1234560));
        var cold = Raised(NewAlertId(), device, "low", T0.AddSeconds(1));
        var damp = Raised(NewAlertId(), other, "high", T0.AddSeconds(2));
        await store.RecordAsync(hot, CancellationToken.None);
        await store.RecordAsync(cold, CancellationToken.None);
        await store.RecordAsync(damp, CancellationToken.None);
        await WaitUntilAsync(() => CountAlerts(device) == 2 && CountAlerts(other) == 1);
        // The clear of cold written first, its raise told again after: the clear stands.
        await store.RecordAsync(cold with { ClearedValue = 12.5, ClearedAt = T0.AddSeconds(30) }, CancellationToken.None);
        await WaitUntilAsync(() => CountActive(device) == 1);
        await store.RecordAsync(cold, CancellationToken.None);

        Assert.True(await store.AcknowledgeAsync(hot.AlertId, "ops", CancellationToken.None));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(await store.AcknowledgeAsync(hot.AlertId, "someone-else", CancellationToken.None));
        Assert.False(await store.AcknowledgeAsync(NewAlertId(), "ops", CancellationToken.None));
        using (var deadline = new CancellationTokenSource(Settled))
        {
            await store.StopAsync(deadline.Token);
        }

        var history = await store.ReadDeviceHistoryAsync(device, 10, CancellationToken.None);
        Assert.Equal([cold.AlertId, hot.AlertId], history.Select(a => a.AlertId));
        Assert.Equal(cold with { ClearedValue = 12.5, ClearedAt = T0.AddSeconds(30) }, history[0]);
        Assert.Equal(hot with { AcknowledgedAt = T0.AddHours(1), AcknowledgedBy = "ops" }, history[1]);
        Assert.Equal([cold.AlertId], (await store.ReadDeviceHistoryAsync(device, 1, CancellationToken.None)).Select(a => a.AlertId));

        var activeHigh = await store.ReadActiveAsync("high", 1000, CancellationToken.None);
        Assert.Equal([damp.AlertId, hot.AlertId], activeHigh.Where(a => a.DeviceId == device || a.DeviceId == other).Select(a => a.AlertId));
        Assert.DoesNotContain(await store.ReadActiveAsync(null, 1000, CancellationToken.None), a => a.AlertId == cold.AlertId);
        var counts = await store.CountActiveBySeverityAsync(CancellationToken.None);
        Assert.Equal(countsBefore["high"] + 2, counts["high"]);
        Assert.Equal(countsBefore["low"], counts["low"]);
        Assert.Empty(logger.At(LogLevel.Warning).Concat(logger.At(LogLevel.Error)));
    }

    [Fact]
    public async Task The_fleets_alerts_are_read_by_state_and_severity_newest_raised_first()
    {
        await using var dataSource = node.CreateDataSource();
        var store = new PostgresAlertStore(dataSource, Options.Create(new AlertStoreOptions()), TimeProvider.System, new RecordingLogger<PostgresAlertStore>());
        var device = NewDeviceId();
        var oldCleared = Raised(NewAlertId(), device, "high", T0);
        var active = Raised(NewAlertId(), device, "critical", T0.AddSeconds(1));
        var newCleared = Raised(NewAlertId(), device, "low", T0.AddSeconds(2));
        var newest = Raised(NewAlertId(), device, "high", T0.AddSeconds(4));
        foreach (var alert in new[] { oldCleared with { ClearedValue = 20, ClearedAt = T0.AddSeconds(10) }, active, newCleared with { ClearedValue = 20, ClearedAt = T0.AddSeconds(3) }, newest })
        {
            await store.RecordAsync(alert, CancellationToken.None);
        }

        await store.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => CountAlerts(device) == 4);
        using (var deadline = new CancellationTokenSource(Settled))
        {
            await store.StopAsync(deadline.Token);
        }

        Assert.Equal([newest.AlertId, newCleared.AlertId, active.AlertId, oldCleared.AlertId], await Ids(null, null));
        Assert.Equal([newCleared.AlertId, oldCleared.AlertId], await Ids(null, AlertStates.Cleared));
        Assert.Equal([oldCleared.AlertId], await Ids("high", AlertStates.Cleared));
        Assert.Equal([newest.AlertId, oldCleared.AlertId], await Ids("high", null));
        Assert.Equal([newest.AlertId, active.AlertId], await Ids(null, AlertStates.Active));
        Assert.Single(await store.ReadFleetAsync(null, null, 1, CancellationToken.None));

        async Task<string[]> Ids(string? severity, string? state) =>
            [.. (await store.ReadFleetAsync(severity, state, 1000, CancellationToken.None)).Where(a => a.DeviceId == device).Select(a => a.AlertId)];
    }

    [Fact]
    public async Task Alerts_queued_while_postgres_is_cut_are_stored_once_it_is_restored()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresAlertStore>();
        var store = new PostgresAlertStore(dataSource, Options.Create(new AlertStoreOptions()), TimeProvider.System, logger);
        await store.StartAsync(CancellationToken.None);
        var device = NewDeviceId();

        proxy.Cut();
        for (var i = 0; i < 5; i++)
        {
            await store.RecordAsync(Raised(NewAlertId(), device, "critical", T0.AddSeconds(i)), CancellationToken.None);
        }

        await Task.Delay(500);
        Assert.Equal(0, CountAlerts(device));
        proxy.Restore();

        await WaitUntilAsync(() => CountAlerts(device) == 5);
        await store.StopAsync(CancellationToken.None);
        Assert.Equal(2, logger.At(LogLevel.Warning).Count());
    }

    [Fact]
    public async Task An_alert_acknowledged_before_it_is_written_is_written_acknowledged()
    {
        await using var dataSource = node.CreateDataSource();
        var clock = new FakeTimeProvider(T0.AddHours(1));
        var store = new PostgresAlertStore(dataSource, Options.Create(new AlertStoreOptions()), clock, new RecordingLogger<PostgresAlertStore>());
        var device = NewDeviceId();
        var raised = Raised(NewAlertId(), device, "medium", T0);
        await store.RecordAsync(raised, CancellationToken.None); // queued: the writer has not started

        Assert.True(await store.AcknowledgeAsync(raised.AlertId, "ops", CancellationToken.None));
        await store.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => CountAlerts(device) == 1);
        await store.StopAsync(CancellationToken.None);

        var stored = Assert.Single(await store.ReadDeviceHistoryAsync(device, 10, CancellationToken.None));
        Assert.Equal(raised with { AcknowledgedAt = T0.AddHours(1), AcknowledgedBy = "ops" }, stored);
    }

    [Fact]
    public async Task Past_its_capacity_the_queue_drops_an_alert_and_logs_it()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresAlertStore>();
        var store = new PostgresAlertStore(dataSource, Options.Create(new AlertStoreOptions { QueueCapacity = 2 }), TimeProvider.System, logger);
        var device = NewDeviceId();

        for (var i = 0; i < 3; i++)
        {
            await store.RecordAsync(Raised($"{device}-{i}", device, "info", T0.AddSeconds(i)), CancellationToken.None);
        }

        Assert.Equal(2, store.Queued);
        Assert.Contains($"{device}-2", Assert.Single(logger.At(LogLevel.Error)));
    }

    private static Alert Raised(string alertId, string deviceId, string severity, DateTimeOffset at) =>
        new(alertId, deviceId, "temperature>80", "temperature", severity, 80, 85.25, at);

    private static string NewDeviceId() => $"alerts-{Guid.NewGuid():N}";

    private static string NewAlertId() => Guid.NewGuid().ToString("N");

    private long CountAlerts(string deviceId) => Count("SELECT count(*) FROM alerts WHERE device_id = $1", deviceId);

    private long CountActive(string deviceId) => Count("SELECT count(*) FROM alerts WHERE device_id = $1 AND state = 'active'", deviceId);

    private long Count(string sql, string deviceId)
    {
        using var connection = node.OpenDatabase();
        using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        return (long)command.ExecuteScalar()!;
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
