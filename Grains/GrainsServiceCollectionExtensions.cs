using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.IoT.Grains.Alerts;

namespace Orleans.IoT.Grains;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// The grains' options, clock and metrics, and this silo's copy of the alert rules. Their ports (history, catalog and its
    /// presence watch list, events, audit, alerts) are the host's to add.
    /// </summary>
    public static IServiceCollection AddIoTGrains(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PresenceOptions>().Bind(configuration.GetSection(PresenceOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Commands.CommandOptions>().Bind(configuration.GetSection(Commands.CommandOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Firmware.FirmwareOptions>().Bind(configuration.GetSection(Firmware.FirmwareOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WriteBehindOptions>().Bind(configuration.GetSection(WriteBehindOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AlertOptions>().Bind(configuration.GetSection(AlertOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<PresenceMetrics>();
        services.AddSingleton<LifecycleMetrics>();
        services.AddSingleton<WriteBehindFlush>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<WriteBehindFlush>());
        services.AddSingleton<AlertRuleBook>();
        services.AddSingleton<AlertRuleSubscription>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<AlertRuleSubscription>());
        services.AddOptions<Gateways.GatewayDirectoryOptions>().Bind(configuration.GetSection(Gateways.GatewayDirectoryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Gateways.GatewayDevices>();
        services.AddSingleton<Gateways.ClusterGateways>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Gateways.ClusterGateways>());
        services.AddOptions<Fleet.FleetOnlineOptions>().Bind(configuration.GetSection(Fleet.FleetOnlineOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, Fleet.FleetOnlineStartup>();
        services.AddSingleton<DeviceGrainServices>();
        services.AddHostedService<PresenceRecovery>();
        return services;
    }
}
