using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// <c>/api/v1/devices/{device_id}/config</c>: an operator's configuration update, made exactly as over MQTT
/// (<c>control/{device_id}/config</c>: the same payload, checks and grain call), and the device's configuration twin.
/// </summary>
public static class ConfigApi
{
    public static RouteGroupBuilder MapConfigApi(this RouteGroupBuilder api)
    {
        var config = api.MapGroup("devices/{device_id}/config").WithTags("Config");
        config.MapPost("", Update)
            .WithJsonObjectBody("The MQTT payload of control/{device_id}/config: config (a non-empty object, a JSON merge patch); config_id")
            .WithName("UpdateConfig")
            .WithSummary("Updates the desired configuration: the body is the MQTT payload of control/{device_id}/config (config, a non-empty object "
                + "merged as a JSON merge patch; config_id). 201 with the update's status (its new version; pending while the device is offline, "
                + "else sent) and the twin's Location; a config_id already known answers 200 with that update's status and repeated: true");
        config.MapGet("", Get)
            .WithName("GetConfig")
            .WithSummary("The configuration twin: desired and its version, what the device reported and its version, the delta (the desired "
                + "values the device does not report yet), and the recent updates with their states");
        return api;
    }

    public static Task<Results<Created<ConfigUpdateView>, Ok<ConfigUpdateView>, ApiProblem>> Update(
        [FromRoute(Name = "device_id")] string id, HttpRequest request, ClaimsPrincipal user, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.CreateAsync<ConfigUpdate, ConfigOutcome, ConfigUpdateView>(
            id,
            request,
            user,
            services,
            RequestReader.TryReadConfigUpdate,
            (device, update, caller, token) => device.UpdateConfig(update, caller, token),
            outcome => ConfigUpdateView.Of(outcome.Status!) with { Repeated = outcome.Repeated },
            _ => $"{OperatorApi.Prefix}/devices/{id}/config",
            cancellationToken);

    public static async Task<Results<Ok<ConfigTwinView>, ApiProblem>> Get([FromRoute(Name = "device_id")] string id, [AsParameters] DeviceActionServices services)
    {
        if (!ApiRequests.TryDeviceId(id, out var problem))
        {
            return problem!;
        }

        var device = services.Grains.Get(id);
        if (!await device.IsRegistered())
        {
            return ApiProblems.Problem(ErrorCodes.NotRegistered, $"device '{id}' is not registered");
        }

        return TypedResults.Ok(ConfigTwinView.Of(await device.GetConfig()));
    }
}

/// <summary>One configuration update: its version, state and the updates it carries. <see cref="Repeated"/> answers a create only.</summary>
public sealed record ConfigUpdateView(string DeviceId, string ConfigId, int Version, string Status, JsonElement Updates, DateTimeOffset UpdatedAt, string? Error)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Repeated { get; init; }

    public static ConfigUpdateView Of(ConfigStatus status) => new(
        status.DeviceId,
        status.ConfigId,
        status.Version,
        status.State,
        LifecycleHistory.Json(status.UpdatesJson)!.Value,
        LifecycleHistory.Time(status.UpdatedAt),
        status.Error);
}

/// <summary>
/// The device's configuration twin: <see cref="Desired"/> (every update merged, at <see cref="DesiredVersion"/>), what the
/// device last <see cref="Reported"/> (null before it reports), <see cref="Delta"/> (the desired values it does not report
/// yet) and its recent updates, oldest first.
/// </summary>
public sealed record ConfigTwinView(
    string DeviceId,
    JsonElement Desired,
    int DesiredVersion,
    JsonElement? Reported,
    int ReportedVersion,
    JsonElement Delta,
    IReadOnlyList<ConfigUpdateView> Updates)
{
    public static ConfigTwinView Of(ConfigTwin twin) => new(
        twin.DeviceId,
        LifecycleHistory.Json(twin.DesiredJson)!.Value,
        twin.DesiredVersion,
        LifecycleHistory.Json(twin.ReportedJson),
        twin.ReportedVersion,
        LifecycleHistory.Json(twin.DeltaJson)!.Value,
        [.. twin.Updates.Select(ConfigUpdateView.Of)]);
}
