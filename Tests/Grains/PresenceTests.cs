using Orleans.IoT.Grains;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Tests.Grains;

/// <summary>Presence in one silo: disconnects, and the catalog's record of who watches a device.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PresenceTests(ClusterFixture fixture)
{
    [Theory]
    [InlineData(true, DeviceGrain.ReasonDisconnected)]
    [InlineData(false, DeviceGrain.ReasonConnectionLost)]
    public async Task A_closed_connection_marks_the_device_offline_at_once_with_its_reason(bool clean, string reason)
    {
        var (device, id, _) = await fixture.RegisterDeviceAsync();

        await device.ConnectionClosed(clean, Now());

        var offline = Assert.Single(fixture.Events.Of<PresenceChange>(p => p.DeviceId == id && !p.Online));
        Assert.Equal(reason, offline.Reason);
        Assert.Equal("offline", (await device.GetSnapshot()).Presence);
        Assert.False(fixture.Catalog.Find(id)!.Online);
    }

    [Fact]
    public async Task A_connection_closed_before_the_device_was_last_heard_from_leaves_it_online()
    {
        var (device, id, token) = await fixture.RegisterDeviceAsync();
        var closedAt = Now();
        await Task.Delay(20);
        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token))).IsOk); // the new connection's first message

        await device.ConnectionClosed(clean: false, closedAt);

        Assert.Empty(fixture.Events.Of<PresenceChange>(p => p.DeviceId == id && !p.Online));
        Assert.Equal("online", (await device.GetSnapshot()).Presence);
    }

    [Fact]
    public async Task A_device_offline_after_a_closed_connection_comes_back_online_when_heard_from()
    {
        var (device, id, token) = await fixture.RegisterDeviceAsync();
        await device.ConnectionClosed(clean: true, Now());

        Assert.True((await device.Heartbeat(DeviceMetrics.None, Caller.Device(id, token))).IsOk);

        Assert.Equal(2, fixture.Events.Of<PresenceChange>(p => p.DeviceId == id && p.Online).Count);
        Assert.Equal("online", (await device.GetSnapshot()).Presence);
        Assert.True(fixture.Catalog.Find(id)!.Online);
    }

    [Fact]
    public async Task The_catalog_names_the_silo_watching_an_online_device_and_none_once_it_is_offline()
    {
        var (device, id, _) = await fixture.RegisterDeviceAsync();
        var watcher = fixture.Catalog.Find(id)!.WatchedBy;
        Assert.False(string.IsNullOrEmpty(watcher));
        Assert.Contains(watcher, await fixture.Catalog.WatchersAsync(default));
        Assert.Contains(id, await fixture.Catalog.WatchedByAsync(watcher!, null, int.MaxValue, default));

        await device.ConnectionClosed(clean: true, Now());

        Assert.Null(fixture.Catalog.Find(id)!.WatchedBy);
        Assert.DoesNotContain(id, await fixture.Catalog.WatchedByAsync(watcher!, null, int.MaxValue, default));
    }

    [Fact]
    public async Task Waking_a_device_puts_right_a_catalog_row_that_missed_its_offline_transition()
    {
        var (device, id, _) = await fixture.RegisterDeviceAsync();
        var online = fixture.Catalog.Find(id)!;
        await device.ConnectionClosed(clean: true, Now());
        await fixture.Catalog.UpsertAsync(online with { WatchedBy = "127.0.0.1:1@1" }, default); // as if written by a silo now dead

        await device.WatchPresence();

        Assert.False(fixture.Catalog.Find(id)!.Online);
    }

    [Fact]
    public async Task Waking_a_device_never_registered_here_leaves_its_catalog_row_alone()
    {
        // The row of a device of another service sharing the catalog, watched by a silo this cluster does not know.
        var id = $"elsewhere-{Guid.NewGuid():N}";
        var row = new DeviceCatalogEntry(id, "Other service's device", "meter", null, null, null, [], Active: true, Online: true,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, WatchedBy: "127.0.0.1:1@1");
        await fixture.Catalog.UpsertAsync(row, default);

        await fixture.Client.GetGrain<IDeviceGrain>(id).WatchPresence();

        Assert.Equal(row, fixture.Catalog.Find(id));
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
