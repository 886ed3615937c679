using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// <c>/api/v1/devices/{device_id}/firmware</c>: an operator's firmware update, started exactly as over MQTT
/// (<c>firmware/{device_id}/update</c>: the same payload, checks and grain call), and where updates stand.
/// </summary>
public static class FirmwareApi
{
    public static RouteGroupBuilder MapFirmwareApi(this RouteGroupBuilder api)
    {
        var firmware = api.MapGroup("devices/{device_id}/firmware").WithTags("Firmware");
        firmware.MapPost("", Start)
            .WithJsonObjectBody("The MQTT payload of firmware/{device_id}/update: version, url, checksum; update_id")
            .WithName("StartFirmwareUpdate")
            .WithSummary("Starts a firmware update: the body is the MQTT payload of firmware/{device_id}/update (version, url, checksum; update_id). "
                + "201 with the update's status (initiated while the device is offline, else sent) and its Location; "
                + "an update_id already known answers 200 with that update's status and repeated: true, and sends nothing");
        firmware.MapGet("{update_id}", Get)
            .WithName("GetFirmwareUpdate")
            .WithSummary("One firmware update's status and progress: from the device while it holds it (the one in flight and its recently ended ones), "
                + "else from the lifecycle audit, then with its states and their times");
        firmware.MapGet("", List)
            .WithName("ListFirmwareUpdates")
            .WithSummary("The device's latest firmware updates from the lifecycle audit: those that changed within from..to (RFC 3339 or Unix seconds; "
                + "default: all), most recently changed first, at most limit (default 20, at most 100), each with its status and every state it "
                + "passed through with its time. Answers an empty list for a device the audit has nothing of");
        return api;
    }

    public static Task<Results<Created<FirmwareView>, Ok<FirmwareView>, ApiProblem>> Start(
        [FromRoute(Name = "device_id")] string id, HttpRequest request, ClaimsPrincipal user, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.CreateAsync<FirmwareRequest, FirmwareOutcome, FirmwareView>(
            id,
            request,
            user,
            services,
            RequestReader.TryReadFirmwareUpdate,
            (device, update, caller, token) => device.StartFirmwareUpdate(update, caller, token),
            outcome => FirmwareView.Of(outcome.Status!) with { Repeated = outcome.Repeated },
            update => $"{OperatorApi.Prefix}/devices/{id}/firmware/{update.UpdateId}",
            cancellationToken);

    public static Task<Results<Ok<FirmwareView>, ApiProblem>> Get(
        [FromRoute(Name = "device_id")] string id, [FromRoute(Name = "update_id")] string updateId, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.GetAsync(
            id, updateId, "update_id", LifecycleAuditKinds.Firmware, services, (device, known) => device.GetFirmwareUpdate(known), FirmwareView.Of, FirmwareView.Of, cancellationToken);

    public static Task<Results<Ok<FirmwareUpdateList>, ApiProblem>> List(
        [FromRoute(Name = "device_id")] string id, string? from, string? to, string? limit, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.ListAsync(
            id, LifecycleAuditKinds.Firmware, from, to, limit, services, FirmwareView.Of, updates => new FirmwareUpdateList(id, updates), cancellationToken);
}

/// <summary>
/// A firmware update and where it stands; <see cref="Progress"/> is the device's last percentage. <see cref="Repeated"/>
/// answers a create only (true: its id was already known); <see cref="States"/> is there when the update comes from the
/// lifecycle audit.
/// </summary>
public sealed record FirmwareView(
    string DeviceId,
    string UpdateId,
    string? Version,
    string? Url,
    string? Checksum,
    string Status,
    double? Progress,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Error)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Repeated { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LifecycleState>? States { get; init; }

    public static FirmwareView Of(FirmwareStatus status) => new(
        status.DeviceId,
        status.UpdateId,
        status.Version,
        status.Url,
        status.Checksum,
        status.State,
        status.Progress,
        LifecycleHistory.Time(status.CreatedAt),
        LifecycleHistory.Time(status.UpdatedAt),
        status.Error);

    /// <summary>An update from its audit entries, oldest first: the newest one's state and detail.</summary>
    public static FirmwareView Of(string deviceId, IReadOnlyList<LifecycleAuditEntry> entries)
    {
        using var detail = LifecycleHistory.Detail(entries);
        var json = detail.RootElement;
        return new FirmwareView(
            deviceId,
            entries[0].Id,
            LifecycleHistory.Property(json, "version")?.GetString(),
            LifecycleHistory.Property(json, "url")?.GetString(),
            LifecycleHistory.Property(json, "checksum")?.GetString(),
            entries[^1].State,
            LifecycleHistory.Property(json, "progress")?.GetDouble(),
            entries[0].At,
            entries[^1].At,
            LifecycleHistory.Property(json, "error")?.GetString())
        {
            States = LifecycleHistory.States(entries),
        };
    }
}

/// <summary>A device's latest firmware updates, most recently changed first.</summary>
public sealed record FirmwareUpdateList(string DeviceId, IReadOnlyList<FirmwareView> Updates);
