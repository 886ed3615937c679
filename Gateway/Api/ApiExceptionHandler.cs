using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// What the API answers when a handler throws: a passing fault (a store or the cluster unreachable, a timeout) is 503
/// <c>unavailable</c> with Retry-After, worth trying again; anything else is 500 <c>internal_error</c>, logged once.
/// Neither tells the caller more than its code.
/// </summary>
public sealed partial class ApiExceptionHandler(FailureClassifier failures, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        if (exception is BadHttpRequestException unreadable)
        {
            // A body cut short, badly chunked, too slow or too large: the request's fault, not the system's.
            LogUnreadable(httpContext.Request.Method, httpContext.Request.Path, unreadable.StatusCode);
            await (unreadable.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ApiProblems.Write(httpContext, ErrorCodes.PayloadTooLarge, "the body is too large")
                : ApiProblems.Write(httpContext, ErrorCodes.ValidationFailed, "the request could not be read"));
        }
        else if (failures.IsPassing(exception))
        {
            LogPassing(httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name);
            await ApiProblems.Write(httpContext, ApiProblems.Unavailable, "the system cannot answer now; try again shortly", retryAfterSeconds: 1);
        }
        else
        {
            LogFailed(exception, httpContext.Request.Method, httpContext.Request.Path);
            await ApiProblems.Write(httpContext, ErrorCodes.InternalError, "the request failed");
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "HTTP {Method} {Path}: the request could not be read ({Status})")]
    private partial void LogUnreadable(string method, string path, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP {Method} {Path} failed for a passing fault: {Fault}")]
    private partial void LogPassing(string method, string path, string fault);

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP {Method} {Path} failed")]
    private partial void LogFailed(Exception exception, string method, string path);
}
