using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Grains.Gateways;

/// <summary>
/// Sends a device's messages to the gateway holding its connection: the co-hosted gateway by a method call, another
/// gateway by one grain call to its observer. A device whose gateway is unknown, or no longer in the directory, gets them
/// through the co-hosted gateway, or, on a silo without one, through every gateway (only one of them has its connection).
/// </summary>
public sealed partial class ClusterDeviceOutbound(
    ClusterGateways gateways, IOptions<GatewayDirectoryOptions> options, ILogger<ClusterDeviceOutbound> logger, ILocalGateway? local = null)
    : IDeviceOutbound
{
    private readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(options.Value.SendTimeoutMilliseconds);

    public ValueTask SendCommandAsync(string? gateway, CommandStatus command, CancellationToken cancellationToken) =>
        IsLocal(gateway)
            ? local!.SendCommandAsync(command, cancellationToken)
            : SendAsync(gateway, command.DeviceId, command, static (g, m) => g.SendCommand(m), static (l, m, t) => l.SendCommandAsync(m, t), cancellationToken);

    public ValueTask SendConfigAsync(string? gateway, ConfigStatus update, CancellationToken cancellationToken) =>
        IsLocal(gateway)
            ? local!.SendConfigAsync(update, cancellationToken)
            : SendAsync(gateway, update.DeviceId, update, static (g, m) => g.SendConfig(m), static (l, m, t) => l.SendConfigAsync(m, t), cancellationToken);

    public ValueTask SendFirmwareUpdateAsync(string? gateway, FirmwareStatus update, CancellationToken cancellationToken) =>
        IsLocal(gateway)
            ? local!.SendFirmwareUpdateAsync(update, cancellationToken)
            : SendAsync(gateway, update.DeviceId, update, static (g, m) => g.SendFirmwareUpdate(m), static (l, m, t) => l.SendFirmwareUpdateAsync(m, t), cancellationToken);

    private bool IsLocal(string? gateway) => local is not null && (gateway is null || gateway == local.Id);

    private async ValueTask SendAsync<T>(
        string? gateway,
        string deviceId,
        T message,
        Func<IGatewayObserver, T, Task> send,
        Func<ILocalGateway, T, CancellationToken, ValueTask> sendLocally,
        CancellationToken cancellationToken)
    {
        if (gateway is not null && await gateways.FindAsync(gateway) is { } observer)
        {
            // Not waited for beyond the timeout (the call itself goes on); the failure is the caller's, as a local one is.
            await send(observer, message).WaitAsync(_timeout);
            return;
        }

        if (gateway is not null)
        {
            // The gateway it last came through stopped renewing (it died, or this node restarted with a new gateway id):
            // the device may be connected anywhere now, the co-hosted gateway first of all.
            LogGatewayGone(deviceId, gateway);
        }

        if (local is not null)
        {
            await sendLocally(local, message, cancellationToken);
            return;
        }

        await Task.WhenAll(gateways.Gateways.Select(g => send(g.Observer, message))).WaitAsync(_timeout);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId}'s gateway {Gateway} is no longer in the directory; its message goes through the co-hosted gateway, or every gateway")]
    private partial void LogGatewayGone(string deviceId, string gateway);
}
