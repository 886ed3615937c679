using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Grains;
using Orleans.IoT.Grains.Gateways;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Grains;

/// <summary>
/// A gateway with an embedded broker that dies (it stops renewing and expires from the directory) took its devices'
/// connections with it: they go offline at once (README "Presence"), not after Presence:OfflineAfterSeconds. A gateway
/// that stops cleanly (unregisters), or one behind a shared broker, leaves its devices be.
/// </summary>
public sealed class GatewayGoneTests(GatewayGoneTests.Silo cluster) : IClassFixture<GatewayGoneTests.Silo>
{
    /// <summary>Gateways expire after 2 s, silos read the directory every 200 ms, and no device goes offline for silence.</summary>
    public sealed class Silo : ClusterFixture
    {
        protected override void ConfigureServices(IServiceCollection services)
        {
            services.Configure<GatewayDirectoryOptions>(o => (o.ExpirySeconds, o.DirectoryRefreshMilliseconds) = (2, 200));
            services.Configure<PresenceOptions>(o => o.OfflineAfterSeconds = 3600);
        }
    }

    [Fact]
    public async Task Devices_connected_through_a_gateway_that_died_go_offline_unless_heard_through_another_since()
    {
        var directory = cluster.Client.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key);
        var observer = cluster.Client.CreateObjectReference<IGatewayObserver>(new GatewayDirectoryTests.SilentGateway());
        GatewayRegistration Gateway(string name, string? sharedBroker = null) =>
            new($"{name}-{Guid.NewGuid():N}", observer, FleetInterest.None, sharedBroker);
        var dying = Gateway("dying");
        var staying = Gateway("staying");
        var stopping = Gateway("stopping");
        var shared = Gateway("shared", "broker:1883");
        foreach (var gateway in (GatewayRegistration[])[dying, staying, stopping, shared])
        {
            await directory.Register(gateway);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500)); // every gateway in the silo's copy of the directory
        var (lost, lostId, lostToken) = await cluster.RegisterDeviceAsync();
        var (moved, movedId, movedToken) = await cluster.RegisterDeviceAsync();
        var (external, externalId, externalToken) = await cluster.RegisterDeviceAsync();
        var (left, leftId, leftToken) = await cluster.RegisterDeviceAsync();
        Assert.True((await lost.Heartbeat(DeviceMetrics.None, Caller.Device(lostId, lostToken, dying.Id))).IsOk);
        Assert.True((await moved.Heartbeat(DeviceMetrics.None, Caller.Device(movedId, movedToken, dying.Id))).IsOk);
        Assert.True((await moved.Heartbeat(DeviceMetrics.None, Caller.Device(movedId, movedToken, staying.Id))).IsOk);
        Assert.True((await external.Heartbeat(DeviceMetrics.None, Caller.Device(externalId, externalToken, shared.Id))).IsOk);
        Assert.True((await left.Heartbeat(DeviceMetrics.None, Caller.Device(leftId, leftToken, stopping.Id))).IsOk);

        // The stopping gateway unregisters; the dying and the shared one stop renewing; the staying one renews.
        await directory.Unregister(stopping.Id);
        var renewing = Stopwatch.StartNew();
        while (renewing.Elapsed < TimeSpan.FromSeconds(5))
        {
            await directory.Register(staying);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        var offline = cluster.Events.Of<PresenceChange>(p => !p.Online && (string[])[lostId, movedId, externalId, leftId] is var ids && ids.Contains(p.DeviceId));
        var gone = Assert.Single(offline);
        Assert.Equal((lostId, DeviceGrain.ReasonConnectionLost), (gone.DeviceId, gone.Reason));
        Assert.Equal("offline", (await lost.GetSnapshot()).Presence);
        Assert.Equal("online", (await moved.GetSnapshot()).Presence);
        await directory.Unregister(staying.Id);
    }
}
