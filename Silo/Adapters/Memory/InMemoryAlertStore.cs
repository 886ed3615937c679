using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Memory;

/// <summary>
/// The alert store kept in this process (the embedded default): per device at most <c>Alerts:MaxPerDevice</c> alerts
/// (100 by default; past that the oldest cleared one is forgotten, or the oldest when none is cleared), so that a
/// device whose values flap cannot grow it without bound. Alerts change rarely, so one lock serves.
/// </summary>
public sealed class InMemoryAlertStore(IOptions<AlertStoreOptions> options, TimeProvider clock) : IAlertStore, IAlertReader
{
    private readonly Lock _lock = new();
    private readonly int _maxPerDevice = options.Value.MaxPerDevice;
    private readonly Dictionary<string, Alert> _alerts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Alert> _active = new(StringComparer.Ordinal);

    /// <summary>Each device's alert ids, in the order they were first recorded.</summary>
    private readonly Dictionary<string, List<string>> _byDevice = new(StringComparer.Ordinal);

    public ValueTask RecordAsync(Alert alert, CancellationToken cancellationToken)
    {
        var told = AlertStoreRules.Accept(alert);
        lock (_lock)
        {
            if (_alerts.TryGetValue(told.AlertId, out var kept))
            {
                Keep(AlertStoreRules.Merge(kept, told));
                return ValueTask.CompletedTask;
            }

            if (!_byDevice.TryGetValue(told.DeviceId, out var ids))
            {
                _byDevice[told.DeviceId] = ids = [];
            }

            ids.Add(told.AlertId);
            Keep(told);
            if (ids.Count > _maxPerDevice)
            {
                var oldestCleared = ids.FindIndex(id => _alerts[id].ClearedAt is not null);
                Forget(ids, oldestCleared >= 0 ? oldestCleared : 0);
            }
        }

        return ValueTask.CompletedTask;
    }

    public Task<IReadOnlyList<Alert>> ReadActiveAsync(string? severity, int limit, CancellationToken cancellationToken) =>
        ReadFleetAsync(severity, AlertStates.Active, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadFleetAsync(string? severity, string? state, int limit, CancellationToken cancellationToken)
    {
        if (severity is not null)
        {
            AlertStoreRules.ValidateSeverity(severity);
        }

        if (state is not null)
        {
            AlertStoreRules.ValidateState(state);
        }

        AlertStoreRules.ValidateLimit(limit);
        lock (_lock)
        {
            var inState = state == AlertStates.Active ? _active.Values : _alerts.Values;
            return Task.FromResult(NewestFirst(inState.Where(a => (severity is null || a.Severity == severity) && (state is null || a.State == state)), limit));
        }
    }

    public Task<IReadOnlyList<Alert>> ReadDeviceHistoryAsync(string deviceId, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        AlertStoreRules.ValidateLimit(limit);
        lock (_lock)
        {
            return Task.FromResult(_byDevice.TryGetValue(deviceId, out var ids) ? NewestFirst(ids.Select(id => _alerts[id]), limit) : []);
        }
    }

    public Task<IReadOnlyDictionary<string, long>> CountActiveBySeverityAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var counts = _active.Values.CountBy(a => a.Severity).ToDictionary(c => c.Key, c => (long)c.Value, StringComparer.Ordinal);
            return Task.FromResult(AlertStoreRules.EverySeverity(counts));
        }
    }

    public Task<bool> AcknowledgeAsync(string alertId, string operatorName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(alertId);
        ArgumentException.ThrowIfNullOrEmpty(operatorName);
        var acknowledgedAt = LifecycleAuditRules.Stored(clock.GetUtcNow());
        lock (_lock)
        {
            if (!_alerts.TryGetValue(alertId, out var kept))
            {
                return Task.FromResult(false);
            }

            Keep(AlertStoreRules.Merge(kept, kept with { AcknowledgedAt = acknowledgedAt, AcknowledgedBy = operatorName }));
            return Task.FromResult(true);
        }
    }

    private void Keep(Alert alert)
    {
        _alerts[alert.AlertId] = alert;
        if (alert.ClearedAt is null)
        {
            _active[alert.AlertId] = alert;
        }
        else
        {
            _active.Remove(alert.AlertId);
        }
    }

    private void Forget(List<string> ids, int index)
    {
        _alerts.Remove(ids[index]);
        _active.Remove(ids[index]);
        ids.RemoveAt(index);
    }

    private static IReadOnlyList<Alert> NewestFirst(IEnumerable<Alert> alerts, int limit) =>
        [.. alerts.OrderByDescending(a => a.RaisedAt).ThenBy(a => a.AlertId, StringComparer.Ordinal).Take(limit)];
}
