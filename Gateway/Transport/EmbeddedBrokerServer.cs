using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Server;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Owns the MQTTnet server and publishes the system's outbound messages through it. Kept apart from
/// <see cref="EmbeddedBroker"/>, which routes inbound messages, because handlers publish and the broker
/// calls handlers.
/// </summary>
public sealed partial class EmbeddedBrokerServer : IOutboundPublisher, IBrokerReadiness, IDisposable
{
    private readonly ILogger<EmbeddedBrokerServer> _logger;

    /// <summary>Messages that only one session (and operators) may receive, by the message object MQTTnet dispatches.</summary>
    private readonly ConditionalWeakTable<MqttApplicationMessage, string> _onlyFor = new();

    /// <summary>
    /// The server's adapters are its listeners (<see cref="Listeners"/>), which bind their ports and refuse oversized
    /// packets unread, so the server options carry no endpoint of their own.
    /// </summary>
    public EmbeddedBrokerServer(
        IOptions<MqttOptions> options,
        BrokerTls tls,
        GatewayMetrics metrics,
        ILoggerFactory loggerFactory,
        ILogger<EmbeddedBrokerServer> logger)
    {
        _logger = logger;
        var mqtt = options.Value;
        var listenerLogger = loggerFactory.CreateLogger<BrokerListener>();
        var listeners = new List<BrokerListener>(2);
        if (mqtt.Port != 0)
        {
            listeners.Add(new BrokerListener(mqtt.Port, tls: null, mqtt, metrics, listenerLogger));
        }

        if (mqtt.TlsPort != 0)
        {
            listeners.Add(new BrokerListener(mqtt.TlsPort, tls, mqtt, metrics, listenerLogger));
        }

        Listeners = listeners;
        var factory = new MqttServerFactory(new MqttNetLogBridge(loggerFactory));
        var serverOptions = factory.CreateServerOptionsBuilder()
            .WithMaxPendingMessagesPerClient(mqtt.MaxPendingMessagesPerClient)
            .Build();
        Server = factory.CreateMqttServer(serverOptions, listeners);
    }

    public MqttServer Server { get; }

    /// <summary>Plain MQTT on <c>Mqtt:Port</c> and MQTT over TLS on <c>Mqtt:TlsPort</c>, each when its port is not 0.</summary>
    public IReadOnlyList<BrokerListener> Listeners { get; }

    public async ValueTask PublishAsync(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        if (!Server.IsStarted)
        {
            LogDroppedWhileStopped(message.Topic);
            return;
        }

        var applicationMessage = MqttMessages.FromOutbound(message);
        if (message.OnlyForSession is { } sessionId)
        {
            _onlyFor.Add(applicationMessage, sessionId);
        }

        await Server.InjectApplicationMessage(new InjectedMqttApplicationMessage(applicationMessage), cancellationToken);
    }

    /// <summary>The one session, besides operators, that may receive <paramref name="message"/>, when it is private.</summary>
    public bool IsOnlyFor(MqttApplicationMessage message, [NotNullWhen(true)] out string? sessionId) =>
        _onlyFor.TryGetValue(message, out sessionId);

    /// <summary>Ready when the server is started and every listener it is configured with (plain, TLS) is listening.</summary>
    public string? NotReadyReason
    {
        get
        {
            if (!Server.IsStarted)
            {
                return "the MQTT broker is not started";
            }

            foreach (var listener in Listeners)
            {
                if (listener.LocalEndPoint is null)
                {
                    return $"the MQTT {(listener.IsTls ? "TLS" : "plain")} listener is not listening";
                }
            }

            return null;
        }
    }

    public void Dispose() => Server.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Broker stopped; dropped outbound message on {Topic}")]
    private partial void LogDroppedWhileStopped(string topic);
}
