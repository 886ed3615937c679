using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Api;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary>
/// The fleet console (DESIGN §4) at <c>/</c>: pages of static HTML, CSS and JavaScript embedded in this assembly (no
/// CDN, no build step), which read the operator API with the session cookie that <see cref="SessionPath"/> issues for an
/// operator's name and key.
/// </summary>
public static class FleetConsole
{
    public const string SessionPath = "/console/session";

    public const string AssetsPath = "/console/assets";

    /// <summary>
    /// The assets' path for this build: pages name their assets under it, so a browser may keep them for good (they
    /// never change under one path) and an upgraded gateway's pages name new ones, never a stale cached script.
    /// </summary>
    public static readonly string VersionedAssetsPath =
        $"{AssetsPath}/{typeof(FleetConsole).Assembly.ManifestModule.ModuleVersionId:N}"[..(AssetsPath.Length + 13)];

    /// <summary>The pages the console's script draws; each is the same document.</summary>
    private static readonly string[] PagePaths = ["/", "/devices", "/devices/{device_id}", "/alerts"];

    /// <summary>Scripts and styles come from the gateway only; no page may frame the console.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Maps the console, its assets and its session endpoints, unless <c>Console:Enabled</c> is false.</summary>
    public static WebApplication MapFleetConsole(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled)
        {
            return app;
        }

        var assets = new EmbeddedFileProvider(typeof(FleetConsole).Assembly, typeof(FleetConsole).Namespace + ".Assets");
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = assets,
            RequestPath = VersionedAssetsPath,
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = context =>
            {
                AddSecurityHeaders(context.Context.Response);
                context.Context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            },
        });

        var consolePage = Page(assets, "console.html");
        foreach (var path in PagePaths)
        {
            app.MapGet(path, consolePage).RequireAuthorization(ConsoleSession.PagePolicy).ExcludeFromDescription();
        }

        app.MapGet(ConsoleSession.SignInPath, Page(assets, "signin.html")).AllowAnonymous().ExcludeFromDescription();

        var session = app.MapGroup(SessionPath).ExcludeFromDescription();
        session.MapPost("", SignIn).AllowAnonymous();
        session.MapGet("", DescribeSession).RequireAuthorization(ConsoleSession.PagePolicy);
        session.MapDelete("", (Delegate)SignOut).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Signs an operator in by name and key, verified as the API verifies keys (<see cref="OperatorDirectory"/>). A
    /// refusal says nothing of which part was wrong. The console header is required here too, so that another site
    /// cannot sign a browser in to a session of its choosing.
    /// </summary>
    public static async Task<Results<NoContent, ApiProblem>> SignIn(
        HttpContext context, SignInRequest request, OperatorDirectory operators, OperatorKeyAttempts attempts)
    {
        if (!ConsoleSession.HasConsoleHeader(context.Request))
        {
            return MissingHeader();
        }

        var address = context.Connection.RemoteIpAddress;
        if (attempts.RefusedFor(address) is { } retryAfter)
        {
            return ApiProblems.Problem(ErrorCodes.RateLimited, OperatorKeyAttempts.Refusal(retryAfter), retryAfter);
        }

        if (string.IsNullOrEmpty(request.Operator) || !operators.VerifyOperator(request.Operator, request.Key))
        {
            attempts.Failed(address);
            return ApiProblems.Problem(ErrorCodes.Unauthorized, "the operator name or key is not valid");
        }

        var identity = new ClaimsIdentity(
            [new Claim(OperatorKeyAuthentication.OperatorClaim, request.Operator), new Claim(ClaimTypes.Name, request.Operator)],
            ConsoleSession.SchemeName);
        await context.SignInAsync(ConsoleSession.SchemeName, new ClaimsPrincipal(identity));
        return TypedResults.NoContent();
    }

    /// <summary>Who is signed in, and how often the pages read their data again.</summary>
    public static Ok<ConsoleSessionInfo> DescribeSession(ClaimsPrincipal user, IOptions<ConsoleOptions> console) =>
        TypedResults.Ok(new ConsoleSessionInfo(user.FindFirstValue(OperatorKeyAuthentication.OperatorClaim)!, console.Value.RefreshSeconds));

    /// <summary>Ends the session: the gateway forgets it, so its cookie opens nothing any more.</summary>
    public static async Task<Results<NoContent, ApiProblem>> SignOut(HttpContext context)
    {
        if (!ConsoleSession.HasConsoleHeader(context.Request))
        {
            return MissingHeader();
        }

        await context.SignOutAsync(ConsoleSession.SchemeName);
        return TypedResults.NoContent();
    }

    private static ApiProblem MissingHeader() =>
        ApiProblems.Problem(ErrorCodes.Forbidden, $"the console's requests carry the {ConsoleSession.HeaderName} header");

    /// <summary>A page as embedded, naming its assets under <see cref="VersionedAssetsPath"/>; never cached.</summary>
    private static RequestDelegate Page(IFileProvider assets, string name)
    {
        var file = assets.GetFileInfo(name);
        if (!file.Exists)
        {
            throw new InvalidOperationException($"the console page {name} is not embedded in {typeof(FleetConsole).Assembly.GetName().Name}");
        }

        using var reader = new StreamReader(file.CreateReadStream());
        var page = Encoding.UTF8.GetBytes(reader.ReadToEnd().Replace(AssetsPath + "/", VersionedAssetsPath + "/", StringComparison.Ordinal));
        return context =>
        {
            AddSecurityHeaders(context.Response);
            context.Response.Headers.CacheControl = "no-store";
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.Body.WriteAsync(page, context.RequestAborted).AsTask();
        };
    }

    private static void AddSecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}

/// <summary>An operator's name and key, as the sign-in page posts them.</summary>
public sealed record SignInRequest(string? Operator, string? Key);

/// <summary>The signed-in operator and the pages' refresh interval.</summary>
public sealed record ConsoleSessionInfo(string Operator, int RefreshSeconds);
