using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Gateway.Handlers;

namespace Orleans.IoT.Gateway.Security;

/// <summary>Tells a device's owner that the device's connection closed, so that presence need not wait for its silence.</summary>
public interface IDeviceConnections
{
    /// <param name="clean">The device said goodbye (MQTT DISCONNECT); otherwise the connection was lost.</param>
    /// <param name="closedAt">Unix seconds.</param>
    Task ClosedAsync(string deviceId, bool clean, double closedAt, CancellationToken cancellationToken);
}

/// <summary>Tells the device's grain, which forgets this gateway as the device's.</summary>
public sealed class GrainDeviceConnections(DeviceGrains grains, GatewayIdentity gateway) : IDeviceConnections
{
    public Task ClosedAsync(string deviceId, bool clean, double closedAt, CancellationToken cancellationToken) =>
        grains.Get(deviceId).ConnectionClosed(clean, closedAt, gateway.Id, cancellationToken);
}
