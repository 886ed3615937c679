using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Orleans.IoT.Gateway.Api;

/// <summary><c>/api/v1/fleet</c>: the fleet at a glance.</summary>
public static class FleetApi
{
    public static RouteGroupBuilder MapFleetApi(this RouteGroupBuilder api)
    {
        var fleet = api.MapGroup("fleet").WithTags("Fleet");
        fleet.MapGet("health", GetHealth)
            .WithName("GetFleetHealth")
            .WithSummary("Counts by status and type, the registered devices silent longest, active alerts by severity");
        fleet.MapGet("online", GetOnline)
            .WithName("GetFleetOnline")
            .WithSummary("The devices online and registered, sampled every minute, over the last minutes (1 to 1440, default 60), oldest first");
        return api;
    }

    public static async Task<Results<Ok<FleetOnlineSamples>, ApiProblem>> GetOnline(IGrainFactory grains, string? minutes)
    {
        if (!ApiRequests.TryLimit(minutes, FleetOnlineSample.DefaultMinutes, FleetOnlineSample.MaxMinutes, out var span, out _))
        {
            return ApiProblems.Problem(ErrorCodes.ValidationFailed, $"minutes must be an integer from 1 to {FleetOnlineSample.MaxMinutes}");
        }

        var samples = await grains.GetGrain<IFleetOnlineGrain>(IFleetOnlineGrain.Key).ReadSamples(span);
        return TypedResults.Ok(new FleetOnlineSamples(span, samples));
    }

    public static async Task<Results<Ok<FleetHealth>, ApiProblem>> GetHealth(IFleetHealthReader fleet, string? silent, CancellationToken cancellationToken)
    {
        if (!ApiRequests.TryLimit(silent, FleetHealth.DefaultSilentLongest, FleetHealth.MaxSilentLongest, out var silentLongest, out var problem))
        {
            return ApiProblems.Problem(ErrorCodes.ValidationFailed, $"silent must be an integer from 1 to {FleetHealth.MaxSilentLongest}");
        }

        return TypedResults.Ok(await fleet.ReadAsync(silentLongest, cancellationToken));
    }
}
