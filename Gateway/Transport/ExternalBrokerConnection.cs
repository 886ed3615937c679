using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// The gateway's one MQTT 5 client connection to the external broker, and the system's outbound messages through it.
/// Kept apart from <see cref="ExternalBroker"/>, which connects it and routes inbound messages, because handlers
/// publish and the inbound side calls handlers. A persistent session (Clean Start off, a session expiry) makes the
/// broker keep this replica's subscriptions and unacknowledged messages while it is away.
/// </summary>
public sealed partial class ExternalBrokerConnection : IOutboundPublisher, IBrokerReadiness, IDisposable
{
    /// <summary>The one "client" of <see cref="SubscriptionInterest"/> in this mode: the broker's subscribers as a whole.</summary>
    private const string BrokerSubscribers = "";

    private readonly ILogger<ExternalBrokerConnection> _logger;
    private readonly SubscriptionInterest _interest;
    private volatile bool _subscribed;

    public ExternalBrokerConnection(
        IOptions<MqttOptions> options, SubscriptionInterest interest, ILoggerFactory loggerFactory, ILogger<ExternalBrokerConnection> logger)
    {
        _logger = logger;
        _interest = interest;
        var mqtt = options.Value;
        var external = mqtt.External;
        Endpoint = $"{external.Host}:{external.Port}";
        var factory = new MqttClientFactory(new MqttNetLogBridge(loggerFactory));
        Client = factory.CreateMqttClient();
        var builder = factory.CreateClientOptionsBuilder()
            .WithTcpServer(external.Host, external.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(external.EffectiveClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)external.SessionExpirySeconds)
            .WithReceiveMaximum((ushort)external.MaxInFlight)
            .WithMaximumPacketSize((uint)mqtt.MaxPacketBytes)
            .WithTimeout(TimeSpan.FromSeconds(external.ConnectTimeoutSeconds));
        if (!string.IsNullOrEmpty(external.Username))
        {
            builder.WithCredentials(external.Username, external.Password);
        }

        ClientOptions = builder.Build();
    }

    public IMqttClient Client { get; }

    public MqttClientOptions ClientOptions { get; }

    /// <summary>The broker's address, for messages.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Set by <see cref="ExternalBroker"/> once every route's shared subscription is granted on the current connection,
    /// and cleared when it ends. The broker's subscriptions are the broker's to know: while this gateway is connected,
    /// some subscription there may match any fleet-wide topic; while it is not, nothing it publishes reaches anyone. The
    /// interest says so, so that the cluster sends fleet events through another gateway of the broker meanwhile.
    /// </summary>
    public bool Subscribed
    {
        get => _subscribed;
        set
        {
            _subscribed = value;
            if (value)
            {
                _interest.Subscribed(BrokerSubscribers, "#");
            }
            else
            {
                _interest.Disconnected(BrokerSubscribers);
            }
        }
    }

    public string? NotReadyReason =>
        !Client.IsConnected ? $"not connected to the MQTT broker at {Endpoint}"
        : !_subscribed ? $"not subscribed to the routes at the MQTT broker at {Endpoint}"
        : null;

    /// <summary>
    /// Publishes through the broker, which applies its ACL to the readers. While the connection is down the message is
    /// dropped, as the embedded broker drops one for a client that is gone.
    /// </summary>
    public async ValueTask PublishAsync(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        if (!Client.IsConnected)
        {
            LogDroppedWhileDisconnected(message.Topic);
            return;
        }

        try
        {
            var result = await Client.PublishAsync(MqttMessages.FromOutbound(message), cancellationToken);
            if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
            {
                LogPublishRefused(message.Topic, result.ReasonCode.ToString());
            }
        }
        catch (MqttCommunicationException ex)
        {
            LogPublishFailed(ex, message.Topic);
        }
    }

    public void Dispose() => Client.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Not connected to the MQTT broker; dropped outbound message on {Topic}")]
    private partial void LogDroppedWhileDisconnected(string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The MQTT broker refused an outbound message on {Topic}: {Reason} (check the gateway account's ACL)")]
    private partial void LogPublishRefused(string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish an outbound message on {Topic} through the MQTT broker")]
    private partial void LogPublishFailed(Exception exception, string topic);
}
