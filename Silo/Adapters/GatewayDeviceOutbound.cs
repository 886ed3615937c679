using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters;

/// <summary>Messages to a device through the co-hosted gateway's broker (the one gateway of a single node).</summary>
public sealed class GatewayDeviceOutbound(IOutboundPublisher outbound) : IDeviceOutbound
{
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
}
