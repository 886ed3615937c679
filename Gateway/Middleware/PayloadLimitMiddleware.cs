using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Middleware;

/// <summary>Refuses payloads larger than the configured limit with <c>payload_too_large</c>.</summary>
public sealed class PayloadLimitMiddleware(int maxBytes) : IMessageMiddleware
{
    public ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next) =>
        context.Message.Payload.Length > maxBytes
            ? ValueTask.FromResult(MessageResult.Refused(ErrorCodes.PayloadTooLarge, $"payload is {context.Message.Payload.Length} bytes; the limit is {maxBytes}"))
            : next(context);
}
