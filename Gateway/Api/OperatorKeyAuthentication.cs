using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// Authenticates an operator by the key of <c>Auth:Operators</c>: <c>Authorization: Bearer &lt;key&gt;</c> for the API,
/// or HTTP Basic with the operator's name and key, which a browser asks for on the dashboard. Anything else, a wrong key
/// included, is answered 401 with a problem body and nothing more.
/// </summary>
public sealed class OperatorKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    OperatorDirectory operators,
    OperatorKeyAttempts attempts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OperatorKey";

    /// <summary>The claim type of the operator's name (also the identity's name).</summary>
    public const string OperatorClaim = "operator";

    /// <summary>Where a request refused for its address's wrong keys keeps the seconds to wait, for the challenge to answer 429.</summary>
    private const string RetryAfterItem = "orleans-iot.operator-key-retry-after";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || header.Parameter is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (attempts.RefusedFor(Context.Connection.RemoteIpAddress) is { } retryAfter)
        {
            Context.Items[RetryAfterItem] = retryAfter;
            return Task.FromResult(AuthenticateResult.Fail("too many wrong operator keys from this address"));
        }

        var name = header.Scheme.ToLowerInvariant() switch
        {
            "bearer" => operators.FindOperatorByKey(header.Parameter),
            "basic" => FromBasic(header.Parameter),
            _ => null,
        };
        if (name is null)
        {
            attempts.Failed(Context.Connection.RemoteIpAddress);
            return Task.FromResult(AuthenticateResult.Fail("not an operator key"));
        }

        var identity = new ClaimsIdentity([new Claim(OperatorClaim, name), new Claim(ClaimTypes.Name, name)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    private string? FromBasic(string parameter)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var name = decoded[..colon];
        return operators.VerifyOperator(name, decoded[(colon + 1)..]) ? name : null;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterItem] is int retryAfter)
        {
            await ApiProblems.Write(Context, ErrorCodes.RateLimited, OperatorKeyAttempts.Refusal(retryAfter), retryAfter);
            return;
        }

        // The dashboard is opened in a browser, which asks for a name and key on a Basic challenge.
        Response.Headers.WWWAuthenticate = Request.Path.StartsWithSegments(OperatorApi.DashboardPath)
            ? "Basic realm=\"Orleans.IoT\", charset=\"UTF-8\""
            : "Bearer";
        await ApiProblems.Write(Context, ErrorCodes.Unauthorized, "an operator key is required: Authorization: Bearer <key>");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.Write(Context, ErrorCodes.Forbidden, "this operator may not do this");
}
