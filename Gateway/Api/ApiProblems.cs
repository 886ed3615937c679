using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// Errors of the HTTP API as RFC 9457 problem details carrying the contract's error code (DESIGN §2) in
/// <c>code</c> and in the <c>type</c> URN; the one place that maps a code to its HTTP status.
/// </summary>
public static class ApiProblems
{
    public const string TypePrefix = "urn:orleans-iot:error:";

    /// <summary>A store or the cluster is unreachable for now: worth retrying.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The thing the path names does not exist (an unknown command id, say).</summary>
    public const string NotFound = "not_found";

    public static int StatusOf(string code) => code switch
    {
        ErrorCodes.InvalidJson or ErrorCodes.ValidationFailed => StatusCodes.Status400BadRequest,
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.NotRegistered or ErrorCodes.UnknownRoute or NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.AlreadyRegistered => StatusCodes.Status409Conflict,
        ErrorCodes.PreconditionFailed => StatusCodes.Status412PreconditionFailed,
        ErrorCodes.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The problem for <paramref name="code"/>; <paramref name="retryAfterSeconds"/> also becomes a Retry-After header.</summary>
    public static ApiProblem Problem(string code, string detail, double? retryAfterSeconds = null) => new(code, detail, retryAfterSeconds);

    /// <summary>The problem for a grain's refusal.</summary>
    public static ApiProblem Problem(DeviceResult refusal) =>
        new(refusal.ErrorCode ?? ErrorCodes.InternalError, refusal.Message ?? refusal.ErrorCode ?? "refused", refusal.RetryAfterSeconds);

    /// <summary>Writes a problem where no endpoint runs (authentication, the exception handler).</summary>
    public static Task Write(HttpContext context, string code, string detail, double? retryAfterSeconds = null) =>
        new ApiProblem(code, detail, retryAfterSeconds).ExecuteAsync(context);
}

/// <summary>An RFC 9457 problem with the contract's error code, written as <c>application/problem+json</c>.</summary>
public sealed class ApiProblem : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IEndpointMetadataProvider
{
    public ApiProblem(string code, string detail, double? retryAfterSeconds = null)
    {
        Code = code;
        RetryAfterSeconds = retryAfterSeconds;
        Value = new ProblemDetails
        {
            Type = ApiProblems.TypePrefix + code,
            Title = code,
            Status = ApiProblems.StatusOf(code),
            Detail = detail,
            Extensions = { ["code"] = code },
        };
        if (retryAfterSeconds is { } retryAfter)
        {
            Value.Extensions["retry_after"] = retryAfter;
        }
    }

    public string Code { get; }

    public double? RetryAfterSeconds { get; }

    public ProblemDetails Value { get; }

    object? IValueHttpResult.Value => Value;

    public int StatusCode => Value.Status!.Value;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        if (RetryAfterSeconds is { } retryAfter)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(retryAfter)).ToString(CultureInfo.InvariantCulture);
        }

        return httpContext.Response.WriteAsJsonAsync(Value, options: null, contentType: "application/problem+json");
    }

    /// <summary>Every endpoint that can answer with a problem says so in the OpenAPI document.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(ProblemDetails), ["application/problem+json"]));
}
