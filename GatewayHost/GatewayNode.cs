using Orleans.Configuration;
using Orleans.IoT.Gateway;
using Orleans.IoT.Gateway.Api;
using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Gateway.WebConsole;
using StackExchange.Redis;

namespace Orleans.IoT.GatewayHost;

/// <summary>
/// Builds a standalone gateway from configuration: the same broker, router, handlers and HTTP API as the co-hosted one,
/// reaching the grains and the silos' stores as an Orleans client.
/// </summary>
public static class GatewayNode
{
    /// <summary>Builds the gateway after checking Redis when it clusters there; throws <see cref="ConfigurationException"/> naming every bad setting.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;

        var problems = new List<string>();
        var cluster = StartupConfiguration.Bind<ClusterClientOptions>(configuration, ClusterClientOptions.Section, problems);
        var redisOptions = StartupConfiguration.Bind<RedisOptions>(configuration, RedisOptions.Section, problems);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }

        ConfigurationOptions? redis = null;
        if (cluster.Clustering == ClusterClientOptions.Redis)
        {
            redis = await RedisProbe.ConnectAsync(redisOptions.ConnectionString);
        }

        // Not UseOrleansClient(builder): it would read the "Orleans" section as Orleans' own configuration (see IoTNode).
        builder.Services.AddOrleansClient(client =>
        {
            if (redis is not null)
            {
                client.UseRedisClustering(o => o.ConfigurationOptions = redis.Clone());
            }
            else
            {
                client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
            }

            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(cluster.ResponseTimeoutSeconds));
            client.UseConnectionRetryFilter<ClusterConnectionRetry>();
            client.AddGatewayCountChangedHandler(services => (_, e) =>
            {
                if (e.NumberOfConnectedGateways < e.PreviousNumberOfConnectedGateways)
                {
                    services.GetRequiredService<SiloConnectionLoss>().Lost(e.NumberOfConnectedGateways);
                }
            });
        });

        var services = builder.Services;
        services.AddSingleton(cluster);
        services.AddSingleton<SiloConnectionLoss>();
        // As in the silo: a Redis connection failure (grain state read at activation, say) is a passing fault.
        services.AddSingleton(new FailureClassifier(typeof(RedisConnectionException)));
        services.AddIoTGateway(configuration);
        services.AddSingleton<ClusterStores>();
        services.AddSingleton<IDeviceDirectory>(sp => sp.GetRequiredService<ClusterStores>());
        services.AddSingleton<ISensorHistoryReader>(sp => sp.GetRequiredService<ClusterStores>());
        services.AddSingleton<IAlertReader>(sp => sp.GetRequiredService<ClusterStores>());
        services.AddSingleton<ILifecycleAuditReader>(sp => sp.GetRequiredService<ClusterStores>());
        services.AddSingleton<IFleetHealthReader>(sp => sp.GetRequiredService<ClusterStores>());
        services.AddOperatorApi();

        // Ready: the broker listens and the cluster took this gateway's registration lately.
        services.AddHealthChecks()
            .AddCheck<BrokerHealthCheck>("broker", tags: ["ready"])
            .AddCheck<ClusterReachableHealthCheck>("cluster", tags: ["ready"]);
        services.AddPrometheusExport(configuration);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSiloLossCancellation();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapPrometheusExport();
        app.MapOperatorApi();
        app.MapFleetConsole();
        return app;
    }
}
