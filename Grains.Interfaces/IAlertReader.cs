namespace Orleans.IoT;

/// <summary>
/// Reads the stored alerts: what operators, the HTTP API and the fleet report ask about them. Reads see what the store
/// has written, so they may lag a raise or a clear by the write of a batch.
/// </summary>
public interface IAlertReader
{
    /// <summary>The most alerts one read returns.</summary>
    public const int MaxReadLimit = 1000;

    /// <summary>The active alerts, of one severity or all when <paramref name="severity"/> is null; newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<Alert>> ReadActiveAsync(string? severity, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The fleet's alerts in <paramref name="state"/> (<see cref="AlertStates.Active"/> or <see cref="AlertStates.Cleared"/>;
    /// both when null), of one severity or all when <paramref name="severity"/> is null; newest raised first, at most
    /// <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<Alert>> ReadFleetAsync(string? severity, string? state, int limit, CancellationToken cancellationToken);

    /// <summary>A device's alerts, active and cleared, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<Alert>> ReadDeviceHistoryAsync(string deviceId, int limit, CancellationToken cancellationToken);

    /// <summary>How many alerts are active, for every severity of <see cref="AlertSeverities.All"/> (zero included).</summary>
    Task<IReadOnlyDictionary<string, long>> CountActiveBySeverityAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records that <paramref name="operatorName"/> has seen the alert, and when (the first acknowledgement stands);
    /// returns whether the alert exists. Acknowledging does not clear an alert.
    /// </summary>
    Task<bool> AcknowledgeAsync(string alertId, string operatorName, CancellationToken cancellationToken);
}
