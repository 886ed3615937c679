using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Gateway.WebConsole;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// <c>/api/v1/events</c>: the fleet events this gateway publishes over MQTT, as Server-Sent Events, for a browser's
/// <c>EventSource</c>; with <c>device_id</c>, that device's readings too.
/// </summary>
public static class EventsApi
{
    public const string Path = OperatorApi.Prefix + "/events";

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("events", Open)
            .WithTags("Events")
            .WithName("StreamEvents")
            .WithSummary("A text/event-stream of the fleet's events as they happen (presence, command, config, firmware, alert), each with the JSON "
                + "payload of its MQTT message; with device_id, that device's readings too (reading). No history: Last-Event-ID is not replayed");
        return api;
    }

    public static Results<EventStreamResult, ApiProblem> Open(
        [FromQuery(Name = "device_id")] string? deviceId, HttpContext context, ClaimsPrincipal user, LiveEvents events, IOptions<LiveStreamOptions> options)
    {
        if (string.IsNullOrEmpty(deviceId))
        {
            deviceId = null;
        }
        else if (!ApiRequests.TryDeviceId(deviceId, out var problem))
        {
            return problem;
        }

        var settings = options.Value;
        var retryAfterSeconds = settings.ReconnectMilliseconds / 1000.0;
        var stream = events.TryOpen(ApiRequests.Operator(user).Name!, deviceId, out var refusal);
        return refusal switch
        {
            StreamRefusal.None => new EventStreamResult(stream!, settings, SessionOf(context, user)),
            StreamRefusal.OperatorFull => ApiProblems.Problem(
                ErrorCodes.RateLimited,
                $"this operator has {settings.MaxStreamsPerOperator} event streams open on this gateway, the most (Console:MaxStreamsPerOperator): close one first",
                retryAfterSeconds),
            _ => ApiProblems.Problem(
                ApiProblems.Unavailable,
                $"this gateway serves at most {settings.MaxStreams} event streams at once (Console:MaxStreams): try again later or through another gateway",
                retryAfterSeconds),
        };
    }

    /// <summary>
    /// For a stream opened by the console's session, whether that session still holds (it ends on sign-out anywhere, or
    /// on expiry): the stream is checked every <c>Console:HeartbeatSeconds</c> and ends with its session.
    /// </summary>
    private static Func<CancellationToken, Task<bool>>? SessionOf(HttpContext context, ClaimsPrincipal user)
    {
        if (user.Identity?.AuthenticationType != ConsoleSession.SchemeName
            || context.Request.Cookies[ConsoleSession.CookieName] is not { Length: > 0 } key)
        {
            return null;
        }

        var tickets = context.RequestServices.GetRequiredService<ConsoleSessionTickets>();
        return async cancellationToken => await tickets.RetrieveAsync(key, cancellationToken) is { } ticket
            && (ticket.Properties.ExpiresUtc is not { } expires || expires > DateTimeOffset.UtcNow);
    }
}
