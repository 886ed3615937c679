using System.Text.Json;

namespace Orleans.IoT.Gateway.Routing;

/// <summary>One inbound message on its way through a route's middleware to its handler.</summary>
public sealed class MessageContext
{
    public MessageContext(InboundMessage message, Route route, RouteValues values)
    {
        Message = message;
        Route = route;
        Values = values;
    }

    public InboundMessage Message { get; }

    public Route Route { get; }

    public RouteValues Values { get; }

    /// <summary>The payload's JSON object, once the JSON middleware has parsed it.</summary>
    public JsonElement Json { get; set; }

    /// <summary>Who sent this message as the authentication middleware established it (the session's caller, or what the payload proves).</summary>
    public Caller Caller { get; set; } = Caller.Anonymous;

    public string? DeviceId => Values["device_id"];

    public CancellationToken CancellationToken => Message.CancellationToken;
}

/// <summary>A message as the transport received it, with nothing of the transport's own types.</summary>
/// <param name="SessionId">The transport session (MQTT client id) it came from, when there is one.</param>
public sealed record InboundMessage(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    int Qos,
    Caller Session,
    string? ResponseTopic = null,
    ReadOnlyMemory<byte> CorrelationData = default,
    string? AuthTokenProperty = null,
    CancellationToken CancellationToken = default,
    string? SessionId = null);
