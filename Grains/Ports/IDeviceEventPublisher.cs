namespace Orleans.IoT.Grains.Ports;

/// <summary>Domain events leaving a device grain; the gateway turns them into outbound messages.</summary>
public interface IDeviceEventPublisher
{
    ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken);

    ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken);

    /// <summary>A command was created or changed state (<c>iot/events/commands/{device_id}/{command_id}</c>).</summary>
    ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken);

    /// <summary>A configuration update was made or changed state (<c>iot/events/config/{device_id}/{config_id}</c>).</summary>
    ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken);

    /// <summary>A firmware update was started or changed state (<c>iot/events/firmware/{device_id}/{update_id}</c>).</summary>
    ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken);

    /// <summary>An alert was raised or cleared (<c>iot/alerts/{severity}/{device_id}</c>).</summary>
    ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken);
}
