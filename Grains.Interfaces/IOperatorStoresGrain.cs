using Orleans.Concurrency;

namespace Orleans.IoT;

/// <summary>
/// The silos' stores that the operator API reads (device directory, sensor history, alerts, lifecycle audit, fleet
/// health), for a gateway that is not co-hosted in a silo. Each method is the store method of the same name.
/// </summary>
[Alias("iot.operator-stores")]
public interface IOperatorStoresGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("list-devices"), ReadOnly]
    Task<DevicePage> ListDevices(DeviceQuery query, CancellationToken cancellationToken = default);

    [Alias("read-readings"), ReadOnly]
    Task<SensorReadingsPage> ReadReadings(SensorHistoryRange range, int limit, CancellationToken cancellationToken = default);

    [Alias("read-buckets"), ReadOnly]
    Task<SensorBucketsPage> ReadBuckets(SensorHistoryRange range, TimeSpan width, int limit, CancellationToken cancellationToken = default);

    [Alias("read-active-alerts"), ReadOnly]
    Task<IReadOnlyList<Alert>> ReadActiveAlerts(string? severity, int limit, CancellationToken cancellationToken = default);

    [Alias("read-fleet-alerts"), ReadOnly]
    Task<IReadOnlyList<Alert>> ReadFleetAlerts(string? severity, string? state, int limit, CancellationToken cancellationToken = default);

    [Alias("read-device-alerts"), ReadOnly]
    Task<IReadOnlyList<Alert>> ReadDeviceAlerts(string deviceId, int limit, CancellationToken cancellationToken = default);

    [Alias("count-active-alerts"), ReadOnly]
    Task<IReadOnlyDictionary<string, long>> CountActiveAlertsBySeverity(CancellationToken cancellationToken = default);

    [Alias("acknowledge-alert")]
    Task<bool> AcknowledgeAlert(string alertId, string operatorName, CancellationToken cancellationToken = default);

    [Alias("read-audit"), ReadOnly]
    Task<IReadOnlyList<LifecycleAuditEntry>> ReadAudit(string deviceId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken = default);

    [Alias("read-latest-audit"), ReadOnly]
    Task<IReadOnlyList<LifecycleAuditEntry>> ReadLatestAudit(string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken = default);

    [Alias("read-one-audit"), ReadOnly]
    Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAudit(string deviceId, string kind, string id, int limit, CancellationToken cancellationToken = default);

    [Alias("read-fleet-health"), ReadOnly]
    Task<FleetHealth> ReadFleetHealth(int silentLongest, CancellationToken cancellationToken = default);
}
