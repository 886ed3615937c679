namespace Orleans.IoT.Grains.Ports;

/// <summary>
/// Messages from the system to one device. Every lifecycle sends through this one port, so that the gateway holding
/// the device's connection can be found in one place when there are several.
/// </summary>
public interface IDeviceOutbound
{
    /// <summary>Sends the command to its device (<c>iot/devices/{device_id}/commands/{command_id}</c>).</summary>
    ValueTask SendCommandAsync(CommandStatus command, CancellationToken cancellationToken);

    /// <summary>Sends a configuration update to its device (<c>iot/devices/{device_id}/config/{config_id}</c>).</summary>
    ValueTask SendConfigAsync(ConfigStatus update, CancellationToken cancellationToken);

    /// <summary>Sends the firmware update to its device (<c>iot/devices/{device_id}/firmware/update/{update_id}</c>).</summary>
    ValueTask SendFirmwareUpdateAsync(FirmwareStatus update, CancellationToken cancellationToken);
}
