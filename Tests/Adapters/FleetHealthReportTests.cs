using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Grains.Fleet;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Adapters;

/// <summary>The fleet health report over the embedded profile's catalog and alert store.</summary>
public sealed class FleetHealthReportTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_694_678_400);

    private readonly InMemoryDeviceCatalog _catalog = new();
    private readonly InMemoryAlertStore _alerts = new(Options.Create(new AlertStoreOptions()), TimeProvider.System);
    private readonly FakeTimeProvider _clock = new(T0.AddHours(1));

    [Fact]
    public async Task Devices_are_counted_by_status_and_by_type_and_an_unregistered_device_counts_as_unregistered()
    {
        await UpsertAsync("s1", "sensor", online: true);
        await UpsertAsync("s2", "sensor", online: true);
        await UpsertAsync("s3", "sensor", online: false);
        await UpsertAsync("m1", "meter", online: false);
        await UpsertAsync("m2", "meter", online: true, active: false);
        await UpsertAsync("m3", "meter", online: false, active: false);

        var health = await Report().ReadAsync(FleetHealth.DefaultSilentLongest, CancellationToken.None);

        Assert.Equal(6, health.TotalDevices);
        Assert.Equal(new FleetStatusCounts(Online: 2, Offline: 2, Unregistered: 2), health.ByStatus);
        Assert.Equal(2, health.ByType.Count);
        Assert.Equal(new FleetStatusCounts(Online: 2, Offline: 1, Unregistered: 0), health.ByType["sensor"]);
        Assert.Equal(new FleetStatusCounts(Online: 0, Offline: 1, Unregistered: 2), health.ByType["meter"]);
        Assert.Equal(T0.AddHours(1), health.ComputedAt);
    }

    [Fact]
    public async Task The_silent_longest_are_registered_offline_devices_oldest_last_seen_first_never_seen_before_any_and_bounded()
    {
        await UpsertAsync("late", "sensor", online: false, lastSeen: T0.AddMinutes(30));
        await UpsertAsync("b-early", "sensor", online: false, lastSeen: T0);
        await UpsertAsync("a-early", "meter", online: false, lastSeen: T0);
        await UpsertAsync("never", "meter", online: false, lastSeen: null);
        await UpsertAsync("middle", "sensor", online: false, lastSeen: T0.AddMinutes(10));
        await UpsertAsync("online", "sensor", online: true, lastSeen: T0.AddYears(-1));
        await UpsertAsync("unregistered", "sensor", online: false, active: false, lastSeen: T0.AddYears(-1));

        var all = await Report().ReadAsync(FleetHealth.MaxSilentLongest, CancellationToken.None);
        var three = await Report().ReadAsync(3, CancellationToken.None);

        Assert.Equal(["never", "a-early", "b-early", "middle", "late"], all.SilentLongest.Select(d => d.DeviceId));
        Assert.Equal(new SilentDevice("a-early", "Device a-early", "meter", T0), all.SilentLongest[1]);
        Assert.Equal(["never", "a-early", "b-early"], three.SilentLongest.Select(d => d.DeviceId));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(FleetHealth.MaxSilentLongest + 1)]
    public async Task A_silent_longest_bound_outside_1_to_100_is_refused(int silentLongest)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Report().ReadAsync(silentLongest, CancellationToken.None));
    }

    [Fact]
    public async Task Active_alerts_are_counted_by_severity_with_every_severity_present()
    {
        await _alerts.RecordAsync(Raised("a1", "high"), CancellationToken.None);
        await _alerts.RecordAsync(Raised("a2", "high"), CancellationToken.None);
        await _alerts.RecordAsync(Raised("a3", "critical"), CancellationToken.None);
        await _alerts.RecordAsync(Raised("a4", "low") with { ClearedAt = T0.AddMinutes(1), ClearedValue = 20 }, CancellationToken.None);

        var health = await Report().ReadAsync(FleetHealth.DefaultSilentLongest, CancellationToken.None);

        Assert.Equal(
            new Dictionary<string, long> { ["info"] = 0, ["low"] = 0, ["medium"] = 0, ["high"] = 2, ["critical"] = 1 },
            health.ActiveAlertsBySeverity);
        Assert.Equal(0, health.TotalDevices);
        Assert.Empty(health.SilentLongest);
    }

    private FleetHealthReport Report() => new(_catalog, _alerts, _clock);

    private ValueTask UpsertAsync(string deviceId, string type, bool online, bool active = true, DateTimeOffset? lastSeen = default) =>
        _catalog.UpsertAsync(
            new DeviceCatalogEntry(deviceId, $"Device {deviceId}", type, null, null, null, [], active, online, lastSeen ?? (online ? T0 : null), T0, T0),
            CancellationToken.None);

    private static Alert Raised(string alertId, string severity) => new(alertId, "d1", "temperature>80", "temperature", severity, 80, 85, T0);
}
