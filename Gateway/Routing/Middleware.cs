namespace Orleans.IoT.Gateway.Routing;

public delegate ValueTask<MessageResult> MessageHandler(MessageContext context);

/// <summary>A step before a route's handler; returning without calling <c>next</c> stops the message.</summary>
public interface IMessageMiddleware
{
    ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next);
}
