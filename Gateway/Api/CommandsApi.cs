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
/// <c>/api/v1/devices/{device_id}/commands</c>: an operator's command, sent exactly as over MQTT
/// (<c>control/{device_id}/command</c>: the same payload, checks and grain call), and where commands stand.
/// </summary>
public static class CommandsApi
{
    public static RouteGroupBuilder MapCommandsApi(this RouteGroupBuilder api)
    {
        var commands = api.MapGroup("devices/{device_id}/commands").WithTags("Commands");
        commands.MapPost("", Send)
            .WithJsonObjectBody("The MQTT payload of control/{device_id}/command: command; parameters (object), ttl_seconds, command_id")
            .WithName("SendCommand")
            .WithSummary("Sends a command: the body is the MQTT payload of control/{device_id}/command (command; parameters, ttl_seconds, command_id). "
                + "201 with the command's status (queued while the device is offline, else sent) and its Location; "
                + "a command_id already known answers 200 with that command's status and repeated: true, and sends nothing");
        commands.MapGet("{command_id}", Get)
            .WithName("GetCommand")
            .WithSummary("One command's status: from the device while it holds it (its open and recently ended commands), "
                + "else from the lifecycle audit, then with its states and their times");
        commands.MapGet("", List)
            .WithName("ListCommands")
            .WithSummary("The device's latest commands from the lifecycle audit: those that changed within from..to (RFC 3339 or Unix seconds; "
                + "default: all), most recently changed first, at most limit (default 20, at most 100), each with its status and every state it "
                + "passed through with its time. Answers an empty list for a device the audit has nothing of");
        return api;
    }

    public static Task<Results<Created<CommandView>, Ok<CommandView>, ApiProblem>> Send(
        [FromRoute(Name = "device_id")] string id, HttpRequest request, ClaimsPrincipal user, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.CreateAsync<CommandRequest, CommandOutcome, CommandView>(
            id,
            request,
            user,
            services,
            RequestReader.TryReadCommand,
            (device, command, caller, token) => device.SendCommand(command, caller, token),
            outcome => CommandView.Of(outcome.Status!) with { Repeated = outcome.Repeated },
            command => $"{OperatorApi.Prefix}/devices/{id}/commands/{command.CommandId}",
            cancellationToken);

    public static Task<Results<Ok<CommandView>, ApiProblem>> Get(
        [FromRoute(Name = "device_id")] string id, [FromRoute(Name = "command_id")] string commandId, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.GetAsync(
            id, commandId, "command_id", LifecycleAuditKinds.Command, services, (device, known) => device.GetCommand(known), CommandView.Of, CommandView.Of, cancellationToken);

    public static Task<Results<Ok<CommandList>, ApiProblem>> List(
        [FromRoute(Name = "device_id")] string id, string? from, string? to, string? limit, [AsParameters] DeviceActionServices services, CancellationToken cancellationToken) =>
        DeviceActions.ListAsync(
            id, LifecycleAuditKinds.Command, from, to, limit, services, CommandView.Of, commands => new CommandList(id, commands), cancellationToken);
}

/// <summary>
/// A command and where it stands. <see cref="Repeated"/> answers a create only (true: its id was already known);
/// <see cref="States"/> is there when the command comes from the lifecycle audit.
/// </summary>
public sealed record CommandView(
    string DeviceId,
    string CommandId,
    string? Command,
    JsonElement? Parameters,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt,
    JsonElement? Result,
    string? Error)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Repeated { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LifecycleState>? States { get; init; }

    public static CommandView Of(CommandStatus status) => new(
        status.DeviceId,
        status.CommandId,
        status.Command,
        LifecycleHistory.Json(status.ParametersJson),
        status.State,
        LifecycleHistory.Time(status.CreatedAt),
        LifecycleHistory.Time(status.UpdatedAt),
        LifecycleHistory.Time(status.ExpiresAt),
        LifecycleHistory.Json(status.ResultJson),
        status.Error);

    /// <summary>A command from its audit entries, oldest first: the newest one's state and detail.</summary>
    public static CommandView Of(string deviceId, IReadOnlyList<LifecycleAuditEntry> entries)
    {
        using var detail = LifecycleHistory.Detail(entries);
        var json = detail.RootElement;
        return new CommandView(
            deviceId,
            entries[0].Id,
            LifecycleHistory.Property(json, "command")?.GetString(),
            LifecycleHistory.Property(json, "parameters"),
            entries[^1].State,
            entries[0].At,
            entries[^1].At,
            LifecycleHistory.Property(json, "expires_at") is { ValueKind: JsonValueKind.Number } expires ? LifecycleHistory.Time(expires.GetDouble()) : null,
            LifecycleHistory.Property(json, "result"),
            LifecycleHistory.Property(json, "error")?.GetString())
        {
            States = LifecycleHistory.States(entries),
        };
    }
}

/// <summary>A device's latest commands, most recently changed first.</summary>
public sealed record CommandList(string DeviceId, IReadOnlyList<CommandView> Commands);
