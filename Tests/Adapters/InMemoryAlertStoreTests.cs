using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Adapters;

/// <summary>The embedded profile's alert store: what it keeps, what reads return, acknowledgements, and its bound.</summary>
public sealed class InMemoryAlertStoreTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_694_678_400);

    [Fact]
    public async Task Active_alerts_are_read_newest_first_by_severity_and_counted_by_severity()
    {
        var store = NewStore();
        await store.RecordAsync(Raised("a1", "d1", "high", T0), CancellationToken.None);
        await store.RecordAsync(Raised("a2", "d2", "critical", T0.AddSeconds(1)), CancellationToken.None);
        await store.RecordAsync(Raised("a3", "d1", "high", T0.AddSeconds(2)), CancellationToken.None);
        await store.RecordAsync(Raised("a4", "d3", "high", T0.AddSeconds(3)), CancellationToken.None);
        await store.RecordAsync(Cleared(Raised("a4", "d3", "high", T0.AddSeconds(3)), 20, T0.AddSeconds(4)), CancellationToken.None);

        Assert.Equal(["a3", "a2", "a1"], (await store.ReadActiveAsync(null, 10, CancellationToken.None)).Select(a => a.AlertId));
        Assert.Equal(["a3", "a1"], (await store.ReadActiveAsync("high", 10, CancellationToken.None)).Select(a => a.AlertId));
        Assert.Equal(["a3"], (await store.ReadActiveAsync("high", 1, CancellationToken.None)).Select(a => a.AlertId));
        Assert.Equal(
            new Dictionary<string, long> { ["info"] = 0, ["low"] = 0, ["medium"] = 0, ["high"] = 2, ["critical"] = 1 },
            await store.CountActiveBySeverityAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_fleets_alerts_are_read_by_state_and_severity_newest_raised_first()
    {
        var store = NewStore();
        var oldCleared = Raised("a1", "d1", "high", T0);
        await store.RecordAsync(oldCleared, CancellationToken.None);
        await store.RecordAsync(Cleared(oldCleared, 20, T0.AddSeconds(10)), CancellationToken.None);
        await store.RecordAsync(Raised("a2", "d2", "critical", T0.AddSeconds(1)), CancellationToken.None);
        var newCleared = Raised("a3", "d1", "low", T0.AddSeconds(2));
        await store.RecordAsync(newCleared, CancellationToken.None);
        await store.RecordAsync(Cleared(newCleared, 20, T0.AddSeconds(3)), CancellationToken.None);
        await store.RecordAsync(Raised("a4", "d3", "high", T0.AddSeconds(4)), CancellationToken.None);

        Assert.Equal(["a4", "a3", "a2", "a1"], await Ids(null, null, 10));
        Assert.Equal(["a4", "a3"], await Ids(null, null, 2));
        Assert.Equal(["a3", "a1"], await Ids(null, AlertStates.Cleared, 10));
        Assert.Equal(["a1"], await Ids("high", AlertStates.Cleared, 10));
        Assert.Equal(["a4", "a1"], await Ids("high", null, 10));
        Assert.Equal(["a4", "a2"], await Ids(null, AlertStates.Active, 10));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ReadFleetAsync(null, "all", 10, CancellationToken.None));

        async Task<string[]> Ids(string? severity, string? state, int limit) =>
            [.. (await store.ReadFleetAsync(severity, state, limit, CancellationToken.None)).Select(a => a.AlertId)];
    }

    [Fact]
    public async Task A_devices_history_is_newest_first_with_its_clears_and_a_clear_is_never_undone()
    {
        var store = NewStore();
        var first = Raised("a1", "d1", "high", T0);
        await store.RecordAsync(first, CancellationToken.None);
        await store.RecordAsync(Cleared(first, 70, T0.AddSeconds(5)), CancellationToken.None);
        await store.RecordAsync(first, CancellationToken.None);
        await store.RecordAsync(Raised("a2", "d1", "high", T0.AddSeconds(10)), CancellationToken.None);

        var history = await store.ReadDeviceHistoryAsync("d1", 10, CancellationToken.None);

        Assert.Equal(["a2", "a1"], history.Select(a => a.AlertId));
        Assert.Equal((AlertStates.Cleared, 70.0, T0.AddSeconds(5)), (history[1].State, history[1].ClearedValue, history[1].ClearedAt));
        Assert.Empty(await store.ReadDeviceHistoryAsync("d2", 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_acknowledgement_records_who_and_when_once_and_does_not_clear()
    {
        var clock = new FakeTimeProvider(T0.AddMinutes(1));
        var store = NewStore(clock: clock);
        await store.RecordAsync(Raised("a1", "d1", "high", T0), CancellationToken.None);

        Assert.True(await store.AcknowledgeAsync("a1", "ops", CancellationToken.None));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await store.AcknowledgeAsync("a1", "someone-else", CancellationToken.None));
        Assert.False(await store.AcknowledgeAsync("nope", "ops", CancellationToken.None));
        await store.RecordAsync(Cleared(Raised("a1", "d1", "high", T0), 1, T0.AddMinutes(3)), CancellationToken.None);

        var alert = Assert.Single(await store.ReadDeviceHistoryAsync("d1", 10, CancellationToken.None));
        Assert.Equal(("ops", T0.AddMinutes(1), AlertStates.Cleared), (alert.AcknowledgedBy, alert.AcknowledgedAt, alert.State));
    }

    [Fact]
    public async Task Each_device_keeps_at_most_its_bound_forgetting_cleared_alerts_first()
    {
        var store = NewStore(maxPerDevice: 3);
        await store.RecordAsync(Raised("active", "d1", "high", T0), CancellationToken.None);
        for (var i = 1; i <= 10; i++)
        {
            var raised = Raised($"a{i}", "d1", "low", T0.AddSeconds(i));
            await store.RecordAsync(raised, CancellationToken.None);
            await store.RecordAsync(Cleared(raised, 1, T0.AddSeconds(i)), CancellationToken.None);
        }

        Assert.Equal(["a10", "a9", "active"], (await store.ReadDeviceHistoryAsync("d1", 10, CancellationToken.None)).Select(a => a.AlertId));
        Assert.Equal(["active"], (await store.ReadActiveAsync(null, 10, CancellationToken.None)).Select(a => a.AlertId));
        Assert.False(await store.AcknowledgeAsync("a1", "ops", CancellationToken.None));
    }

    [Fact]
    public async Task Times_are_kept_to_the_microsecond_in_utc()
    {
        var store = NewStore();
        await store.RecordAsync(Raised("a1", "d1", "high", new DateTimeOffset(T0.UtcDateTime.AddTicks(1234567), TimeSpan.Zero).ToOffset(TimeSpan.FromHours(2))), CancellationToken.None);

        var kept = Assert.Single(await store.ReadActiveAsync(null, 1, CancellationToken.None));
        Assert.Equal(T0.AddTicks(1234560), kept.RaisedAt);
        Assert.Equal(TimeSpan.Zero, kept.RaisedAt.Offset);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(1001, null)]
    [InlineData(10, "urgent")]
    public async Task A_read_with_a_bad_limit_or_severity_is_refused(int limit, string? severity) =>
        await Assert.ThrowsAnyAsync<ArgumentException>(() => NewStore().ReadActiveAsync(severity, limit, CancellationToken.None));

    [Fact]
    public async Task A_malformed_alert_is_refused()
    {
        var store = NewStore();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.RecordAsync(Raised("a1", "d1", "urgent", T0), CancellationToken.None).AsTask());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.RecordAsync(Raised("a1", "d1", "high", T0) with { ClearedValue = 1 }, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task The_embedded_node_records_and_reads_through_one_in_memory_store()
    {
        await using var app = await IoTNode.BuildAsync([]);
        var store = app.Services.GetRequiredService<InMemoryAlertStore>();
        Assert.Same(store, app.Services.GetRequiredService<IAlertStore>());
        Assert.Same(store, app.Services.GetRequiredService<IAlertReader>());
    }

    private static InMemoryAlertStore NewStore(int maxPerDevice = 100, TimeProvider? clock = null) =>
        new(Options.Create(new AlertStoreOptions { MaxPerDevice = maxPerDevice }), clock ?? TimeProvider.System);

    private static Alert Raised(string alertId, string deviceId, string severity, DateTimeOffset at) =>
        new(alertId, deviceId, "temperature>80", "temperature", severity, 80, 85, at);

    private static Alert Cleared(Alert alert, double value, DateTimeOffset at) => alert with { ClearedValue = value, ClearedAt = at };
}
