using System.ComponentModel.DataAnnotations;
using System.Net;
using StackExchange.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.IoT.Gateway;
using Orleans.IoT.Gateway.Api;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Security;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Grains;
using Orleans.IoT.Grains.Alerts;
using Orleans.IoT.Grains.Fleet;
using Orleans.IoT.Grains.Gateways;
using Orleans.IoT.Grains.Ports;
using Npgsql;
using Orleans.IoT.Silo.Adapters;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo;

/// <summary>Builds the process that runs a silo, with the gateway co-hosted unless <c>Gateway:CoHosted=false</c>, from configuration.</summary>
public static class IoTNode
{
    private static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Builds the node after checking the services its profile needs; throws <see cref="ConfigurationException"/>
    /// naming every bad setting.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        var configuration = builder.Configuration;

        var problems = new List<string>();
        var orleans = StartupConfiguration.Bind<OrleansHostOptions>(configuration, OrleansHostOptions.Section, problems);
        var storage = StartupConfiguration.Bind<StorageOptions>(configuration, StorageOptions.Section, problems);
        var history = StartupConfiguration.Bind<HistoryOptions>(configuration, HistoryOptions.Section, problems);
        StartupConfiguration.Bind<AuditOptions>(configuration, AuditOptions.Section, problems);
        StartupConfiguration.Bind<AlertOptions>(configuration, AlertOptions.Section, problems);
        problems.AddRange(AlertOptions.UnreadableRules(configuration));
        StartupConfiguration.Bind<AlertStoreOptions>(configuration, AlertStoreOptions.Section, problems);
        StartupConfiguration.Bind<FleetOnlineOptions>(configuration, FleetOnlineOptions.Section, problems);
        var gateway = StartupConfiguration.Bind<GatewayHostOptions>(configuration, GatewayHostOptions.Section, problems);
        var redisOptions = StartupConfiguration.Bind<RedisOptions>(configuration, RedisOptions.Section, problems);
        var postgresOptions = StartupConfiguration.Bind<PostgresOptions>(configuration, PostgresOptions.Section, problems);
        if (history.Provider == HistoryOptions.Postgres && postgresOptions.MaxPoolSize < history.Writers + 3)
        {
            problems.Add($"Postgres:MaxPoolSize ({postgresOptions.MaxPoolSize}) must be at least History:Writers + 3 ({history.Writers + 3}): each history writer, the catalog writer, the audit writer and the alert writer hold a connection");
        }

        if (problems.Count > 0)
        {
            throw new ConfigurationException(problems);
        }

        ConfigurationOptions? redis = null;
        if (orleans.Clustering == OrleansHostOptions.Redis || storage.Provider == StorageOptions.Redis)
        {
            redis = await RedisProbe.ConnectAsync(redisOptions.ConnectionString);
        }

        string? postgres = null;
        if (history.Provider == HistoryOptions.Postgres)
        {
            postgres = await ServiceProbes.PostgresAsync(postgresOptions.ConnectionString, cancellationToken);
        }

