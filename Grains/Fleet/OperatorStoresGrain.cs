using Orleans.Concurrency;

namespace Orleans.IoT.Grains.Fleet;

/// <summary>
/// Hands a standalone gateway's operator reads to this silo's stores. A stateless worker: it keeps nothing, so each silo
/// runs it locally, as many at once as calls arrive, and a read costs one hop from the gateway to the silo it is connected to.
/// </summary>
[StatelessWorker]
public sealed class OperatorStoresGrain(
    IDeviceDirectory devices,
    ISensorHistoryReader history,
    IAlertReader alerts,
    ILifecycleAuditReader audit,
    IFleetHealthReader fleet) : Grain, IOperatorStoresGrain
{
    public Task<DevicePage> ListDevices(DeviceQuery query, CancellationToken cancellationToken) => devices.ListAsync(query, cancellationToken);

    public Task<SensorReadingsPage> ReadReadings(SensorHistoryRange range, int limit, CancellationToken cancellationToken) =>
        history.ReadAsync(range, limit, cancellationToken);

    public Task<SensorBucketsPage> ReadBuckets(SensorHistoryRange range, TimeSpan width, int limit, CancellationToken cancellationToken) =>
        history.ReadBucketsAsync(range, width, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadActiveAlerts(string? severity, int limit, CancellationToken cancellationToken) =>
        alerts.ReadActiveAsync(severity, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadFleetAlerts(string? severity, string? state, int limit, CancellationToken cancellationToken) =>
        alerts.ReadFleetAsync(severity, state, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadDeviceAlerts(string deviceId, int limit, CancellationToken cancellationToken) =>
        alerts.ReadDeviceHistoryAsync(deviceId, limit, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountActiveAlertsBySeverity(CancellationToken cancellationToken) =>
        alerts.CountActiveBySeverityAsync(cancellationToken);

    public Task<bool> AcknowledgeAlert(string alertId, string operatorName, CancellationToken cancellationToken) =>
        alerts.AcknowledgeAsync(alertId, operatorName, cancellationToken);

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadAudit(string deviceId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken) =>
        audit.ReadAsync(deviceId, from, to, limit, cancellationToken);

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadLatestAudit(string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken) =>
        audit.ReadLatestAsync(deviceId, kind, from, to, limit, cancellationToken);

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAudit(string deviceId, string kind, string id, int limit, CancellationToken cancellationToken) =>
        audit.ReadOneAsync(deviceId, kind, id, limit, cancellationToken);

    public Task<FleetHealth> ReadFleetHealth(int silentLongest, CancellationToken cancellationToken) => fleet.ReadAsync(silentLongest, cancellationToken);
}
