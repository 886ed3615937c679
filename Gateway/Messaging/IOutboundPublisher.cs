namespace Orleans.IoT.Gateway.Messaging;

/// <summary>Sends a message from the system to whoever subscribed; implemented by the transport.</summary>
public interface IOutboundPublisher
{
    ValueTask PublishAsync(OutboundMessage message, CancellationToken cancellationToken = default);
}

/// <param name="OnlyForSession">
/// When set, the message is delivered, among its subscribers, only to the transport session with this id and to
/// operators: a registration's token reaches only the session that asked for it (DESIGN §2 "Sessions and replies").
/// </param>
public readonly record struct OutboundMessage(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    int Qos,
    ReadOnlyMemory<byte> CorrelationData = default,
    string? OnlyForSession = null);
