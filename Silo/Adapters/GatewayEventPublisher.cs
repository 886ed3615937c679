using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters;

/// <summary>Publishes device grain events through the co-hosted gateway's broker.</summary>
public sealed class GatewayEventPublisher(IOutboundPublisher outbound, SubscriptionInterest interest, IOptions<MqttOptions> mqtt) : IDeviceEventPublisher
{
    private readonly int _analyticsQos = mqtt.Value.AnalyticsQos;

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
