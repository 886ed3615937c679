using MQTTnet.Protocol;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>The MQTT 5 PUBACK/PUBREC reason code for each refusal code of DESIGN §2.</summary>
public static class AckReasonCodes
{
    public static MqttPubAckReasonCode For(string? errorCode) => errorCode switch
    {
        null => MqttPubAckReasonCode.Success,
        ErrorCodes.InvalidJson => MqttPubAckReasonCode.PayloadFormatInvalid,
        ErrorCodes.Unauthorized or ErrorCodes.Forbidden => MqttPubAckReasonCode.NotAuthorized,
        ErrorCodes.RateLimited => MqttPubAckReasonCode.QuotaExceeded,
        ErrorCodes.UnknownRoute => MqttPubAckReasonCode.TopicNameInvalid,
        ErrorCodes.InternalError => MqttPubAckReasonCode.UnspecifiedError,
        _ => MqttPubAckReasonCode.ImplementationSpecificError,
    };
}
