using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// Publishes fleet-wide events through the co-hosted gateway by a method call, and to each other gateway whose
/// subscribers may receive them by one one-way grain call. A gateway with no such subscriber gets nothing.
/// </summary>
public sealed class ClusterEventPublisher(ClusterGateways gateways, ILocalGateway? local = null) : IDeviceEventPublisher
{
    private readonly string? _localId = local?.Id;

    public ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Analytics, reading, static (g, m) => g.ReadingRecorded(m));
        return local?.ReadingRecorded(reading, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, change, static (g, m) => g.PresenceChanged(m));
        return local?.PresenceChanged(change, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, command, static (g, m) => g.CommandChanged(m));
        return local?.CommandChanged(command, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, update, static (g, m) => g.ConfigChanged(m));
        return local?.ConfigChanged(update, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, update, static (g, m) => g.FirmwareChanged(m));
        return local?.FirmwareChanged(update, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Alerts, alert, static (g, m) => g.AlertChanged(m));
        return local?.AlertChanged(alert, cancellationToken) ?? ValueTask.CompletedTask;
    }

    private void Notify<T>(FleetInterest kind, T message, Func<IGatewayObserver, T, Task> send)
    {
        foreach (var gateway in gateways.Gateways)
        {
            if ((gateway.Interest & kind) != 0 && gateway.Id != _localId)
            {
                // One-way: the call is sent and not awaited; a gateway that cannot take it loses only this event.
                send(gateway.Observer, message).Ignore();
            }
        }
    }
}
