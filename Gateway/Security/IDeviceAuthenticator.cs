using Orleans.IoT.Gateway.Handlers;

namespace Orleans.IoT.Gateway.Security;

/// <summary>Checks a device's token at CONNECT.</summary>
public interface IDeviceAuthenticator
{
    ValueTask<bool> AuthenticateAsync(string deviceId, string token, CancellationToken cancellationToken);
}

/// <summary>Asks the device's grain, the only holder of its token hash.</summary>
public sealed class GrainDeviceAuthenticator(DeviceGrains grains) : IDeviceAuthenticator
{
    public async ValueTask<bool> AuthenticateAsync(string deviceId, string token, CancellationToken cancellationToken) =>
        await grains.Get(deviceId).Authenticate(token);
}
