using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Owns the MQTTnet server and publishes the system's outbound messages through it. Kept apart from
/// <see cref="EmbeddedBroker"/>, which routes inbound messages, because handlers publish and the broker
/// calls handlers.
/// </summary>
public sealed partial class EmbeddedBrokerServer : IOutboundPublisher, IDisposable
{
    private readonly ILogger<EmbeddedBrokerServer> _logger;

    /// <summary>Messages that only one session (and operators) may receive, by the message object MQTTnet dispatches.</summary>
    private readonly ConditionalWeakTable<MqttApplicationMessage, string> _onlyFor = new();

    /// <param name="listener">
    /// The server's only adapter: it binds <c>Mqtt:BindAddress</c>:<c>Mqtt:Port</c> and refuses oversized packets
    /// unread, so the server options carry no endpoint of their own.
    /// </param>
    public EmbeddedBrokerServer(IOptions<MqttOptions> options, BrokerListener listener, ILoggerFactory loggerFactory, ILogger<EmbeddedBrokerServer> logger)
    {
        _logger = logger;
        var mqtt = options.Value;
        var factory = new MqttServerFactory(new MqttNetLogBridge(loggerFactory));
        var serverOptions = factory.CreateServerOptionsBuilder()
            .WithMaxPendingMessagesPerClient(mqtt.MaxPendingMessagesPerClient)
            .Build();
        Server = factory.CreateMqttServer(serverOptions, [listener]);
    }

    public MqttServer Server { get; }

    public async ValueTask PublishAsync(OutboundMessage message, CancellationToken cancellationToken = default)
    {
        if (!Server.IsStarted)
        {
            LogDroppedWhileStopped(message.Topic);
            return;
        }

        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(message.Topic)
            .WithPayload(new ReadOnlySequence<byte>(message.Payload))
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)message.Qos);
        if (!message.CorrelationData.IsEmpty)
        {
            builder.WithCorrelationData(message.CorrelationData.ToArray());
        }

        var applicationMessage = builder.Build();
        if (message.OnlyForSession is { } sessionId)
        {
            _onlyFor.Add(applicationMessage, sessionId);
        }

        await Server.InjectApplicationMessage(new InjectedMqttApplicationMessage(applicationMessage), cancellationToken);
    }

    /// <summary>The one session, besides operators, that may receive <paramref name="message"/>, when it is private.</summary>
    public bool IsOnlyFor(MqttApplicationMessage message, [NotNullWhen(true)] out string? sessionId) =>
        _onlyFor.TryGetValue(message, out sessionId);

    public void Dispose() => Server.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Broker stopped; dropped outbound message on {Topic}")]
    private partial void LogDroppedWhileStopped(string topic);
}
