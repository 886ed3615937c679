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

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken) =>
        PublishEventAsync(
            LiveEventKinds.Presence,
            OutboundTopics.Presence(change.DeviceId),
            Payloads.Presence(change.DeviceId, change.Online, change.Reason, change.Timestamp),
            cancellationToken);

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken) =>
        PublishEventAsync(LiveEventKinds.Command, OutboundTopics.CommandEvents(command.DeviceId, command.CommandId), Payloads.CommandState(command), cancellationToken);

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken) =>
        PublishEventAsync(LiveEventKinds.Config, OutboundTopics.ConfigEvents(update.DeviceId, update.ConfigId), Payloads.ConfigState(update), cancellationToken);

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken) =>
        PublishEventAsync(LiveEventKinds.Firmware, OutboundTopics.FirmwareEvents(update.DeviceId, update.UpdateId), Payloads.FirmwareState(update), cancellationToken);

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken) =>
        PublishEventAsync(LiveEventKinds.Alert, OutboundTopics.Alert(alert.Severity, alert.DeviceId), Payloads.Alert(alert), cancellationToken);

    private ValueTask PublishEventAsync(string kind, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        live.Publish(kind, payload);
        return outbound.PublishAsync(new OutboundMessage(topic, payload, 1), cancellationToken);
    }
}
