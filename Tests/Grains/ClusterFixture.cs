using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Grains;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.IoT.Tests.Grains;

/// <summary>One in-process silo shared by the grain tests, with in-memory ports the tests can inspect.</summary>
public class ClusterFixture : IAsyncLifetime
{
    public const int RateLimit = 25;
    public const int RegistrationLimit = 5;
    public const int OfflineAfterSeconds = 2;
    public const int MaxQueuedCommands = 3;
    public const int FirmwareTimeoutSeconds = 3;

    /// <summary>The device type <see cref="RegisterDeviceAsync"/> registers; <see cref="AlertRules"/> has a rule for another.</summary>
    public const string DeviceType = "thermometer";

    /// <summary>
    /// The alert rules the silo starts with: temperature above 80 is high until it is 75 or less; humidity of 90 or
    /// more is medium on hygrometers only.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> AlertRules = new Dictionary<string, string?>
    {
        ["Alerts:Rules:0:SensorType"] = "temperature",
        ["Alerts:Rules:0:Operator"] = ">",
        ["Alerts:Rules:0:Threshold"] = "80",
        ["Alerts:Rules:0:ClearThreshold"] = "75",
        ["Alerts:Rules:0:Severity"] = "high",
        ["Alerts:Rules:1:Id"] = "damp-hygrometer",
        ["Alerts:Rules:1:SensorType"] = "humidity",
        ["Alerts:Rules:1:DeviceType"] = "hygrometer",
        ["Alerts:Rules:1:Operator"] = ">=",
        ["Alerts:Rules:1:Threshold"] = "90",
        ["Alerts:Rules:1:Severity"] = "medium",
    };

    private const string InnerStorage = "devices-inner";

    private InProcessTestCluster? _cluster;

    public IClusterClient Client => _cluster!.Client;

    public InMemorySensorHistory History => Service<InMemorySensorHistory>();

    public InMemoryDeviceCatalog Catalog => Service<InMemoryDeviceCatalog>();

    public RecordingEventPublisher Events => Service<RecordingEventPublisher>();

    /// <summary>Every state the grains' lifecycles recorded (<see cref="ILifecycleAudit"/>), per device.</summary>
    public InMemoryLifecycleAudit Audit => Service<InMemoryLifecycleAudit>();

    /// <summary>Every alert the grains raised and cleared (<see cref="IAlertStore"/>).</summary>
    public InMemoryAlertStore Alerts => Service<InMemoryAlertStore>();

    public PresenceMetrics Presence => Service<PresenceMetrics>();

    public FaultInjectingStorage Storage => Service<FaultInjectingStorage>();

    /// <summary>A newly registered device (firmware 1.0, of <paramref name="type"/>), its id and token.</summary>
    public async Task<(IDeviceGrain Device, string Id, string Token)> RegisterDeviceAsync(string type = DeviceType)
    {
        var id = $"dev-{Guid.NewGuid():N}";
        var device = Client.GetGrain<IDeviceGrain>(id);
        var registered = await device.Register(new RegisterRequest("Sensor", type, "1.0", null, null, []), Caller.Provisioning);
        Assert.True(registered.Result.IsOk, registered.Result.Message);
        return (device, id, registered.AuthToken!);
    }

