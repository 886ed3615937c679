using Orleans.Concurrency;

namespace Orleans.IoT;

/// <summary>
/// One gateway, as the cluster reaches it: a device grain sends its device's messages to the gateway holding the device's
/// connection, and fleet-wide events to the gateways with subscribers for them. Events are one-way: a gateway that
/// cannot take one does not hold up the grain that raised it.
/// </summary>
[Alias("iot.gateway-observer")]
public interface IGatewayObserver : IGrainObserver
{
    [Alias("send-command")]
    Task SendCommand(CommandStatus command);

    [Alias("send-config")]
    Task SendConfig(ConfigStatus update);

    [Alias("send-firmware-update")]
    Task SendFirmwareUpdate(FirmwareStatus update);

    [OneWay, Alias("reading-recorded")]
    Task ReadingRecorded(SensorReading reading);

    [OneWay, Alias("presence-changed")]
    Task PresenceChanged(PresenceChange change);

    [OneWay, Alias("command-changed")]
    Task CommandChanged(CommandStatus command);

    [OneWay, Alias("config-changed")]
    Task ConfigChanged(ConfigStatus update);

    [OneWay, Alias("firmware-changed")]
    Task FirmwareChanged(FirmwareStatus update);

    [OneWay, Alias("alert-changed")]
    Task AlertChanged(Alert alert);

    /// <summary>A fleet event for this gateway's open event streams only: another gateway publishes it to their shared broker.</summary>
    [OneWay, Alias("streamed")]
    Task Streamed(StreamedEvent fleetEvent);
}
