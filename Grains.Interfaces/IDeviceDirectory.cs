namespace Orleans.IoT;

/// <summary>
/// Lists the device catalog (DESIGN §4, <c>GET /api/v1/devices</c>): filtered, in device id order, a page at a time.
/// Served by the catalog's own indexes, never by asking the device grains, so it lags a device's change by the write
/// of a catalog batch.
/// </summary>
public interface IDeviceDirectory
{
    /// <summary>
    /// The first <see cref="DeviceQuery.Limit"/> devices that match <paramref name="query"/> and whose id follows
    /// <see cref="DeviceQuery.AfterDeviceId"/>. Paging by the last id returned never returns a device twice and never
    /// skips one that existed and matched for the whole walk. PostgreSQL unreachable is a
    /// <see cref="PassingFaultException"/>.
    /// </summary>
    Task<DevicePage> ListAsync(DeviceQuery query, CancellationToken cancellationToken);
}

/// <summary>
/// Which devices to list; a null filter does not filter.
/// </summary>
/// <param name="Status">One of <see cref="DeviceStatuses"/>.</param>
/// <param name="Type">The exact device type.</param>
/// <param name="Location">The exact location.</param>
/// <param name="NameContains">A case-insensitive substring of the name.</param>
/// <param name="AfterDeviceId">Only ids after this one (in the catalog's order): the last id of the previous page.</param>
/// <param name="Limit">The most devices to return, 1 to <see cref="MaxLimit"/>.</param>
[GenerateSerializer, Immutable, Alias("iot.device-query")]
public sealed record DeviceQuery(
    [property: Id(0)] string? Status,
    [property: Id(1)] string? Type,
    [property: Id(2)] string? Location,
    [property: Id(3)] string? NameContains,
    [property: Id(4)] string? AfterDeviceId,
    [property: Id(5)] int Limit)
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 500;
}

/// <summary>One page of devices; <paramref name="HasMore"/> when more devices match after its last one.</summary>
[GenerateSerializer, Immutable, Alias("iot.device-page")]
public sealed record DevicePage(
    [property: Id(0)] IReadOnlyList<DeviceSummary> Devices,
    [property: Id(1)] bool HasMore);

/// <summary>A device as the catalog has it: its registration, its status and when it was last heard from.</summary>
/// <param name="Status">One of <see cref="DeviceStatuses"/>.</param>
/// <param name="CreatedAt">When the device was first registered.</param>
/// <param name="UpdatedAt">When its registration last changed (a renewal, a new firmware version, its unregistration).</param>
[GenerateSerializer, Immutable, Alias("iot.device-summary")]
public sealed record DeviceSummary(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Type,
    [property: Id(3)] string? Location,
    [property: Id(4)] string? FirmwareVersion,
    [property: Id(5)] string? HardwareVersion,
    [property: Id(6)] IReadOnlyList<string> Capabilities,
    [property: Id(7)] string Status,
    [property: Id(8)] DateTimeOffset? LastSeen,
    [property: Id(9)] DateTimeOffset CreatedAt,
    [property: Id(10)] DateTimeOffset UpdatedAt);

/// <summary>
/// A device's status as <see cref="FleetStatusCounts"/> counts it: <c>online</c> and <c>offline</c> for a registered
/// device, <c>unregistered</c> for one whose registration was revoked, whatever its presence says.
/// </summary>
public static class DeviceStatuses
{
    public const string Online = "online";
    public const string Offline = "offline";
    public const string Unregistered = "unregistered";

    public static readonly IReadOnlyList<string> All = [Online, Offline, Unregistered];

    public static bool IsValid(string? status) => status is Online or Offline or Unregistered;

    public static string Of(bool registered, bool online) => !registered ? Unregistered : online ? Online : Offline;
}
