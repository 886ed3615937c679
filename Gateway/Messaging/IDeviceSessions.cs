namespace Orleans.IoT.Gateway.Messaging;

/// <summary>What the handlers tell the transport when a device's credentials change; implemented by the transport.</summary>
public interface IDeviceSessions
{
    /// <summary>
    /// The device's token changed. The session that changed it, if it is the device's own, carries on with
    /// <paramref name="newToken"/>; every other session of the device, authenticated with the old token, is disconnected.
    /// </summary>
    void TokenRotated(string deviceId, string newToken, string? rotatingSessionId);

    /// <summary>The device was unregistered: its sessions are disconnected once what was queued for them has been delivered.</summary>
    void Unregistered(string deviceId);
}
