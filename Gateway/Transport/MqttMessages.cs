using System.Buffers;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>Between MQTT application messages and the router's inbound and outbound messages, for either transport.</summary>
public static class MqttMessages
{
    public const string AuthTokenProperty = "auth_token";

    public static InboundMessage ToInbound(MqttApplicationMessage message, Caller session, string? sessionId, CancellationToken cancellationToken)
    {
        var payload = message.Payload;
        return new InboundMessage(
            message.Topic,
            payload.IsSingleSegment ? payload.First : payload.ToArray(),
            (int)message.QualityOfServiceLevel,
            session,
            string.IsNullOrEmpty(message.ResponseTopic) ? null : message.ResponseTopic,
            message.CorrelationData,
            AuthToken(message),
            cancellationToken,
            sessionId);
    }

    /// <summary>The MQTT 5 user property <c>auth_token</c>; the last one when there are several.</summary>
    public static string? AuthToken(MqttApplicationMessage message)
    {
        string? token = null;
        if (message.UserProperties is { Count: > 0 } properties)
        {
            foreach (var property in properties)
            {
                if (property.Name == AuthTokenProperty)
                {
                    token = Encoding.UTF8.GetString(property.ValueBuffer.Span);
                }
            }
        }

        return token;
    }

    public static MqttApplicationMessage FromOutbound(OutboundMessage message)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(message.Topic)
            .WithPayload(new ReadOnlySequence<byte>(message.Payload))
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)message.Qos);
        if (!message.CorrelationData.IsEmpty)
        {
            builder.WithCorrelationData(message.CorrelationData.ToArray());
        }

        return builder.Build();
    }
}
