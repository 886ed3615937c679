namespace Orleans.IoT.Gateway.Messaging;

/// <summary>Sends a message from the system to whoever subscribed; implemented by the transport.</summary>
public interface IOutboundPublisher
{
    ValueTask PublishAsync(OutboundMessage message, CancellationToken cancellationToken = default);
}

public readonly record struct OutboundMessage(string Topic, ReadOnlyMemory<byte> Payload, int Qos, ReadOnlyMemory<byte> CorrelationData = default);
