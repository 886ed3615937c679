using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Middleware;

/// <summary>
/// Establishes the message's <see cref="Credential"/> and enforces who may publish on the route:
/// a device session only on its own topics, operator routes only for operators. Device tokens are
/// passed on for the device grain to verify; operator and provisioning keys are checked here, and a
/// message that carries no credential the route could accept is refused here, without a grain call.
/// </summary>
public sealed class AuthenticationMiddleware(OperatorDirectory directory) : IMessageMiddleware
{
    public ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next)
    {
        var session = context.Message.Session;
        var offeredToken = RequestReader.OptionalString(context.Json, "auth_token") ?? context.Message.AuthTokenProperty;

        if (session.Kind == SessionKind.Operator || directory.FindOperatorByKey(offeredToken) is not null)
        {
            context.Credential = new Credential(CredentialKind.Operator, null);
            return next(context);
        }

        if (context.Route.Publisher == PublisherKind.Operator)
        {
            return Refuse(session.Kind == SessionKind.Device || offeredToken is not null
                ? MessageResult.Refused(ErrorCodes.Forbidden, "only operators may publish on this topic")
                : MessageResult.Refused(ErrorCodes.Unauthorized, "this topic needs operator credentials"));
        }

        if (session.Kind == SessionKind.Device)
        {
            if (!string.Equals(session.Name, context.DeviceId, StringComparison.Ordinal))
            {
                return Refuse(MessageResult.Refused(ErrorCodes.Forbidden, "a device may publish only on its own topics"));
            }

            context.Credential = new Credential(CredentialKind.Anonymous, session.DeviceToken);
            return next(context);
        }

        var mayProvision = context.Route.Publisher == PublisherKind.Provisioning
            && (session.Kind == SessionKind.Provisioning
                || directory.VerifyProvisioningKey(RequestReader.OptionalString(context.Json, "provision_key")));
        if (!mayProvision && offeredToken is null)
        {
            return Refuse(context.Route.Publisher == PublisherKind.Provisioning
                ? MessageResult.Refused(ErrorCodes.Unauthorized, "registration needs a valid provisioning key")
                : MessageResult.Refused(ErrorCodes.Unauthorized, "this message needs the device's auth_token"));
        }

        context.Credential = new Credential(mayProvision ? CredentialKind.Provisioning : CredentialKind.Anonymous, offeredToken);
        return next(context);
    }

    private static ValueTask<MessageResult> Refuse(MessageResult result) => ValueTask.FromResult(result);
}
