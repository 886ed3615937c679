using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Middleware;

/// <summary>
/// Establishes the message's <see cref="MessageContext.Caller"/> and enforces who may publish on the route:
/// a device session only on its own topics, operator routes only for operators. Device tokens are
/// passed on for the device grain to verify; operator and provisioning keys are checked here, and a
/// message that carries no credential the route could accept is refused here, without a grain call.
/// </summary>
/// <param name="gatewayId">This gateway's id, carried by the callers it makes so that the device grain knows where its device is.</param>
public sealed class AuthenticationMiddleware(OperatorDirectory directory, string gatewayId) : IMessageMiddleware
{
    public ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next)
    {
        var session = context.Message.Session;
        var offeredToken = RequestReader.OptionalString(context.Json, "auth_token") ?? context.Message.AuthTokenProperty;

        if (session.Kind == CallerKind.Operator)
        {
            context.Caller = session;
            return next(context);
        }

        if (directory.FindOperatorByKey(offeredToken) is { } operatorName)
        {
            context.Caller = Caller.Operator(operatorName);
            return next(context);
        }

        if (context.Route.Publisher == CallerKind.Operator)
        {
            return Refuse(session.Kind == CallerKind.Device || offeredToken is not null
                ? MessageResult.Refused(ErrorCodes.Forbidden, "only operators may publish on this topic")
                : MessageResult.Refused(ErrorCodes.Unauthorized, "this topic needs operator credentials"));
        }

        if (session.Kind == CallerKind.Device)
        {
            if (!string.Equals(session.Name, context.DeviceId, StringComparison.Ordinal))
            {
                return Refuse(MessageResult.Refused(ErrorCodes.Forbidden, "a device may publish only on its own topics"));
            }

            context.Caller = session;
            return next(context);
        }

        var mayProvision = context.Route.Publisher == CallerKind.Provisioning
            && (session.Kind == CallerKind.Provisioning
                || directory.VerifyProvisioningKey(RequestReader.OptionalString(context.Json, "provision_key")));
        if (!mayProvision && offeredToken is null)
        {
            return Refuse(context.Route.Publisher == CallerKind.Provisioning
                ? MessageResult.Refused(ErrorCodes.Unauthorized, "registration needs a valid provisioning key")
                : MessageResult.Refused(ErrorCodes.Unauthorized, "this message needs the device's auth_token"));
        }

        context.Caller = new Caller(mayProvision ? CallerKind.Provisioning : CallerKind.Anonymous, offeredToken, Gateway: gatewayId);
        return next(context);
    }

    private static ValueTask<MessageResult> Refuse(MessageResult result) => ValueTask.FromResult(result);
}