        // Not UseOrleans(builder): it would read the "Orleans" section as Orleans' own provider
        // configuration, and our Orleans:Clustering key means something else (DESIGN §6).
        builder.Services.AddOrleans(silo =>
        {
            if (orleans.Clustering == OrleansHostOptions.Redis)
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = redis!.Clone());
                silo.ConfigureEndpoints(IPAddress.Parse(orleans.AdvertisedAddress), orleans.SiloPort, orleans.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort, serviceId: orleans.ServiceId, clusterId: orleans.ClusterId);
            }

            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = orleans.ClusterId;
                o.ServiceId = orleans.ServiceId;
            });

            if (orleans.Kubernetes)
            {
                silo.UseKubernetesHosting();
            }

            // Orleans' own failure detection (ProbeTimeout, NumMissedProbesLimit, ...): how soon a killed silo is
            // declared dead, and so how soon presence recovers the devices it watched.
            silo.Configure<ClusterMembershipOptions>(configuration.GetSection(OrleansHostOptions.Section + ":Membership"));

            if (storage.Provider == StorageOptions.Redis)
            {
                silo.AddRedisGrainStorage(StorageNames.Devices, o => o.ConfigurationOptions = redis!.Clone());
                silo.UseRedisReminderService(o => o.ConfigurationOptions = redis!.Clone());
            }
            else
            {
                silo.AddMemoryGrainStorage(StorageNames.Devices);
                silo.UseInMemoryReminderService();
            }

            if (orleans.Dashboard)
            {
                silo.AddDashboard();
            }

            // A reading's grain call lasts as long as the reading waits in the history writer: through a PostgreSQL
            // outage, up to History:MaxOutageSeconds and a last write attempt. Timed out first, the call would answer
            // the device while its reading may still commit. The 30 s beyond the outage leave room for that attempt
            // (Npgsql's default connect timeout is 15 s) and for the queue ahead of it.
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(history.MaxOutageSeconds + 30));
        });

        var services = builder.Services;
        services.AddIoTGrains(configuration);
        services.AddOptions<HistoryOptions>().Bind(configuration.GetSection(HistoryOptions.Section));
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.Section));
        services.AddOptions<AlertStoreOptions>().Bind(configuration.GetSection(AlertStoreOptions.Section));
        if (postgres is not null)
        {
            var pooled = new NpgsqlConnectionStringBuilder(postgres) { MaxPoolSize = postgresOptions.MaxPoolSize };
            services.AddSingleton(_ => NpgsqlDataSource.Create(pooled.ConnectionString));
            services.AddSingleton<HistoryMetrics>();
            services.AddSingleton<AuditMetrics>();
            // Hosted services stop in the reverse order: the gateway first, then the history writers (the last
            // readings' grain calls still wait on them), then the catalog writer, then the alert writer (alerts follow
            // stored readings), then the audit writer (last before the silo, so that grain calls still running after
            // the gateway stopped record their states), then the silo.
            services.AddSingleton<PostgresLifecycleAudit>();
            services.AddSingleton<ILifecycleAudit>(sp => sp.GetRequiredService<PostgresLifecycleAudit>());
            services.AddSingleton<ILifecycleAuditReader>(sp => sp.GetRequiredService<PostgresLifecycleAudit>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresLifecycleAudit>());
            services.AddSingleton<PostgresAlertStore>();
            services.AddSingleton<IAlertStore>(sp => sp.GetRequiredService<PostgresAlertStore>());
            services.AddSingleton<IAlertReader>(sp => sp.GetRequiredService<PostgresAlertStore>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresAlertStore>());
            services.AddSingleton<PostgresDeviceCatalog>();
            services.AddSingleton<IDeviceCatalog>(sp => sp.GetRequiredService<PostgresDeviceCatalog>());
            services.AddSingleton<IPresenceWatchList>(sp => sp.GetRequiredService<PostgresDeviceCatalog>());
            services.AddSingleton<IFleetCatalog>(sp => sp.GetRequiredService<PostgresDeviceCatalog>());
            services.AddSingleton<IDeviceDirectory>(sp => sp.GetRequiredService<PostgresDeviceCatalog>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresDeviceCatalog>());
            services.AddSingleton<PostgresSensorHistory>();
            services.AddSingleton<ISensorHistorySink>(sp => sp.GetRequiredService<PostgresSensorHistory>());
            services.AddSingleton<ISensorHistoryReader>(sp => sp.GetRequiredService<PostgresSensorHistory>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresSensorHistory>());
        }
        else
        {
            services.AddSingleton<InMemorySensorHistory>();
            services.AddSingleton<ISensorHistorySink>(sp => sp.GetRequiredService<InMemorySensorHistory>());
            services.AddSingleton<ISensorHistoryReader>(sp => sp.GetRequiredService<InMemorySensorHistory>());
            services.AddSingleton<InMemoryDeviceCatalog>();
            services.AddSingleton<IDeviceCatalog>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
            services.AddSingleton<IPresenceWatchList>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
            services.AddSingleton<IFleetCatalog>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
            services.AddSingleton<IDeviceDirectory>(sp => sp.GetRequiredService<InMemoryDeviceCatalog>());
            services.AddSingleton<InMemoryLifecycleAudit>();
            services.AddSingleton<ILifecycleAudit>(sp => sp.GetRequiredService<InMemoryLifecycleAudit>());
            services.AddSingleton<ILifecycleAuditReader>(sp => sp.GetRequiredService<InMemoryLifecycleAudit>());
            services.AddSingleton<InMemoryAlertStore>();
            services.AddSingleton<IAlertStore>(sp => sp.GetRequiredService<InMemoryAlertStore>());
            services.AddSingleton<IAlertReader>(sp => sp.GetRequiredService<InMemoryAlertStore>());
        }

        services.AddSingleton<IFleetHealthReader, FleetHealthReport>();
        services.AddSingleton<IDeviceEventPublisher, ClusterEventPublisher>();
        services.AddSingleton<IDeviceOutbound, ClusterDeviceOutbound>();
        // Redis connection failures (grain state read at activation, say) pass like any other outage; RedisTimeoutException is a TimeoutException.
        services.AddSingleton(new FailureClassifier(typeof(RedisConnectionException)));
        if (gateway.CoHosted)
        {
            services.AddSingleton<ILocalGateway, CoHostedGateway>();
            services.AddIoTGateway(configuration);
        }
        else
        {
            // No broker and no API: only the operators' keys, for the dashboard, and the limit on wrong ones.
            services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
            services.AddOptions<GatewayRateLimitOptions>().Bind(configuration.GetSection(GatewayRateLimitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
            services.AddSingleton<OperatorDirectory>();
        }

        services.AddOperatorApi();

        // Ready: the broker listens (when co-hosted), this silo is an active member of the cluster, and the stores its profile uses answer.
        var health = services.AddHealthChecks()
            .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);
        if (gateway.CoHosted)
        {
            health.AddCheck<BrokerHealthCheck>("broker", tags: ["ready"]);
        }

        if (redis is not null)
        {
            health.AddRedis(redis.ToString(), name: "redis", tags: ["ready"], timeout: HealthCheckTimeout);
        }

        if (postgres is not null)
        {
            health.AddNpgSql(sp => sp.GetRequiredService<NpgsqlDataSource>(), name: "postgres", tags: ["ready"], timeout: HealthCheckTimeout);
        }

        services.AddPrometheusExport(configuration);

        var app = builder.Build();
        // Created now rather than by the first device grain, so that /metrics shows 0 devices online until then.
        app.Services.GetRequiredService<PresenceMetrics>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapPrometheusExport();
        if (gateway.CoHosted)
        {
            app.UseSiloLossCancellation();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapOperatorApi();
            app.MapFleetConsole();
        }

        if (orleans.Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: OperatorApi.DashboardPath).RequireAuthorization(OperatorApi.OperatorPolicy);
        }
        return app;
    }
}

/// <summary>Ready when this silo is an active member of the cluster (no grain call: no probe grain whose id a device could take).</summary>
public sealed class ClusterHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"this silo is {status} in the cluster, not active"));
    }
}
