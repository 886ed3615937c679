namespace Orleans.IoT.Gateway.Cluster;

/// <summary>This gateway as the cluster reaches it: what device grains on any silo send here.</summary>
public sealed class GatewayObserver(GatewayPublisher publisher) : IGatewayObserver
{
    public Task SendCommand(CommandStatus command) => publisher.SendCommandAsync(command, CancellationToken.None).AsTask();

    public Task SendConfig(ConfigStatus update) => publisher.SendConfigAsync(update, CancellationToken.None).AsTask();

    public Task SendFirmwareUpdate(FirmwareStatus update) => publisher.SendFirmwareUpdateAsync(update, CancellationToken.None).AsTask();

    public Task ReadingRecorded(SensorReading reading) => publisher.ReadingRecorded(reading, CancellationToken.None).AsTask();

    public Task PresenceChanged(PresenceChange change) => publisher.PresenceChanged(change, CancellationToken.None).AsTask();

    public Task CommandChanged(CommandStatus command) => publisher.CommandChanged(command, CancellationToken.None).AsTask();

    public Task ConfigChanged(ConfigStatus update) => publisher.ConfigChanged(update, CancellationToken.None).AsTask();

    public Task FirmwareChanged(FirmwareStatus update) => publisher.FirmwareChanged(update, CancellationToken.None).AsTask();

    public Task AlertChanged(Alert alert) => publisher.AlertChanged(alert, CancellationToken.None).AsTask();

    public Task Streamed(StreamedEvent fleetEvent)
    {
        publisher.ToStreams(fleetEvent);
        return Task.CompletedTask;
    }
}
