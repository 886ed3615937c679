using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Api;

/// <summary><c>/api/v1/devices</c>: the device catalog, one device's full state, and unregistering a device.</summary>
public static class DevicesApi
{
    /// <summary>
    /// The shortest name substring <c>q</c> may be: a trigram, the least PostgreSQL's trigram index can look up; a
    /// shorter one that few names hold would be looked for name by name through the whole catalog.
    /// </summary>
    public const int MinNameSubstring = 3;

    public static RouteGroupBuilder MapDevicesApi(this RouteGroupBuilder api)
    {
        var devices = api.MapGroup("devices").WithTags("Devices");
        devices.MapGet("", ListDevices)
            .WithName("ListDevices")
            .WithSummary("The device catalog, filtered by status, type, location and a substring of the name, a page at a time in device id order");
        devices.MapGet("{device_id}", GetDevice)
            .WithName("GetDevice")
            .WithSummary("One device's full state: registration, status, metrics, latest readings, configuration, pending commands, firmware");
        devices.MapDelete("{device_id}", UnregisterDevice)
            .WithName("UnregisterDevice")
            .WithSummary("Unregisters the device: its token stops working and its MQTT sessions are closed");
        return api;
    }

    /// <summary>
    /// Lists the catalog. Every parameter is optional; an empty one is as if absent. <paramref name="cursor"/> is the
    /// <c>next_cursor</c> of the previous page, for the same filters.
    /// </summary>
    public static async Task<Results<Ok<DeviceList>, ApiProblem>> ListDevices(
        IDeviceDirectory directory,
        string? status,
        string? type,
        string? location,
        string? q,
        string? cursor,
        string? limit,
        CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(status) && !DeviceStatuses.IsValid(status))
        {
            return Invalid($"status must be one of {string.Join(", ", DeviceStatuses.All)}");
        }

        if ((TextProblem(type, nameof(type)) ?? TextProblem(location, nameof(location)) ?? TextProblem(q, nameof(q))) is { } textProblem)
        {
            return textProblem;
        }

        if (!string.IsNullOrEmpty(q) && q.Length < MinNameSubstring)
        {
            return Invalid($"q must be at least {MinNameSubstring} characters");
        }

        var after = (string?)null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!ApiCursor.TryDecode(cursor, Identifiers.MaxDeviceIdLength, id => Identifiers.IsDeviceId(id), out var lastDeviceId))
            {
                return Invalid("cursor is not a cursor of this list: pass next_cursor of the previous page as it is");
            }

            after = lastDeviceId;
        }

        if (!ApiRequests.TryLimit(limit, DeviceQuery.DefaultLimit, DeviceQuery.MaxLimit, out var pageSize, out var limitProblem))
        {
            return limitProblem!;
        }

        var query = new DeviceQuery(NullIfEmpty(status), NullIfEmpty(type), NullIfEmpty(location), NullIfEmpty(q), after, pageSize);
        var page = await directory.ListAsync(query, cancellationToken);
        return TypedResults.Ok(new DeviceList(page.Devices, page.HasMore ? ApiCursor.Encode(page.Devices[^1].DeviceId) : null));
    }

    /// <summary>The device's full state from its grain; a device id never registered is <c>not_registered</c>.</summary>
    public static async Task<Results<Ok<DeviceDetails>, ApiProblem>> GetDevice([FromRoute(Name = "device_id")] string deviceId, DeviceGrains grains)
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem))
        {
            return problem;
        }

        var device = grains.Get(deviceId);
        var snapshot = await device.GetSnapshot();
        if (snapshot.RegisteredAt is null)
        {
            return NotRegistered(deviceId);
        }

        var config = device.GetConfig();
        var commands = device.GetCommands();
        var firmware = device.GetFirmwareUpdates();
        await Task.WhenAll(config, commands, firmware);
        return TypedResults.Ok(DeviceDetails.From(snapshot, await config, await commands, await firmware));
    }

    /// <summary>
    /// Unregisters the device for the operator, as <c>unregister/{device_id}</c> does over MQTT: the device is told on
    /// <c>unregister/response</c>, its token is revoked and its sessions end.
    /// </summary>
    public static async Task<Results<NoContent, ApiProblem>> UnregisterDevice(
        [FromRoute(Name = "device_id")] string deviceId, DeviceHandlers handlers, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem))
        {
            return problem;
        }

        var operatorName = user.FindFirstValue(OperatorKeyAuthentication.OperatorClaim)!;
        var (result, _) = await handlers.UnregisterAsync(deviceId, Caller.Operator(operatorName), cancellationToken);
        return result.IsOk ? TypedResults.NoContent() : ApiProblems.Problem(result);
    }

    private static ApiProblem NotRegistered(string deviceId) =>
        ApiProblems.Problem(ErrorCodes.NotRegistered, $"device '{deviceId}' is not registered");

    /// <summary>A text filter: at most as long as the registration field it matches, without control characters.</summary>
    private static ApiProblem? TextProblem(string? value, string name) =>
        string.IsNullOrEmpty(value) || (value.Length <= RequestReader.MaxTextLength && !value.Any(char.IsControl))
            ? null
            : Invalid($"{name} must be text of at most {RequestReader.MaxTextLength} characters without control characters");

    private static ApiProblem Invalid(string detail) => ApiProblems.Problem(ErrorCodes.ValidationFailed, detail);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>A page of the device catalog; <paramref name="NextCursor"/> continues it, null on the last page.</summary>
public sealed record DeviceList(IReadOnlyList<DeviceSummary> Devices, string? NextCursor);
