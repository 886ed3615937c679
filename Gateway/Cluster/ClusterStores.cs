namespace Orleans.IoT.Gateway.Cluster;

/// <summary>
/// The operator API's stores on a gateway that is not co-hosted: each read is one call to <see cref="IOperatorStoresGrain"/>,
/// which runs on the silo this gateway's client sends it to and reads that silo's stores.
/// </summary>
public sealed class ClusterStores(IGrainFactory grains)
    : IDeviceDirectory, ISensorHistoryReader, IAlertReader, ILifecycleAuditReader, IFleetHealthReader
{
    // Resolved at the first read: a client knows the grain types only once it has connected to the cluster.
    private readonly Lazy<IOperatorStoresGrain> _grain = new(() => grains.GetGrain<IOperatorStoresGrain>(IOperatorStoresGrain.Key));

    private IOperatorStoresGrain Stores => _grain.Value;

    public Task<DevicePage> ListAsync(DeviceQuery query, CancellationToken cancellationToken) => Stores.ListDevices(query, cancellationToken);

    public Task<SensorReadingsPage> ReadAsync(SensorHistoryRange range, int limit, CancellationToken cancellationToken) =>
        Stores.ReadReadings(range, limit, cancellationToken);

    public Task<SensorBucketsPage> ReadBucketsAsync(SensorHistoryRange range, TimeSpan width, int limit, CancellationToken cancellationToken) =>
        Stores.ReadBuckets(range, width, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadActiveAsync(string? severity, int limit, CancellationToken cancellationToken) =>
        Stores.ReadActiveAlerts(severity, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadFleetAsync(string? severity, string? state, int limit, CancellationToken cancellationToken) =>
        Stores.ReadFleetAlerts(severity, state, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadDeviceHistoryAsync(string deviceId, int limit, CancellationToken cancellationToken) =>
        Stores.ReadDeviceAlerts(deviceId, limit, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> CountActiveBySeverityAsync(CancellationToken cancellationToken) =>
        Stores.CountActiveAlertsBySeverity(cancellationToken);

    public Task<bool> AcknowledgeAsync(string alertId, string operatorName, CancellationToken cancellationToken) =>
        Stores.AcknowledgeAlert(alertId, operatorName, cancellationToken);

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadAsync(string deviceId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken) =>
        Stores.ReadAudit(deviceId, from, to, limit, cancellationToken);

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadLatestAsync(string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken) =>
        Stores.ReadLatestAudit(deviceId, kind, from, to, limit, cancellationToken);

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAsync(string deviceId, string kind, string id, int limit, CancellationToken cancellationToken) =>
        Stores.ReadOneAudit(deviceId, kind, id, limit, cancellationToken);

    Task<FleetHealth> IFleetHealthReader.ReadAsync(int silentLongest, CancellationToken cancellationToken) => Stores.ReadFleetHealth(silentLongest, cancellationToken);
}
