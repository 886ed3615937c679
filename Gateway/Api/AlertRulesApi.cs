using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
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
            .WithSummary("The alert rules in force, each with its id, and their version (also the ETag, for If-Match on PUT)");
        rules.MapPut("", Replace)
            .WithJsonObjectBody("The MQTT payload of alerts/rules: rules, an array of {id, sensor_type, device_type, operator, threshold, severity, clear_threshold}")
            .WithName("ReplaceAlertRules")
            .WithSummary("Replaces every rule: the body is the MQTT payload of alerts/rules, {\"rules\": [{id, sensor_type, device_type, operator, "
                + "threshold, severity, clear_threshold}, ...]}, at most 100, checked as at start-up. Answers the rules now in force, which apply "
                + "to the next reading on every silo. With If-Match: the ETag of a GET, only if the rules are still that version, else 412");
        return api;
    }

    public static async Task<Ok<AlertRuleSet>> Get(HttpResponse response, IGrainFactory grains)
    {
        var rules = await RulesGrain(grains).GetRules();
        response.Headers.ETag = ETagOf(rules);
        return TypedResults.Ok(rules);
    }

    public static async Task<Results<Ok<AlertRuleSet>, ApiProblem>> Replace(
        HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, IOptions<MqttOptions> mqtt, CancellationToken cancellationToken)
    {
        if (!TryExpectedVersion(request, out var expectedVersion))
        {
            return ApiProblems.Problem(ErrorCodes.ValidationFailed, "If-Match must be * or the ETag of GET /api/v1/alert-rules (a version in quotes)");
        }

        var (rules, invalid) = await ApiRequests.ReadBodyAsync<IReadOnlyList<AlertRule>>(
            request, mqtt.Value.MaxPayloadBytes, RequestReader.TryReadAlertRules, cancellationToken);
        if (rules is null)
        {
            return invalid!;
        }

        // Not the request's token: a client that goes away must not leave some silos with the new rules and some without.
        var outcome = await RulesGrain(grains).SetRules(rules, ApiRequests.Operator(user), expectedVersion, CancellationToken.None);
        if (outcome.Rules is { } inForce)
        {
            request.HttpContext.Response.Headers.ETag = ETagOf(inForce);
        }

        return outcome.Result.IsOk ? TypedResults.Ok(outcome.Rules!) : ApiProblems.Problem(outcome.Result);
    }

    private static string ETagOf(AlertRuleSet rules) => $"\"{rules.Version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>If-Match: absent or <c>*</c> (any version), or one strong ETag of <see cref="Get"/>; anything else is refused.</summary>
    private static bool TryExpectedVersion(HttpRequest request, out long? expectedVersion)
    {
        expectedVersion = null;
        var ifMatch = request.Headers.IfMatch;
        if (ifMatch.Count == 0 || (ifMatch.Count == 1 && ifMatch[0]?.Trim() == "*"))
        {
            return true;
        }

        if (ifMatch.Count != 1 || !EntityTagHeaderValue.TryParse(ifMatch[0], out var tag) || tag.IsWeak
            || !long.TryParse(tag.Tag.AsSpan(1, tag.Tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return false;
        }

        expectedVersion = version;
        return true;
    }

    private static IAlertRulesGrain RulesGrain(IGrainFactory grains) => grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);
}
