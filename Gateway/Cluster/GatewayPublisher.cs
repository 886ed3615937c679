using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Gateway.Cluster;

/// <summary>
/// Turns what device grains send (a device's messages, fleet-wide events) into this gateway's outbound messages, whether
/// they came by a method call (co-hosted) or through the cluster (<see cref="GatewayObserver"/>).
/// </summary>
public sealed class GatewayPublisher(IOutboundPublisher outbound, SubscriptionInterest interest, IOptions<MqttOptions> mqtt)
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

    /// <summary>Republishes a reading on <c>analytics/sensor_data/...</c>, unless no subscription could receive it.</summary>
    public ValueTask ReadingRecorded(SensorReading reading, CancellationToken cancellationToken) =>
        interest.MayReceiveAnalytics
            ? outbound.PublishAsync(
                new OutboundMessage(OutboundTopics.SensorData(reading.SensorType), Payloads.SensorData(reading), _analyticsQos),
                cancellationToken)
            : ValueTask.CompletedTask;

    public ValueTask PresenceChanged(PresenceChange change, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.Presence(change.DeviceId), Payloads.Presence(change.DeviceId, change.Online, change.Reason, change.Timestamp), 1),
            cancellationToken);

    public ValueTask CommandChanged(CommandStatus command, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.CommandEvents(command.DeviceId, command.CommandId), Payloads.CommandState(command), 1),
            cancellationToken);

    public ValueTask ConfigChanged(ConfigStatus update, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.ConfigEvents(update.DeviceId, update.ConfigId), Payloads.ConfigState(update), 1),
            cancellationToken);

    public ValueTask FirmwareChanged(FirmwareStatus update, CancellationToken cancellationToken) =>
        outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.FirmwareEvents(update.DeviceId, update.UpdateId), Payloads.FirmwareState(update), 1),
            cancellationToken);

    public ValueTask AlertChanged(Alert alert, CancellationToken cancellationToken) =>
        outbound.PublishAsync(new OutboundMessage(OutboundTopics.Alert(alert.Severity, alert.DeviceId), Payloads.Alert(alert), 1), cancellationToken);
}
