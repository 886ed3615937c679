using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// <c>/api/v1/alert-rules</c>: the fleet's alert rules, read and replaced exactly as over MQTT (<c>alerts/rules</c>: the
/// same payload, checks and grain call); a change applies to the next reading.
/// </summary>
public static class AlertRulesApi
{
    public static RouteGroupBuilder MapAlertRulesApi(this RouteGroupBuilder api)
    {
        var rules = api.MapGroup("alert-rules").WithTags("Alerts");
        rules.MapGet("", Get)
            .WithName("GetAlertRules")
            .WithSummary("The alert rules in force, each with its id, and their version");
        rules.MapPut("", Replace)
            .WithJsonObjectBody("The MQTT payload of alerts/rules: rules, an array of {id, sensor_type, device_type, operator, threshold, severity, clear_threshold}")
            .WithName("ReplaceAlertRules")
            .WithSummary("Replaces every rule: the body is the MQTT payload of alerts/rules, {\"rules\": [{id, sensor_type, device_type, operator, "
                + "threshold, severity, clear_threshold}, ...]}, at most 100, checked as at start-up. Answers the rules now in force, which apply "
                + "to the next reading on every silo");
        return api;
    }

    public static async Task<Ok<AlertRuleSet>> Get(IGrainFactory grains) =>
        TypedResults.Ok(await RulesGrain(grains).GetRules());

    public static async Task<Results<Ok<AlertRuleSet>, ApiProblem>> Replace(
        HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, IOptions<MqttOptions> mqtt, CancellationToken cancellationToken)
    {
        var (rules, invalid) = await ApiRequests.ReadBodyAsync<IReadOnlyList<AlertRule>>(
            request, mqtt.Value.MaxPayloadBytes, RequestReader.TryReadAlertRules, cancellationToken);
        if (rules is null)
        {
            return invalid!;
        }

        // Not the request's token: a client that goes away must not leave some silos with the new rules and some without.
        var outcome = await RulesGrain(grains).SetRules(rules, ApiRequests.Operator(user), CancellationToken.None);
        return outcome.Result.IsOk ? TypedResults.Ok(outcome.Rules!) : ApiProblems.Problem(outcome.Result);
    }

    private static IAlertRulesGrain RulesGrain(IGrainFactory grains) => grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);
}
