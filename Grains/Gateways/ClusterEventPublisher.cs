using System.Collections.Immutable;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// Publishes fleet-wide events through the co-hosted gateway by a method call, and to other gateways whose subscribers
/// may receive them by one one-way grain call each: to every such gateway with an embedded broker (its subscribers are
/// its own), and to one per shared external broker (every subscriber there receives what one gateway publishes):
/// none when the co-hosted gateway is a client of that broker and connected there, else the one with the lowest id,
/// the same on every silo while their copies of the directory agree. A gateway with no such subscriber (behind an
/// external broker: not connected there) gets nothing.
/// </summary>
public sealed class ClusterEventPublisher(ClusterGateways gateways, ILocalGateway? local = null) : IDeviceEventPublisher
{
    private readonly string? _localId = local?.Id;
    private readonly string? _localBroker = local?.SharedBroker;
    private volatile Recipients _recipients = new([], [], [], []);

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
        foreach (var observer in RecipientsNow().Of(kind))
        {
            // One-way: the call is sent and not awaited; a gateway that cannot take it loses only this event.
            send(observer, message).Ignore();
        }
    }

    /// <summary>Worked out again only when this silo's copy of the directory changed.</summary>
    private Recipients RecipientsNow()
    {
        var current = gateways.Gateways;
        var recipients = _recipients;
        if (recipients.Directory != current)
        {
            recipients = new Recipients(current, Choose(current, FleetInterest.Analytics), Choose(current, FleetInterest.Events), Choose(current, FleetInterest.Alerts));
            _recipients = recipients;
        }

        return recipients;
    }

    private IGatewayObserver[] Choose(ImmutableArray<GatewayRegistration> directory, FleetInterest kind)
    {
        // The co-hosted gateway publishes every event; it serves its broker unless the directory says it cannot now
        // (not connected there: no interest), when another gateway of that broker is chosen meanwhile.
        var localBroker = directory.Any(g => g.Id == _localId && (g.Interest & kind) == 0) ? null : _localBroker;
        var chosen = new List<IGatewayObserver>();
        var byBroker = new Dictionary<string, GatewayRegistration>(StringComparer.Ordinal);
        foreach (var gateway in directory)
        {
            if ((gateway.Interest & kind) == 0 || gateway.Id == _localId)
            {
                continue;
            }

            if (gateway.SharedBroker is null)
            {
                chosen.Add(gateway.Observer);
            }
            else if (gateway.SharedBroker != localBroker
                && (!byBroker.TryGetValue(gateway.SharedBroker, out var other) || string.CompareOrdinal(gateway.Id, other.Id) < 0))
            {
                byBroker[gateway.SharedBroker] = gateway;
            }
        }

        chosen.AddRange(byBroker.Values.Select(g => g.Observer));
        return [.. chosen];
    }

    private sealed record Recipients(
        ImmutableArray<GatewayRegistration> Directory, IGatewayObserver[] Analytics, IGatewayObserver[] Events, IGatewayObserver[] Alerts)
    {
        public IGatewayObserver[] Of(FleetInterest kind) => kind switch
        {
            FleetInterest.Analytics => Analytics,
            FleetInterest.Events => Events,
            _ => Alerts,
        };
    }
}
