using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>One connection's proven identity; replaced when the device rotates its token on that connection.</summary>
public sealed class BrokerSession(string clientId, Caller identity)
{
    public string ClientId { get; } = clientId;

    public Caller Identity { get; set; } = identity;

    /// <summary>The gateway closed this connection (revoked credentials, a message to be resent): not the device going away.</summary>
    public bool ClosedByGateway { get; set; }
}

/// <summary>
/// The embedded broker's connected sessions by client id, and what happens to them when a device's credentials
/// change: a rotated token moves the rotating connection to the new token and disconnects the device's other
/// session (unless that session logged in with the device's certificate); an unregistration disconnects the device
/// once its <c>unregister/response</c> has gone out.
/// </summary>
public sealed partial class ConnectedSessions(EmbeddedBrokerServer server, TimeProvider clock, ILogger<ConnectedSessions> logger) : IDeviceSessions
{
    /// <summary>How long an unregistered device's connection is kept for its queued messages to go out.</summary>
    private static readonly TimeSpan DeliveryGrace = TimeSpan.FromSeconds(2);

    /// <summary>Also the time for the acknowledgement of the unregister message itself to leave before the disconnect.</summary>
    private static readonly TimeSpan AckGrace = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, BrokerSession> _byClientId = new(StringComparer.Ordinal);

    public void Connected(BrokerSession session) => _byClientId[session.ClientId] = session;

    public void Disconnected(BrokerSession session) => _byClientId.TryRemove(new KeyValuePair<string, BrokerSession>(session.ClientId, session));

    public bool IsOperator(string clientId) =>
        _byClientId.TryGetValue(clientId, out var session) && session.Identity.Kind == CallerKind.Operator;

    /// <summary>True when a device is connected here under this client id (which is its device id).</summary>
    public bool IsDeviceConnected(string clientId) =>
        _byClientId.TryGetValue(clientId, out var session) && session.Identity.Kind == CallerKind.Device;

    public void TokenRotated(string deviceId, string newToken, string? rotatingSessionId)
    {
        if (DeviceSession(deviceId) is not { } session)
        {
            return;
        }

        if (session.ClientId == rotatingSessionId)
        {
            session.Identity = session.Identity with { DeviceToken = newToken };
            return;
        }

        if (session.Identity.IsCertifiedDevice)
        {
            return; // its credential is its certificate, which the rotation leaves valid, not the old token
        }

        _ = DisconnectAsync(session, session.Identity, TimeSpan.Zero, "the device's token was rotated");
    }

    public void Unregistered(string deviceId)
    {
        if (DeviceSession(deviceId) is { } session)
        {
            _ = DisconnectAsync(session, session.Identity, DeliveryGrace, "the device was unregistered");
        }
    }

    private BrokerSession? DeviceSession(string deviceId) =>
        _byClientId.TryGetValue(deviceId, out var session) && session.Identity is { Kind: CallerKind.Device } identity && identity.Name == deviceId
            ? session
            : null;

    /// <summary>
    /// Disconnects with MQTT 5's Not authorized, after the session's queued messages have gone out (at most
    /// <paramref name="grace"/>), unless the session has proven a new identity since.
    /// </summary>
    private async Task DisconnectAsync(BrokerSession session, Caller revoked, TimeSpan grace, string reason)
    {
        try
        {
            var deadline = clock.GetTimestamp() + (long)(grace.TotalSeconds * clock.TimestampFrequency);
            while (grace > TimeSpan.Zero && clock.GetTimestamp() < deadline && await PendingAsync(session.ClientId) > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), clock);
            }

            if (grace > TimeSpan.Zero)
            {
                await Task.Delay(AckGrace, clock);
            }

            if (!ReferenceEquals(session.Identity, revoked) || !_byClientId.TryGetValue(session.ClientId, out var current) || current != session)
            {
                return;
            }

            session.ClosedByGateway = true;
            await server.Server.DisconnectClientAsync(
                session.ClientId,
                new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized, ReasonString = reason });
            LogDisconnected(session.ClientId, reason);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // Gone already, or the broker is stopping.
        }
    }

    private async Task<long> PendingAsync(string clientId)
    {
        var status = await server.Server.GetSessionAsync(clientId);
        return status.PendingApplicationMessagesCount;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected device {DeviceId}: {Reason}")]
    private partial void LogDisconnected(string deviceId, string reason);
}
