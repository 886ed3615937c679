namespace Orleans.IoT;

/// <summary>
/// The fleet at a glance (DESIGN §4, <c>GET /api/v1/fleet/health</c>), read from the device catalog and the alert
/// store rather than from the device grains, so it lags a device's change by the write of a catalog batch.
/// </summary>
/// <param name="TotalDevices">Every device the catalog knows, unregistered ones included.</param>
/// <param name="ByType">The same counts for each device type.</param>
/// <param name="SilentLongest">Registered offline devices, silent longest first (never seen before any other).</param>
/// <param name="ActiveAlertsBySeverity">Active alerts for every severity of <see cref="AlertSeverities.All"/>, zero included.</param>
[GenerateSerializer, Immutable, Alias("iot.fleet-health")]
public sealed record FleetHealth(
    [property: Id(0)] long TotalDevices,
    [property: Id(1)] FleetStatusCounts ByStatus,
    [property: Id(2)] IReadOnlyDictionary<string, FleetStatusCounts> ByType,
    [property: Id(3)] IReadOnlyList<SilentDevice> SilentLongest,
    [property: Id(4)] IReadOnlyDictionary<string, long> ActiveAlertsBySeverity,
    [property: Id(5)] DateTimeOffset ComputedAt)
{
    public const int DefaultSilentLongest = 10;

    public const int MaxSilentLongest = 100;
}

/// <summary>
/// Devices by status: <c>online</c> and <c>offline</c> count registered devices, <c>unregistered</c> the ones whose
/// registration was revoked (their catalog row stays).
/// </summary>
[GenerateSerializer, Immutable, Alias("iot.fleet-status-counts")]
public sealed record FleetStatusCounts(
    [property: Id(0)] long Online,
    [property: Id(1)] long Offline,
    [property: Id(2)] long Unregistered)
{
    public static readonly FleetStatusCounts None = new(0, 0, 0);

    public long Total => Online + Offline + Unregistered;
}

/// <summary>A registered offline device and when it was last heard from (null: never).</summary>
[GenerateSerializer, Immutable, Alias("iot.silent-device")]
public sealed record SilentDevice(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Type,
    [property: Id(3)] DateTimeOffset? LastSeen);