    /// <summary>A registered device that has fallen silent, so that presence marks it offline.</summary>
    public async Task<(IDeviceGrain Device, string Id, string Token)> RegisterSilentDeviceAsync()
    {
        var registered = await RegisterDeviceAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(OfflineAfterSeconds + 5);
        while ((await registered.Device.GetSnapshot()).Presence != "offline")
        {
            Assert.True(DateTime.UtcNow < deadline, "the device went offline");
            await Task.Delay(100);
        }

        return registered;
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(InnerStorage);
            silo.UseInMemoryReminderService();
            silo.ConfigureServices(services =>
            {
                services.AddSingleton(sp => new FaultInjectingStorage(sp.GetRequiredKeyedService<IGrainStorage>(InnerStorage)));
                services.AddGrainStorage(StorageNames.Devices, (sp, _) => sp.GetRequiredService<FaultInjectingStorage>());
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["RateLimit:MaxMessages"] = RateLimit.ToString(),
                    ["RateLimit:WindowSeconds"] = "60",
                    ["RateLimit:MaxRegistrationsPerDevice"] = RegistrationLimit.ToString(),
                    ["Presence:OfflineAfterSeconds"] = OfflineAfterSeconds.ToString(),
                    // One silo, which never sees another die: its tests deactivate online grains themselves and count what
                    // follows, so recovery's waking of them (TwoSiloClusterFixture's tests) stays out of the way.
                    ["Presence:RecoveryCheckSeconds"] = "3600",
                    ["Commands:MaxQueuedPerDevice"] = MaxQueuedCommands.ToString(),
                    ["Firmware:TimeoutSeconds"] = FirmwareTimeoutSeconds.ToString(),
                }).AddInMemoryCollection(AlertRules).Build();
                services.AddIoTGrains(configuration);
                services.AddOptions<Silo.Configuration.HistoryOptions>();
                services.AddSingleton<InMemorySensorHistory>();
                services.AddSingleton<ISensorHistorySink>(sp => sp.GetRequiredService<InMemorySensorHistory>());
                services.AddSingleton<InMemoryDeviceCatalog>();
                services.AddSingleton<IDeviceCatalog>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
                services.AddSingleton<IPresenceWatchList>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
                services.AddSingleton<IFleetCatalog>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
                services.AddOptions<Silo.Configuration.AuditOptions>();
                services.AddSingleton<InMemoryLifecycleAudit>();
                services.AddSingleton<ILifecycleAudit>(sp => sp.GetRequiredService<InMemoryLifecycleAudit>());
                services.AddSingleton<ILifecycleAuditReader>(sp => sp.GetRequiredService<InMemoryLifecycleAudit>());
                services.AddOptions<Silo.Configuration.AlertStoreOptions>();
                services.AddSingleton<InMemoryAlertStore>();
                services.AddSingleton<IAlertStore>(sp => sp.GetRequiredService<InMemoryAlertStore>());
                services.AddSingleton<IAlertReader>(sp => sp.GetRequiredService<InMemoryAlertStore>());
                services.AddSingleton<RecordingEventPublisher>();
                services.AddSingleton<IDeviceEventPublisher>(sp => sp.GetRequiredService<RecordingEventPublisher>());
                services.AddSingleton<IDeviceOutbound>(sp => sp.GetRequiredService<RecordingEventPublisher>());
                ConfigureServices(services);
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>What a derived fixture changes in the silo's services, after the common ones.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    private T Service<T>()
        where T : notnull => _cluster!.GetSiloServiceProvider().GetRequiredService<T>();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>Keeps every event a grain publishes (alerts as <see cref="Alert"/>) and every message it sends to a device (as a <see cref="SentCommand"/>, <see cref="SentConfig"/> or <see cref="SentFirmwareUpdate"/>).</summary>
public sealed class RecordingEventPublisher : IDeviceEventPublisher, IDeviceOutbound
{
    private readonly List<object> _events = [];

    public ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken) => Add(reading);

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken) => Add(change);

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken) => Add(command);

    public ValueTask SendCommandAsync(string? gateway, CommandStatus command, CancellationToken cancellationToken) => Add(new SentCommand(command, gateway));

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken) => Add(update);

    public ValueTask SendConfigAsync(string? gateway, ConfigStatus update, CancellationToken cancellationToken) => Add(new SentConfig(update));

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken) => Add(update);

    public ValueTask SendFirmwareUpdateAsync(string? gateway, FirmwareStatus update, CancellationToken cancellationToken) => Add(new SentFirmwareUpdate(update));

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken) => Add(alert);

    public IReadOnlyList<T> Of<T>(Func<T, bool> predicate)
    {
        lock (_events)
        {
            return _events.OfType<T>().Where(predicate).ToList();
        }
    }

    private ValueTask Add(object item)
    {
        lock (_events)
        {
            _events.Add(item);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>A command as it was sent to its device, through <paramref name="Gateway"/> (null: the device's gateway was unknown).</summary>
public sealed record SentCommand(CommandStatus Command, string? Gateway = null);

/// <summary>A configuration update as it was sent to its device.</summary>
public sealed record SentConfig(ConfigStatus Update);

/// <summary>A firmware update as it was sent to its device.</summary>
public sealed record SentFirmwareUpdate(FirmwareStatus Update);
