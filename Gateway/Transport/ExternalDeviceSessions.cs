using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// Behind an external broker the gateway holds no device's connection, so it has none to close when a token is rotated
/// or a device unregistered. Nothing is lost by that: there every message carries its token, which the device grain
/// verifies on every call, so an old token is refused from its next message on. Closing the connection itself is the
/// broker's account store's part (deploy/mosquitto/README.md).
/// </summary>
public sealed class ExternalDeviceSessions : IDeviceSessions
{
    public void TokenRotated(string deviceId, string newToken, string? rotatingSessionId)
    {
    }

    public void Unregistered(string deviceId)
    {
    }
}
