using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters;

/// <summary>The gateway co-hosted in this silo, reached by a method call: no grain call between a device grain and its broker.</summary>
public sealed class CoHostedGateway(GatewayIdentity identity, GatewayPublisher publisher) : ILocalGateway
{
    public string Id { get; } = identity.Id;

    public string? SharedBroker { get; } = identity.SharedBroker;

    public ValueTask SendCommandAsync(CommandStatus command, CancellationToken cancellationToken) => publisher.SendCommandAsync(command, cancellationToken);

    public ValueTask SendConfigAsync(ConfigStatus update, CancellationToken cancellationToken) => publisher.SendConfigAsync(update, cancellationToken);

    public ValueTask SendFirmwareUpdateAsync(FirmwareStatus update, CancellationToken cancellationToken) => publisher.SendFirmwareUpdateAsync(update, cancellationToken);

    public ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken) => publisher.ReadingRecorded(reading, cancellationToken);

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken) => publisher.PresenceChanged(change, cancellationToken);

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken) => publisher.CommandChanged(command, cancellationToken);

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken) => publisher.ConfigChanged(update, cancellationToken);

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken) => publisher.FirmwareChanged(update, cancellationToken);

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken) => publisher.AlertChanged(alert, cancellationToken);
}
