namespace Orleans.IoT.Grains.Ports;

/// <summary>
/// Messages from the system to one device, sent to the gateway holding the device's connection. Every lifecycle sends
/// through this one port.
/// </summary>
/// <remarks>
/// <c>gateway</c> is the id of the gateway the device was last heard through on a connection that has not closed; null
/// when unknown, and then the message goes to every gateway that could hold it.
/// </remarks>
public interface IDeviceOutbound
{
    /// <summary>Sends the command to its device (<c>iot/devices/{device_id}/commands/{command_id}</c>).</summary>
    ValueTask SendCommandAsync(string? gateway, CommandStatus command, CancellationToken cancellationToken);

    /// <summary>Sends a configuration update to its device (<c>iot/devices/{device_id}/config/{config_id}</c>).</summary>
    ValueTask SendConfigAsync(string? gateway, ConfigStatus update, CancellationToken cancellationToken);

    /// <summary>Sends the firmware update to its device (<c>iot/devices/{device_id}/firmware/update/{update_id}</c>).</summary>
    ValueTask SendFirmwareUpdateAsync(string? gateway, FirmwareStatus update, CancellationToken cancellationToken);
}
