using Orleans.Concurrency;

namespace Orleans.IoT;

/// <summary>
/// The single owner of one device's state (key = device_id): registration, token, presence, metrics,
/// latest readings and commands. Every device-originated call is authenticated and rate limited here, so the
/// rules hold exactly however many gateways route to it.
/// </summary>
[Alias("iot.device")]
public interface IDeviceGrain : IGrainWithStringKey
{
    [Alias("register")]
    Task<RegisterResult> Register(RegisterRequest request, Caller caller, CancellationToken cancellationToken = default);

    [Alias("unregister")]
    Task<DeviceResult> Unregister(Caller caller, CancellationToken cancellationToken = default);

    [Alias("heartbeat")]
    Task<DeviceResult> Heartbeat(DeviceMetrics metrics, Caller caller, CancellationToken cancellationToken = default);

    [Alias("status")]
    Task<DeviceResult> ReportStatus(StatusReport report, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a reading; completes only after the history sink has committed it, and after the alerts it raised or
    /// cleared (when it is its sensor type's latest) are stored with the device.
    /// </summary>
    [Alias("reading")]
    Task<DeviceResult> RecordReading(SensorReading reading, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>
    /// An operator's command: queued while the device is offline (bounded), sent at once or when it is next heard from,
    /// in order; the same command id twice is answered with the first one's status.
    /// </summary>
    [Alias("send-command")]
    Task<CommandOutcome> SendCommand(CommandRequest request, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>The device's report on one of its commands that has not ended.</summary>
    [Alias("command-result")]
    Task<DeviceResult> ReportCommand(string commandId, CommandReport report, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>A command this device has, or had recently; null when unknown.</summary>
    [Alias("command"), ReadOnly]
    Task<CommandStatus?> GetCommand(string commandId);

    /// <summary>The commands this device has, and its recently ended ones, oldest first.</summary>
    [Alias("commands"), ReadOnly]
    Task<IReadOnlyList<CommandStatus>> GetCommands();

    /// <summary>
    /// An operator's configuration update: merged into the desired configuration (a new version) and sent to the
    /// device, at once or, if it is offline, as the whole desired configuration when it is next heard from.
    /// </summary>
    [Alias("update-config")]
    Task<ConfigOutcome> UpdateConfig(ConfigUpdate update, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>The device's answer to one of its configuration updates.</summary>
    [Alias("config-result")]
    Task<DeviceResult> ReportConfig(string configId, ConfigReport report, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>Desired, reported and their difference, with the recent updates.</summary>
    [Alias("config"), ReadOnly]
    Task<ConfigTwin> GetConfig();

    /// <summary>True when <paramref name="token"/> is this registered device's current token.</summary>
    [Alias("authenticate"), ReadOnly]
    Task<bool> Authenticate(string token);

    /// <summary>True when this device is registered (its id is then its own, also as an MQTT client id).</summary>
    [Alias("is-registered"), ReadOnly]
    Task<bool> IsRegistered();

    /// <summary>
    /// The device's connection to a gateway closed at <paramref name="closedAt"/> (<paramref name="clean"/>: the device
    /// sent DISCONNECT) on gateway <paramref name="gateway"/>. Marks it offline at once and forgets that gateway, unless
    /// it was heard from after that.
    /// </summary>
    [Alias("connection-closed")]
    Task ConnectionClosed(bool clean, double closedAt, string? gateway = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The gateway (with an embedded broker) left the cluster: if the device's connection was there, it died with it,
    /// and the device goes offline (<c>connection_lost</c>) unless it was heard from through another gateway since.
    /// </summary>
    [OneWay, Alias("gateway-gone")]
    Task GatewayGone(string gatewayId);

    /// <summary>
    /// Puts the device's silence under the watch of the silo this grain is now active on, and records that in the
    /// catalog; called for the devices whose watching silo died.
    /// </summary>
    [Alias("watch-presence")]
    Task WatchPresence(CancellationToken cancellationToken = default);

    /// <summary>Writes what is waiting to be written behind, before the silo stops.</summary>
    [Alias("flush")]
    Task FlushState(CancellationToken cancellationToken = default);

    [Alias("snapshot"), ReadOnly]
    Task<DeviceSnapshot> GetSnapshot();

    /// <summary>
    /// An operator's firmware update: one in flight per device, sent at once or when the device is next heard from;
    /// the same update id twice is answered with the first one's status.
    /// </summary>
    [Alias("start-firmware-update")]
    Task<FirmwareOutcome> StartFirmwareUpdate(FirmwareRequest request, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>The device's progress on its firmware update that has not ended.</summary>
    [Alias("firmware-progress")]
    Task<DeviceResult> ReportFirmwareProgress(string updateId, FirmwareProgress progress, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>A firmware update this device has, or had recently; null when unknown.</summary>
    [Alias("firmware-update"), ReadOnly]
    Task<FirmwareStatus?> GetFirmwareUpdate(string updateId);

    /// <summary>The device's recently ended firmware updates, oldest first, then the one in flight.</summary>
    [Alias("firmware-updates"), ReadOnly]
    Task<IReadOnlyList<FirmwareStatus>> GetFirmwareUpdates();
}
