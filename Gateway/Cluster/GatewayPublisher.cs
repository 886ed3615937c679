using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Live;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Gateway.Cluster;

/// <summary>
/// Turns what device grains send (a device's messages, fleet-wide events) into this gateway's outbound messages, whether
/// they came by a method call (co-hosted) or through the cluster (<see cref="GatewayObserver"/>). Fleet events also go,
/// with the same payload, to the operators' open event streams (<see cref="LiveEvents"/>).
/// </summary>
public sealed class GatewayPublisher(IOutboundPublisher outbound, SubscriptionInterest interest, LiveEvents live, IOptions<MqttOptions> mqtt)
{
    private readonly int _analyticsQos = mqtt.Value.AnalyticsQos;

    public ValueTask SendCommandAsync(CommandStatus command, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.Command(command.DeviceId, command.CommandId), Payloads.Command(command), 1),
            cancellationToken);

    public ValueTask SendConfigAsync(ConfigStatus update, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.Config(update.DeviceId, update.ConfigId), Payloads.Config(update), 1),
            cancellationToken);

    public ValueTask SendFirmwareUpdateAsync(FirmwareStatus update, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.FirmwareUpdate(update.DeviceId, update.UpdateId), Payloads.FirmwareUpdate(update), 1),
            cancellationToken);

    /// <summary>
    /// Republishes a reading on <c>analytics/sensor_data/...</c>, unless no MQTT subscription could receive it, and passes
    /// it to the event streams opened for its device; with neither, nothing is built.
    /// </summary>
    public ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken)
    {
        var toBroker = interest.MayReceiveAnalytics;
        var toStreams = live.WantsReadingsOf(reading.DeviceId);
        if (!toBroker && !toStreams)
        {
            return ValueTask.CompletedTask;
        }

        var payload = Payloads.SensorData(reading);
        if (toStreams)
        {
            live.PublishReading(reading.DeviceId, payload);
        }

        return toBroker
            ? outbound.PublishAsync(new OutboundMessage(OutboundTopics.SensorData(reading.SensorType), payload, _analyticsQos), cancellationToken)
            : ValueTask.CompletedTask;
    }

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken) => PublishEventAsync(Presence(change), cancellationToken);

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken) => PublishEventAsync(Command(command), cancellationToken);

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken) => PublishEventAsync(Config(update), cancellationToken);

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken) => PublishEventAsync(Firmware(update), cancellationToken);

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken) => PublishEventAsync(Alert(alert), cancellationToken);

    /// <summary>
    /// Passes an event to the open event streams only: another gateway of this gateway's shared broker publishes it there.
    /// </summary>
    public void ToStreams(StreamedEvent fleetEvent)
    {
        if (fleetEvent.Reading is { } reading)
        {
            if (live.WantsReadingsOf(reading.DeviceId))
            {
                live.PublishReading(reading.DeviceId, Payloads.SensorData(reading));
            }

            return;
        }

        var fleetMessage = fleetEvent switch
        {
            { Presence: { } change } => Presence(change),
            { Command: { } command } => Command(command),
            { Config: { } update } => Config(update),
            { Firmware: { } update } => Firmware(update),
            { Alert: { } alert } => Alert(alert),
            _ => (FleetMessage?)null,
        };
        if (fleetMessage is { } message)
        {
            live.Publish(message.Kind, message.Payload);
        }
    }

    private static FleetMessage Presence(PresenceChange change) =>
        new(LiveEventKinds.Presence, OutboundTopics.Presence(change.DeviceId), Payloads.Presence(change.DeviceId, change.Online, change.Reason, change.Timestamp));

    private static FleetMessage Command(CommandStatus command) =>
        new(LiveEventKinds.Command, OutboundTopics.CommandEvents(command.DeviceId, command.CommandId), Payloads.CommandState(command));

    private static FleetMessage Config(ConfigStatus update) =>
        new(LiveEventKinds.Config, OutboundTopics.ConfigEvents(update.DeviceId, update.ConfigId), Payloads.ConfigState(update));

    private static FleetMessage Firmware(FirmwareStatus update) =>
        new(LiveEventKinds.Firmware, OutboundTopics.FirmwareEvents(update.DeviceId, update.UpdateId), Payloads.FirmwareState(update));

    private static FleetMessage Alert(Alert alert) =>
        new(LiveEventKinds.Alert, OutboundTopics.Alert(alert.Severity, alert.DeviceId), Payloads.Alert(alert));

    private ValueTask PublishEventAsync(FleetMessage message, CancellationToken cancellationToken)
    {
        live.Publish(message.Kind, message.Payload);
        return outbound.PublishAsync(new OutboundMessage(message.Topic, message.Payload, 1), cancellationToken);
    }

    /// <summary>A fleet event as its stream's event name, its MQTT topic and the payload both carry.</summary>
    private readonly record struct FleetMessage(string Kind, string Topic, byte[] Payload);
}
