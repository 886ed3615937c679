using System.Buffers;
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

        await Server.InjectApplicationMessage(new InjectedMqttApplicationMessage(builder.Build()), cancellationToken);
    }

    public void Dispose() => Server.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Broker stopped; dropped outbound message on {Topic}")]
    private partial void LogDroppedWhileStopped(string topic);
}
