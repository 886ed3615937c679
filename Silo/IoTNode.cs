using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;
using Orleans.Dashboard;
using Prometheus;
using Orleans.IoT.Gateway;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Grains;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo;

/// <summary>Builds the single process that runs a silo with the gateway co-hosted, from configuration.</summary>
public static class IoTNode
{
    /// <summary>Builds the node; throws <see cref="ConfigurationException"/> naming every bad setting.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;

        var orleans = BindValidated<OrleansHostOptions>(configuration, OrleansHostOptions.Section);
        BindValidated<StorageOptions>(configuration, StorageOptions.Section);
        BindValidated<HistoryOptions>(configuration, HistoryOptions.Section);
        BindValidated<GatewayHostOptions>(configuration, GatewayHostOptions.Section);

        // Not UseOrleans(builder): it would read the "Orleans" section as Orleans' own provider
        // configuration, and our Orleans:Clustering key means something else (DESIGN §6).
        builder.Services.AddOrleans(silo =>
        {
            silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, serviceId: orleans.ServiceId, clusterId: orleans.ClusterId);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = orleans.ClusterId;
                o.ServiceId = orleans.ServiceId;
            });
            silo.AddMemoryGrainStorage(StorageNames.Devices);
            silo.AddDashboard();
        });

        var services = builder.Services;
        services.AddIoTGrains(configuration);
        services.AddOptions<HistoryOptions>().Bind(configuration.GetSection(HistoryOptions.Section));
        services.AddSingleton<InMemorySensorHistory>();
        services.AddSingleton<ISensorHistorySink>(sp => sp.GetRequiredService<InMemorySensorHistory>());
        services.AddSingleton<InMemoryDeviceCatalog>();
        services.AddSingleton<IDeviceCatalog>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
        services.AddSingleton<IDeviceEventPublisher, GatewayEventPublisher>();
        services.AddIoTGateway(configuration);

        services.AddHealthChecks()
            .AddCheck<BrokerHealthCheck>("broker", tags: ["ready"])
            .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);

        var app = builder.Build();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapMetrics("/metrics");
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        return app;
    }

    private static T BindValidated<T>(IConfiguration configuration, string section)
        where T : new()
    {
        var options = new T();
        configuration.GetSection(section).Bind(options);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new ConfigurationException(results.Select(r => r.ErrorMessage ?? $"{section} is not valid"));
        }

        return options;
    }
}

/// <summary>Settings that prevent the node from starting, each named in its message.</summary>
public sealed class ConfigurationException(IEnumerable<string> problems)
    : Exception("invalid configuration: " + string.Join("; ", problems));

/// <summary>Ready when this silo's grains answer.</summary>
public sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IDeviceGrain>("health-probe").GetSnapshot().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("the cluster does not answer", ex);
        }
    }
}
