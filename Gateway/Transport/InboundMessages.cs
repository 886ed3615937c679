using System.Buffers;
using System.Text;
using MQTTnet;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>An MQTT application message as the router takes it, whichever transport received it.</summary>
public static class InboundMessages
{
    public const string AuthTokenProperty = "auth_token";

    public static InboundMessage From(MqttApplicationMessage message, Caller session, string? sessionId, CancellationToken cancellationToken)
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
}
