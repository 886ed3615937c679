namespace Orleans.IoT.Grains.Alerts;

/// <summary>
/// The rules of a device's alerts (DESIGN §3) as a pure transition over its active alerts: a reading raises an alert for
/// each rule that starts to hold and clears the alert of each rule that stops holding (or no longer applies to the
/// device: removed, changed to another device type or sensor type). A rule makes at most one change per reading, and
/// while it keeps holding nothing happens: an alert is raised once and cleared once, however many readings lie between.
/// </summary>
public static class AlertTracker
{
    /// <summary>Whether the device has an active alert on readings of <paramref name="sensorType"/>; allocates nothing.</summary>
    public static bool HasActive(List<ActiveAlert>? active, string sensorType)
    {
        if (active is null)
        {
            return false;
        }

        foreach (var alert in active)
        {
            if (alert.SensorType == sensorType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Evaluates a reading against <paramref name="rules"/> (the rules of its sensor type). Returns null when nothing
    /// changes (allocating nothing), else the alerts raised and cleared, and the active alerts after them (a new list,
    /// or null when none is left); <paramref name="active"/> is not changed.
    /// </summary>
    public static AlertChanges? Evaluate(
        List<ActiveAlert>? active,
        IReadOnlyList<AlertCondition> rules,
        string deviceId,
        string? deviceType,
        string sensorType,
        double value,
        DateTimeOffset now,
        Func<string> newAlertId)
    {
        List<ActiveAlert>? next = null;
        List<Alert>? changes = null;
        foreach (var rule in rules)
        {
            if (!rule.AppliesTo(deviceType))
            {
                continue;
            }

            var current = Find(active, rule.Id, sensorType);
            if (current is null && rule.Holds(value))
            {
                var raised = new ActiveAlert
                {
                    AlertId = newAlertId(),
                    Rule = rule.Id,
                    SensorType = sensorType,
                    Severity = rule.Severity,
                    Threshold = rule.Threshold,
                    RaisedValue = value,
                    RaisedAt = now,
                };
                (next ??= Copy(active)).Add(raised);
                (changes ??= []).Add(raised.ToAlert(deviceId));
            }
            else if (current is not null && !rule.KeepsHolding(value))
            {
                (next ??= Copy(active)).Remove(current);
                (changes ??= []).Add(Cleared(current, deviceId, value, now));
            }
        }

        if (active is not null)
        {
            foreach (var orphan in active)
            {
                if (orphan.SensorType == sensorType && !Applies(rules, orphan.Rule, deviceType))
                {
                    (next ??= Copy(active)).Remove(orphan);
                    (changes ??= []).Add(Cleared(orphan, deviceId, value, now));
                }
            }
        }

        return changes is null ? null : new AlertChanges(next is { Count: > 0 } ? next : null, changes);
    }

    private static Alert Cleared(ActiveAlert alert, string deviceId, double value, DateTimeOffset now) =>
        alert.ToAlert(deviceId) with { ClearedValue = value, ClearedAt = now };

    private static ActiveAlert? Find(List<ActiveAlert>? active, string rule, string sensorType)
    {
        if (active is null)
        {
            return null;
        }

        foreach (var alert in active)
        {
            if (alert.Rule == rule && alert.SensorType == sensorType)
            {
                return alert;
            }
        }

        return null;
    }

    private static bool Applies(IReadOnlyList<AlertCondition> rules, string ruleId, string? deviceType)
    {
        foreach (var rule in rules)
        {
            if (rule.Id == ruleId && rule.AppliesTo(deviceType))
            {
                return true;
            }
        }

        return false;
    }

    private static List<ActiveAlert> Copy(List<ActiveAlert>? active) => active is null ? [] : [.. active];
}

/// <param name="Active">The device's active alerts after the reading; null when none is left.</param>
/// <param name="Changes">The alerts the reading raised or cleared, each as it now stands.</param>
public sealed record AlertChanges(List<ActiveAlert>? Active, IReadOnlyList<Alert> Changes);
