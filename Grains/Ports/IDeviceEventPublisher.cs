namespace Orleans.IoT.Grains.Ports;

/// <summary>Domain events leaving a device grain; the gateway turns them into outbound messages.</summary>
public interface IDeviceEventPublisher
{
    ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken);

    ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken);
}

public sealed record PresenceChange(string DeviceId, bool Online, string Reason, double Timestamp);
