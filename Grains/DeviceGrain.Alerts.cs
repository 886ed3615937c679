using Orleans.IoT.Grains.Alerts;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains;

/// <summary>
/// The device's alerts: the grain's side of <see cref="AlertTracker"/>, which holds the rules of raising and clearing.
/// Every reading that becomes its sensor type's latest is evaluated against this silo's <see cref="AlertRuleBook"/>
/// (no call per reading). The active alerts are part of the device's state, written when one is raised or cleared,
/// so a reactivated grain neither raises them again nor forgets them; each change is then published and stored.
/// </summary>
public sealed partial class DeviceGrain
{

    /// <summary>
    /// Raises and clears the device's alerts on <paramref name="reading"/>, and stores them when one changed; returns the
    /// changes to announce, or null. A failed write takes the changes back and fails the reading, which the device sends
    /// again, so that an alert is never announced without being stored.
    /// </summary>
    private async ValueTask<IReadOnlyList<Alert>?> EvaluateAlertsAsync(SensorReading reading, CancellationToken cancellationToken)
    {
        var rules = _services.AlertRules.For(reading.SensorType);
        if (rules.Count == 0 && !AlertTracker.HasActive(State.Alerts, reading.SensorType))
        {
            return null;
        }

        var changes = AlertTracker.Evaluate(
            State.Alerts, rules, reading.DeviceId, State.Type, reading.SensorType, reading.Value, _services.Clock.GetUtcNow(), NewAlertId);
        if (changes is null)
        {
            return null;
        }

        var previous = State.Alerts;
        State.Alerts = changes.Active;
        try
        {
            await WriteStateAsync(cancellationToken);
        }
        catch
        {
            State.Alerts = previous;
            throw;
        }

        return changes.Changes;
    }

    /// <summary>Publishes each raised or cleared alert and records it in the alert store.</summary>
    private async ValueTask AnnounceAlertsAsync(IReadOnlyList<Alert> changes, CancellationToken cancellationToken)
    {
        foreach (var alert in changes)
        {
            try
            {
                await _services.Events.AlertChanged(alert, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEventFailed(ex, alert.DeviceId, "alert");
            }

            await _services.AlertStore.RecordAsync(alert, cancellationToken);
        }
    }

    private static string NewAlertId() => Guid.NewGuid().ToString("N");
}
