using System.Collections.Immutable;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// Publishes fleet-wide events through the co-hosted gateway by a method call, and to other gateways whose subscribers
/// may receive them by one one-way grain call each: to every such gateway with an embedded broker (its subscribers are
/// its own), and to one per shared external broker (every subscriber there receives what one gateway publishes):
/// none when the co-hosted gateway is a client of that broker and connected there, else the one with the lowest id,
/// the same on every silo while their copies of the directory agree. A gateway with no such subscriber (behind an
/// external broker: not connected there) gets nothing, unless operators have event streams open on it: a gateway of a
/// shared broker that does not publish an event there is sent it for its streams alone.
/// </summary>
public sealed class ClusterEventPublisher(ClusterGateways gateways, ILocalGateway? local = null) : IDeviceEventPublisher
{
    private readonly string? _localId = local?.Id;
    private readonly string? _localBroker = local?.SharedBroker;
    private volatile Recipients _recipients = new([], Chosen.None, Chosen.None, Chosen.None, Watchers.None);

    public ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Analytics, reading, static (g, m) => g.ReadingRecorded(m), static m => new StreamedEvent(Reading: m));
        if (RecipientsNow().Watching.Of(reading.DeviceId) is { } watching)
        {
            var fleetEvent = new StreamedEvent(Reading: reading);
            foreach (var observer in watching)
            {
                observer.Streamed(fleetEvent).Ignore();
            }
        }

        return local?.ReadingRecorded(reading, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, change, static (g, m) => g.PresenceChanged(m), static m => new StreamedEvent(Presence: m));
        return local?.PresenceChanged(change, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, command, static (g, m) => g.CommandChanged(m), static m => new StreamedEvent(Command: m));
        return local?.CommandChanged(command, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, update, static (g, m) => g.ConfigChanged(m), static m => new StreamedEvent(Config: m));
        return local?.ConfigChanged(update, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Events, update, static (g, m) => g.FirmwareChanged(m), static m => new StreamedEvent(Firmware: m));
        return local?.FirmwareChanged(update, cancellationToken) ?? ValueTask.CompletedTask;
    }

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken)
    {
        Notify(FleetInterest.Alerts, alert, static (g, m) => g.AlertChanged(m), static m => new StreamedEvent(Alert: m));
        return local?.AlertChanged(alert, cancellationToken) ?? ValueTask.CompletedTask;
    }

    private void Notify<T>(FleetInterest kind, T message, Func<IGatewayObserver, T, Task> send, Func<T, StreamedEvent> streamed)
    {
        var chosen = RecipientsNow().Of(kind);
        foreach (var observer in chosen.Publishers)
        {
            // One-way: the call is sent and not awaited; a gateway that cannot take it loses only this event.
            send(observer, message).Ignore();
        }

        if (chosen.StreamsOnly.Length > 0)
        {
            var fleetEvent = streamed(message);
            foreach (var observer in chosen.StreamsOnly)
            {
                observer.Streamed(fleetEvent).Ignore();
            }
        }
    }

    /// <summary>Worked out again only when this silo's copy of the directory changed.</summary>
    private Recipients RecipientsNow()
    {
        var current = gateways.Gateways;
        var recipients = _recipients;
        if (recipients.Directory != current)
        {
            var analytics = Choose(current, FleetInterest.Analytics);
            recipients = new Recipients(
                current, analytics, Choose(current, FleetInterest.Events), Choose(current, FleetInterest.Alerts), WatchersOf(current, analytics));
            _recipients = recipients;
        }

        return recipients;
    }

    private Chosen Choose(ImmutableArray<GatewayRegistration> directory, FleetInterest kind)
    {
        // The co-hosted gateway publishes every event; it serves its broker unless the directory says it cannot now
        // (not connected there: no interest), when another gateway of that broker is chosen meanwhile.
        var localBroker = directory.Any(g => g.Id == _localId && (g.Interest & kind) == 0) ? null : _localBroker;
        var publishers = new List<IGatewayObserver>();
        var byBroker = new Dictionary<string, GatewayRegistration>(StringComparer.Ordinal);
        foreach (var gateway in directory)
        {
            if ((gateway.Interest & kind) == 0 || gateway.Id == _localId)
            {
                continue;
            }

            if (gateway.SharedBroker is null)
            {
                publishers.Add(gateway.Observer);
            }
            else if (gateway.SharedBroker != localBroker
                && (!byBroker.TryGetValue(gateway.SharedBroker, out var other) || string.CompareOrdinal(gateway.Id, other.Id) < 0))
            {
                byBroker[gateway.SharedBroker] = gateway;
            }
        }

        publishers.AddRange(byBroker.Values.Select(g => g.Observer));
        IGatewayObserver[] streamsOnly =
        [
            .. directory
                .Where(g => g.SharedBroker is not null && (g.StreamInterest & kind) != 0 && g.Id != _localId
                    && !(byBroker.TryGetValue(g.SharedBroker, out var publisher) && publisher.Id == g.Id))
                .Select(g => g.Observer),
        ];
        return new Chosen([.. publishers], streamsOnly);
    }

    /// <summary>
    /// The gateways whose event streams watch a device, by device, but for this silo's co-hosted gateway (it has every
    /// event) and those already sent every reading.
    /// </summary>
    private Watchers WatchersOf(ImmutableArray<GatewayRegistration> directory, Chosen analytics)
    {
        var sentEveryReading = new HashSet<IGatewayObserver>([.. analytics.Publishers, .. analytics.StreamsOnly]);
        var byDevice = new Dictionary<string, List<IGatewayObserver>>(StringComparer.Ordinal);
        foreach (var gateway in directory)
        {
            if (gateway.Id == _localId || gateway.WatchedDevices is not { Count: > 0 } devices || sentEveryReading.Contains(gateway.Observer))
            {
                continue;
            }

            foreach (var deviceId in devices)
            {
                if (!byDevice.TryGetValue(deviceId, out var observers))
                {
                    byDevice[deviceId] = observers = [];
                }

                observers.Add(gateway.Observer);
            }
        }

        return byDevice.Count == 0 ? Watchers.None : new Watchers(byDevice.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
    }

    private sealed record Watchers(Dictionary<string, IGatewayObserver[]> ByDevice)
    {
        public static readonly Watchers None = new(new Dictionary<string, IGatewayObserver[]>(StringComparer.Ordinal));

        public IGatewayObserver[]? Of(string deviceId) => ByDevice.Count == 0 ? null : ByDevice.GetValueOrDefault(deviceId);
    }

    /// <summary>The gateways sent one kind of event: to publish (to their broker and their streams), or for their streams only.</summary>
    private sealed record Chosen(IGatewayObserver[] Publishers, IGatewayObserver[] StreamsOnly)
    {
        public static readonly Chosen None = new([], []);
    }

    private sealed record Recipients(ImmutableArray<GatewayRegistration> Directory, Chosen Analytics, Chosen Events, Chosen Alerts, Watchers Watching)
    {
        public Chosen Of(FleetInterest kind) => kind switch
        {
            FleetInterest.Analytics => Analytics,
            FleetInterest.Events => Events,
            _ => Alerts,
        };
    }
}
