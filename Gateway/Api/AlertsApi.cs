using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// <c>/api/v1/alerts</c> and <c>/api/v1/devices/{device_id}/alerts</c>: the stored alerts, and their acknowledgement. Reads see
/// what the alert store has written, so they may lag a raise or a clear by the write of a batch.
/// </summary>
public static class AlertsApi
{
    public const int DefaultLimit = 100;

    /// <summary>Every state a read may ask for: one of the two, or both.</summary>
    public const string AllStates = "all";

    public static RouteGroupBuilder MapAlertsApi(this RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("").WithTags("Alerts");
        alerts.MapGet("alerts", List)
            .WithName("ListAlerts")
            .WithSummary("The fleet's alerts, newest raised first: state active (default), cleared or all; severity info, low, medium, high "
                + "or critical (default: every one); at most limit (default 100, at most 1000)");
        alerts.MapGet("devices/{device_id}/alerts", ListOfDevice)
            .WithName("ListDeviceAlerts")
            .WithSummary("A device's alerts, active and cleared, newest raised first, at most limit (default 100, at most 1000)");
        alerts.MapPost("alerts/{alert_id}/acknowledge", Acknowledge)
            .WithName("AcknowledgeAlert")
            .WithSummary("Records that this operator has seen the alert, and when; the first acknowledgement stands, and it does not clear the alert");
        return api;
    }

    public static async Task<Results<Ok<AlertList>, ApiProblem>> List(
        string? severity, string? state, string? limit, IAlertReader alerts, CancellationToken cancellationToken)
    {
        if (severity is not null && !AlertSeverities.IsValid(severity))
        {
            return ApiProblems.Problem(ErrorCodes.ValidationFailed, $"severity must be one of {string.Join(", ", AlertSeverities.All)}");
        }

        if (state is not (null or AlertStates.Active or AlertStates.Cleared or AllStates))
        {
            return ApiProblems.Problem(ErrorCodes.ValidationFailed, $"state must be {AlertStates.Active}, {AlertStates.Cleared} or {AllStates}");
        }

        if (!ApiRequests.TryLimit(limit, DefaultLimit, IAlertReader.MaxReadLimit, out var count, out var problem))
        {
            return problem!;
        }

        var inState = state switch
        {
            null => AlertStates.Active,
            AllStates => null,
            _ => state,
        };
        return TypedResults.Ok(new AlertList(await alerts.ReadFleetAsync(severity, inState, count, cancellationToken)));
    }

    public static async Task<Results<Ok<AlertList>, ApiProblem>> ListOfDevice(
        [FromRoute(Name = "device_id")] string id, string? limit, IAlertReader alerts, CancellationToken cancellationToken)
    {
        if (!ApiRequests.TryDeviceId(id, out var problem) || !ApiRequests.TryLimit(limit, DefaultLimit, IAlertReader.MaxReadLimit, out var count, out problem))
        {
            return problem!;
        }

        return TypedResults.Ok(new AlertList(await alerts.ReadDeviceHistoryAsync(id, count, cancellationToken)));
    }

    public static async Task<Results<Ok<AlertAcknowledgement>, ApiProblem>> Acknowledge(
        [FromRoute(Name = "alert_id")] string alertId, ClaimsPrincipal user, IAlertReader alerts)
    {
        if (!ApiRequests.TryIdentifier(alertId, "alert_id", out var problem))
        {
            return problem!;
        }

        // Not the request's token: once asked, the acknowledgement is recorded or not, not cut half-way.
        return await alerts.AcknowledgeAsync(alertId, ApiRequests.Operator(user).Name!, CancellationToken.None)
            ? TypedResults.Ok(new AlertAcknowledgement(alertId, Acknowledged: true))
            : ApiProblems.Problem(ApiProblems.NotFound, "no alert with this id");
    }
}

/// <summary>Alerts, newest raised first.</summary>
public sealed record AlertList(IReadOnlyList<Alert> Alerts);

/// <summary>An acknowledgement recorded (or one recorded before, which stands): the alert shows who and when.</summary>
public sealed record AlertAcknowledgement(string AlertId, bool Acknowledged);
