using Orleans.IoT.Gateway.Handlers;

namespace Orleans.IoT.Gateway.Security;

/// <summary>Checks a device's token, and whether a client id is a registered device's, at CONNECT.</summary>
public interface IDeviceAuthenticator
{
    ValueTask<bool> AuthenticateAsync(string deviceId, string token, CancellationToken cancellationToken);

    ValueTask<bool> IsRegisteredAsync(string deviceId, CancellationToken cancellationToken);
}

/// <summary>Asks the device's grain, the only holder of its token hash.</summary>
public sealed class GrainDeviceAuthenticator(DeviceGrains grains) : IDeviceAuthenticator
{
    public async ValueTask<bool> AuthenticateAsync(string deviceId, string token, CancellationToken cancellationToken) =>
        await grains.Get(deviceId).Authenticate(token);

    public async ValueTask<bool> IsRegisteredAsync(string deviceId, CancellationToken cancellationToken) =>
        await grains.Get(deviceId).IsRegistered();
}
