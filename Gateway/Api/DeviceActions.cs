using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// What the endpoints of an operator's actions on a device (commands, configuration and firmware updates) do alike:
/// make one from the body as its MQTT route does, read one from the device or else from the lifecycle audit, and list
/// the device's latest from the audit. Path values, query values and bodies are checked here.
/// </summary>
public static class DeviceActions
{
    /// <summary>
    /// Reads the body with the MQTT route's <paramref name="read"/> and passes it to the device grain for this operator
    /// (<paramref name="act"/>, the same grain call as the route's); answers 201 with the <paramref name="location"/> of
    /// what was made, 200 when its id was already known (nothing done again), or the refusal.
    /// </summary>
    public static async Task<Results<Created<TView>, Ok<TView>, ApiProblem>> CreateAsync<TRequest, TOutcome, TView>(
        string deviceId,
        HttpRequest request,
        ClaimsPrincipal user,
        DeviceActionServices services,
        ApiRequests.PayloadReader<TRequest> read,
        Func<IDeviceGrain, TRequest, Caller, CancellationToken, Task<TOutcome>> act,
        Func<TOutcome, TView> view,
        Func<TView, string> location,
        CancellationToken cancellationToken)
        where TRequest : class
        where TOutcome : IOperatorOutcome
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem))
        {
            return problem!;
        }

        var (body, invalid) = await ApiRequests.ReadBodyAsync(request, services.MaxBodyBytes, read, cancellationToken);
        if (body is null)
        {
            return invalid!;
        }

        // Not the request's token: a client that goes away must not cut a lifecycle half-way.
        var outcome = await act(services.Grains.Get(deviceId), body, ApiRequests.Operator(user), CancellationToken.None);
        if (!outcome.Result.IsOk)
        {
            return ApiProblems.Problem(outcome.Result);
        }

        var answer = view(outcome);
        return outcome.Repeated ? TypedResults.Ok(answer) : TypedResults.Created(location(answer), answer);
    }

    /// <summary>
    /// One command or update (<paramref name="kind"/>, named <paramref name="idName"/> in the path): from the device
    /// grain while it holds it, else from the lifecycle audit; unknown to both is <c>not_found</c>.
    /// </summary>
    public static async Task<Results<Ok<TView>, ApiProblem>> GetAsync<TStatus, TView>(
        string deviceId,
        string id,
        string idName,
        string kind,
        DeviceActionServices services,
        Func<IDeviceGrain, string, Task<TStatus?>> fromDevice,
        Func<TStatus, TView> view,
        Func<string, IReadOnlyList<LifecycleAuditEntry>, TView> fromAudit,
        CancellationToken cancellationToken)
        where TStatus : class
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem) || !ApiRequests.TryIdentifier(id, idName, out problem))
        {
            return problem!;
        }

        if (await fromDevice(services.Grains.Get(deviceId), id) is { } status)
        {
            return TypedResults.Ok(view(status));
        }

        var entries = await services.Audit.ReadOneAsync(deviceId, kind, id, LifecycleHistory.MaxEntriesPerItem, cancellationToken);
        return entries.Count > 0
            ? TypedResults.Ok(fromAudit(deviceId, entries))
            : ApiProblems.Problem(ApiProblems.NotFound, $"the device has no {kind} with this {idName}");
    }

    /// <summary>
    /// The device's latest items of <paramref name="kind"/> that changed within <c>from</c>..<c>to</c> (by default since
    /// 2000 and up to a day ahead), most recently changed first, at most <c>limit</c> (default
    /// <see cref="LifecycleHistory.DefaultListLimit"/>), each made from its audit entries by <paramref name="fromAudit"/>.
    /// </summary>
    public static async Task<Results<Ok<TList>, ApiProblem>> ListAsync<TView, TList>(
        string deviceId,
        string kind,
        string? from,
        string? to,
        string? limit,
        DeviceActionServices services,
        Func<string, IReadOnlyList<LifecycleAuditEntry>, TView> fromAudit,
        Func<IReadOnlyList<TView>, TList> list,
        CancellationToken cancellationToken)
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem)
            || !ApiRequests.TryLimit(limit, LifecycleHistory.DefaultListLimit, LifecycleHistory.MaxListLimit, out var count, out problem)
            || !ApiRequests.TryRange(from, to, LifecycleHistory.Beginning, services.Clock.GetUtcNow().AddDays(1), out var range, out problem))
        {
            return problem!;
        }

        var entries = await services.Audit.ReadLatestAsync(deviceId, kind, range.From, range.To, count, cancellationToken);
        return TypedResults.Ok(list([.. LifecycleHistory.ByItem(entries).Select(item => fromAudit(deviceId, item))]));
    }
}
