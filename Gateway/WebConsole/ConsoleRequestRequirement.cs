using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary>
/// A request authenticated by the console's session cookie that is not a safe method carries
/// <see cref="ConsoleSession.HeaderName"/> (the defence against cross-site request forgery); a key is never asked for it.
/// Its own handler: authorization's pass-through handler evaluates a requirement that is one.
/// </summary>
public sealed class ConsoleRequestRequirement : AuthorizationHandler<ConsoleRequestRequirement>, IAuthorizationRequirement
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ConsoleRequestRequirement requirement)
    {
        if (context.User.Identity?.AuthenticationType != ConsoleSession.SchemeName
            || (context.Resource is HttpContext http && (IsSafe(http.Request.Method) || ConsoleSession.HasConsoleHeader(http.Request))))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    private static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);
}
