using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Api;

namespace Orleans.IoT.Gateway.WebConsole;

/// <summary>
/// The console's session: an HTTP-only, SameSite=Strict cookie (Secure on HTTPS) naming a session the cluster holds
/// (<see cref="ConsoleSessionTickets"/>), so that signing out ends it for good. Because a browser sends the cookie by
/// itself, a request it authenticates that changes something must also carry <see cref="HeaderName"/>, which only the
/// console's own scripts set: a cross-site form cannot, and a cross-site script may not without CORS.
/// </summary>
public static class ConsoleSession
{
    public const string SchemeName = "ConsoleSession";

    public const string CookieName = "orleans-iot-console";

    /// <summary>The header the console's requests carry; its value does not matter.</summary>
    public const string HeaderName = "X-Orleans-IoT-Console";

    /// <summary>The scheme of <see cref="OperatorApi.OperatorPolicy"/>: an operator key or a console session.</summary>
    public const string OperatorOrSessionScheme = "OperatorOrConsoleSession";

    /// <summary>The authorization policy of the console's pages: a session, else the sign-in page.</summary>
    public const string PagePolicy = "console-page";

    public const string SignInPath = "/signin";

    /// <summary>
    /// The <c>Console</c> settings and what the session cookie needs; the schemes themselves are added with the
    /// operator API's (<see cref="OperatorApi.AddOperatorApi"/>), which takes a session as well as a key.
    /// </summary>
    public static IServiceCollection AddConsoleSessions(this IServiceCollection services)
    {
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ConsoleSessionTickets>();
        services.AddOptions<CookieAuthenticationOptions>(SchemeName)
            .Configure<IOptions<ConsoleOptions>, ConsoleSessionTickets>((options, console, tickets) => Configure(options, console.Value, tickets));
        return services;
    }

    /// <summary>A bearer (or Basic) key when the request has an Authorization header, else the session cookie if it has one.</summary>
    public static string SelectScheme(HttpContext context) =>
        context.Request.Headers.Authorization.Count > 0 || !context.Request.Cookies.ContainsKey(CookieName)
            ? OperatorKeyAuthentication.SchemeName
            : SchemeName;

    public static bool HasConsoleHeader(HttpRequest request) => request.Headers.ContainsKey(HeaderName);

    private static void Configure(CookieAuthenticationOptions options, ConsoleOptions console, ConsoleSessionTickets tickets)
    {
        options.Cookie.Name = CookieName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.ExpireTimeSpan = TimeSpan.FromMinutes(console.SessionMinutes);
        options.SlidingExpiration = true;
        options.SessionStore = tickets;
        options.TicketDataFormat = new SessionKeyCookieFormat(SchemeName);
        options.LoginPath = SignInPath;
        options.ReturnUrlParameter = "return";
        options.Events.OnRedirectToLogin = context =>
        {
            // The API answers a request without a valid session as it answers one without a key; pages go to sign-in.
            if (IsApiRequest(context.Request))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return ApiProblems.Write(context.HttpContext, ErrorCodes.Unauthorized, "the console session has ended: sign in again");
            }

            context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        };
        options.Events.OnRedirectToAccessDenied = context => ApiProblems.Write(
            context.HttpContext,
            ErrorCodes.Forbidden,
            $"a request signed in by the console's session that changes something must carry the {HeaderName} header");
    }

    private static bool IsApiRequest(HttpRequest request) =>
        request.Path.StartsWithSegments(OperatorApi.Prefix) || request.Path.StartsWithSegments(FleetConsole.SessionPath);
}
