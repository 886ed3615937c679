using Orleans.Concurrency;

namespace Orleans.IoT;

/// <summary>
/// The single owner of one device's state (key = device_id): registration, token, presence, metrics,
/// latest readings. Every device-originated call is authenticated and rate limited here, so the rules
/// hold exactly however many gateways route to it.
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

    /// <summary>Stores a reading; completes only after the history sink has committed it.</summary>
    [Alias("reading")]
    Task<DeviceResult> RecordReading(SensorReading reading, Caller caller, CancellationToken cancellationToken = default);

    /// <summary>True when <paramref name="token"/> is this registered device's current token.</summary>
    [Alias("authenticate"), ReadOnly]
    Task<bool> Authenticate(string token);

    /// <summary>True when this device is registered (its id is then its own, also as an MQTT client id).</summary>
    [Alias("is-registered"), ReadOnly]
    Task<bool> IsRegistered();

    /// <summary>Writes what is waiting to be written behind, before the silo stops.</summary>
    [Alias("flush")]
    Task FlushState(CancellationToken cancellationToken = default);

    [Alias("snapshot"), ReadOnly]
    Task<DeviceSnapshot> GetSnapshot();
}
