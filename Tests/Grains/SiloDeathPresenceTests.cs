using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.IoT.Grains;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.TestingHost;

namespace Orleans.IoT.Tests.Grains;

/// <summary>
/// Two silos sharing their grain storage, catalog and event recorder (as Redis, PostgreSQL and the broker are shared by a
/// real cluster), with failure detection quick enough for a killed silo to be declared dead in a few seconds.
/// </summary>
public sealed class TwoSiloClusterFixture : IAsyncLifetime
{
    public const int OfflineAfterSeconds = 6;

    private readonly SharedGrainStorage _storage = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public InMemoryDeviceCatalog Catalog { get; } = new();

    public RecordingEventPublisher Events { get; } = new();

    public InMemoryAlertStore Alerts { get; } = new(Options.Create(new Silo.Configuration.AlertStoreOptions()), TimeProvider.System);

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseInMemoryReminderService();
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
            });
            silo.ConfigureServices(services =>
            {
                services.AddGrainStorage(StorageNames.Devices, (sp, _) => _storage.For(sp.GetRequiredService<Serializer>()));
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Presence:OfflineAfterSeconds"] = OfflineAfterSeconds.ToString(),
                    ["Presence:RecoveryCheckSeconds"] = "1",
                }).Build();
                services.AddIoTGrains(configuration);
                services.AddSingleton<ISensorHistorySink, InMemorySensorHistory>();
                services.AddOptions<Silo.Configuration.HistoryOptions>();
                services.AddSingleton<IDeviceCatalog>(Catalog);
                services.AddSingleton<IPresenceWatchList>(Catalog);
                services.AddOptions<Silo.Configuration.AuditOptions>();
                services.AddSingleton<ILifecycleAudit, InMemoryLifecycleAudit>();
                services.AddSingleton<IAlertStore>(Alerts);
                services.AddSingleton<IDeviceEventPublisher>(Events);
                services.AddSingleton<IDeviceOutbound>(Events);
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class SiloDeathPresenceTests(TwoSiloClusterFixture fixture) : IClassFixture<TwoSiloClusterFixture>
{
    [Fact]
    public async Task Devices_whose_grains_lived_on_a_killed_silo_are_still_marked_offline_within_offline_after_plus_5_s()
    {
        var client = fixture.Cluster.Client;
        var heardAt = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < 16; i++)
        {
            var id = $"dev-{Guid.NewGuid():N}";
            var registered = await client.GetGrain<IDeviceGrain>(id).Register(new RegisterRequest("Sensor", "thermometer", "1.0", null, null, []), Caller.Provisioning);
            Assert.True(registered.Result.IsOk, registered.Result.Message);
            heardAt[id] = Stopwatch.GetTimestamp();
        }

        var victim = fixture.Cluster.Silos[^1];
        var onVictim = heardAt.Keys.Where(id => fixture.Catalog.Find(id)?.WatchedBy == victim.SiloAddress.ToParsableString()).ToList();
        Assert.NotEmpty(onVictim); // placement spreads 16 new grains over both silos

        await fixture.Cluster.KillSiloAsync(victim);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(TwoSiloClusterFixture.OfflineAfterSeconds + 15);
        while (heardAt.Keys.Any(id => OfflineAt(id) is null) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // All of them: Orleans also deactivates the survivor's grains whose directory partition was on the killed silo.
        foreach (var id in heardAt.Keys)
        {
            var offlineAt = OfflineAt(id);
            Assert.True(offlineAt is not null, $"device {id} ({(onVictim.Contains(id) ? "watched by the killed silo" : "watched by the survivor")}) was never marked offline");
            var silentFor = Stopwatch.GetElapsedTime(heardAt[id], offlineAt.Value);
            Assert.InRange(silentFor.TotalSeconds, TwoSiloClusterFixture.OfflineAfterSeconds - 0.5, TwoSiloClusterFixture.OfflineAfterSeconds + 5);
            Assert.False(fixture.Catalog.Find(id)!.Online);
        }
    }

    [Fact]
    public async Task A_device_whose_grain_is_deactivated_while_online_is_woken_and_still_marked_offline_on_time()
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = fixture.Cluster.Client.GetGrain<IDeviceGrain>(id);
        Assert.True((await device.Register(new RegisterRequest("Sensor", "thermometer", "1.0", null, null, []), Caller.Provisioning)).Result.IsOk);
        var heardAt = Stopwatch.GetTimestamp();

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(TwoSiloClusterFixture.OfflineAfterSeconds + 15);
        while (OfflineAt(id) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var offlineAt = OfflineAt(id);
        Assert.True(offlineAt is not null, "the device was never marked offline");
        Assert.InRange(Stopwatch.GetElapsedTime(heardAt, offlineAt.Value).TotalSeconds, TwoSiloClusterFixture.OfflineAfterSeconds - 0.5, TwoSiloClusterFixture.OfflineAfterSeconds + 5);
    }

    private long? OfflineAt(string deviceId) =>
        fixture.Events.Of<PresenceChange>(p => p.DeviceId == deviceId && !p.Online).Count > 0 ? _seen.GetOrAdd(deviceId, _ => Stopwatch.GetTimestamp()) : null;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
}
