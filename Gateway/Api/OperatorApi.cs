using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using Orleans.IoT.Gateway.Security;
using Orleans.IoT.Gateway.WebConsole;
using Scalar.AspNetCore;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// The operator HTTP API (DESIGN §4): <c>/api/v1</c>, JSON in snake_case with RFC 3339 times, an operator key as
/// bearer token (or the fleet console's session, <see cref="ConsoleSession"/>) on every endpoint, errors as problem
/// details, described at <c>/openapi/v1.json</c> and browsable at <c>/scalar/v1</c>.
/// </summary>
public static class OperatorApi
{
    public const string Prefix = "/api/v1";

    public const string DashboardPath = "/dashboard";

    /// <summary>The authorization policy of every API endpoint and the dashboard: an operator, by key or console session.</summary>
    public const string OperatorPolicy = "operator";

    public static IServiceCollection AddOperatorApi(this IServiceCollection services)
    {
        services.AddAuthentication(ConsoleSession.OperatorOrSessionScheme)
            .AddPolicyScheme(ConsoleSession.OperatorOrSessionScheme, null, o => o.ForwardDefaultSelector = ConsoleSession.SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyAuthentication>(OperatorKeyAuthentication.SchemeName, null)
            .AddCookie(ConsoleSession.SchemeName);
        services.AddConsoleSessions();
        services.TryAddSingleton<OperatorKeyAttempts>();
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, policy => policy
                .AddAuthenticationSchemes(ConsoleSession.OperatorOrSessionScheme)
                .RequireClaim(OperatorKeyAuthentication.OperatorClaim)
                .AddRequirements(new ConsoleRequestRequirement()))
            .AddPolicy(ConsoleSession.PagePolicy, policy => policy
                .AddAuthenticationSchemes(ConsoleSession.SchemeName)
                .RequireClaim(OperatorKeyAuthentication.OperatorClaim));
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            // Numbers are numbers: the web defaults also read them from strings, which the OpenAPI document then
            // advertises as "number or string".
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // Problems the framework writes itself (a route that does not exist, a malformed request): the same shape.
            var code = context.ProblemDetails.Status switch
            {
                StatusCodes.Status400BadRequest or StatusCodes.Status415UnsupportedMediaType => ErrorCodes.ValidationFailed,
                StatusCodes.Status401Unauthorized => ErrorCodes.Unauthorized,
                StatusCodes.Status403Forbidden => ErrorCodes.Forbidden,
                StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed => ErrorCodes.UnknownRoute,
                StatusCodes.Status413PayloadTooLarge => ErrorCodes.PayloadTooLarge,
                _ => ErrorCodes.InternalError,
            };
            if (!context.ProblemDetails.Extensions.ContainsKey("code"))
            {
                context.ProblemDetails.Type = ApiProblems.TypePrefix + code;
                context.ProblemDetails.Extensions["code"] = code;
            }
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Orleans.IoT operator API",
                Version = "v1",
                Description = "Device management for operators. Every endpoint takes an operator key of Auth:Operators as `Authorization: Bearer <key>`; errors are RFC 9457 problem details whose `code` is one of the contract's error codes.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[OperatorKeyAuthentication.SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An operator key (Auth:Operators:<name>).",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(OperatorKeyAuthentication.SchemeName, document)] = [],
            });
            return Task.CompletedTask;
        }));
        return services;
    }

    /// <summary>Maps <c>/api/v1</c>, its OpenAPI document and reference page; the API needs an operator key.</summary>
    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Prefix)
            .RequireAuthorization(OperatorPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapFleetApi();
        api.MapDevicesApi();
        api.MapTelemetryApi();
        api.MapCommandsApi();
        api.MapConfigApi();
        api.MapFirmwareApi();
        api.MapAlertsApi();
        api.MapAlertRulesApi();
        api.MapEventsApi();

        // Any other path under the API answers unknown_route, and only to an operator: without a key, every path is 401.
        api.MapFallback("{**path}", () => ApiProblems.Problem(ErrorCodes.UnknownRoute, "no such endpoint: see /openapi/v1.json"))
            .ExcludeFromDescription();

        endpoints.MapOpenApi("/openapi/{documentName}.json");
        endpoints.MapScalarApiReference(o => o.WithTitle("Orleans.IoT operator API"));
        return endpoints;
    }
}
