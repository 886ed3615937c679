using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Middleware;
using Orleans.IoT.Gateway.RateLimiting;
using Orleans.IoT.Gateway.Security;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The MQTT gateway: options, router, handlers and the transport <c>Mqtt:Mode</c> names (the embedded broker, or a
    /// client of an external one). Needs an <see cref="IGrainFactory"/>
    /// (a co-hosting silo or an Orleans client) and an <see cref="IAlertReader"/> in the container.
    /// </summary>
    public static IServiceCollection AddIoTGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MqttOptions>().Bind(configuration.GetSection(MqttOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>());
        services.AddOptions<ValidationOptions>().Bind(configuration.GetSection(ValidationOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DisconnectPresenceOptions>().Bind(configuration.GetSection(DisconnectPresenceOptions.Section));
        services.AddOptions<DeviceServerConfigOptions>().Bind(configuration.GetSection(DeviceServerConfigOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GatewayIdentityOptions>().Bind(configuration.GetSection(GatewayIdentityOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GatewayRateLimitOptions>().Bind(configuration.GetSection(GatewayRateLimitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LiveStreamOptions>().Bind(configuration.GetSection(LiveStreamOptions.Section)).ValidateDataAnnotations().ValidateOnStart();

        services.AddMetrics();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<OperatorDirectory>();
        services.AddSingleton<GatewayIdentity>();
        services.AddSingleton<DeviceGrains>();
        services.AddSingleton<RegistrationRateLimiter>();
        services.AddSingleton<ErrorPublicationBudget>();
        services.AddSingleton<RateLimitedDevices>();
        services.AddSingleton<DeviceHandlers>();
        services.AddSingleton<CommandHandlers>();
        services.AddSingleton<ConfigHandlers>();
        services.AddSingleton<FirmwareHandlers>();
        services.AddSingleton<AlertHandlers>();
        services.AddSingleton(sp =>
        {
            var mqtt = sp.GetRequiredService<IOptions<MqttOptions>>().Value;
            return DeviceRoutes.Build(
                sp.GetRequiredService<DeviceHandlers>(),
                sp.GetRequiredService<CommandHandlers>(),
                sp.GetRequiredService<ConfigHandlers>(),
                sp.GetRequiredService<FirmwareHandlers>(),
                sp.GetRequiredService<AlertHandlers>(),
                [
                    new PayloadLimitMiddleware(mqtt.MaxPayloadBytes),
                    new JsonObjectMiddleware(),
                    new AuthenticationMiddleware(sp.GetRequiredService<OperatorDirectory>(), sp.GetRequiredService<GatewayIdentity>().Id),
                ],
                [
                    new RateLimitedDevicesMiddleware(sp.GetRequiredService<RateLimitedDevices>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<GatewayMetrics>()),
                ]);
        });
        services.TryAddSingleton(new FailureClassifier());
        services.AddSingleton<MessageDispatcher>();
        services.AddSingleton<InboundCalls>();
        services.AddSingleton<IDeviceAuthenticator, GrainDeviceAuthenticator>();
        services.AddSingleton<IDeviceConnections, GrainDeviceConnections>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SubscriptionInterest>(); // kept by the broker: its sessions' subscriptions, or the external connection's state
        if (configuration.GetSection(MqttOptions.Section)[nameof(MqttOptions.Mode)] == MqttOptions.ExternalMode)
        {
            AddExternalBroker(services);
        }
        else
        {
            AddEmbeddedBroker(services);
        }

        services.AddSingleton<BrokerHealthCheck>();
        services.AddSingleton<LiveEvents>();
        services.AddSingleton<GatewayPublisher>();
        services.AddSingleton<GatewayObserver>();
        services.AddSingleton<GatewayRegistrar>();
        // After the broker: stopping in reverse order, the gateway leaves the directory before its broker stops.
        services.AddHostedService(sp => sp.GetRequiredService<GatewayRegistrar>());
        return services;
    }

    private static void AddEmbeddedBroker(IServiceCollection services)
    {
        services.AddSingleton<ConnectRateLimiter>();
        services.AddSingleton<BrokerTls>();
        services.AddSingleton<EmbeddedBrokerServer>();
        services.AddSingleton<ConnectedSessions>();
        services.AddSingleton<IDeviceSessions>(sp => sp.GetRequiredService<ConnectedSessions>());
        services.AddSingleton<IOutboundPublisher>(sp => sp.GetRequiredService<EmbeddedBrokerServer>());
        services.AddSingleton<IBrokerReadiness>(sp => sp.GetRequiredService<EmbeddedBrokerServer>());
        services.AddHostedService<EmbeddedBroker>();
    }

    private static void AddExternalBroker(IServiceCollection services)
    {
        services.AddSingleton<ExternalBrokerConnection>();
        services.AddSingleton<IDeviceSessions, ExternalDeviceSessions>();
        services.AddSingleton<IOutboundPublisher>(sp => sp.GetRequiredService<ExternalBrokerConnection>());
        services.AddSingleton<IBrokerReadiness>(sp => sp.GetRequiredService<ExternalBrokerConnection>());
        services.AddHostedService<ExternalBroker>();
    }
}
