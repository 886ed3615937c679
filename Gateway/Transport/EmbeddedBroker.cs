using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Orleans.IoT.Gateway.Cluster;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// The gateway as the broker: devices connect here and are authenticated at CONNECT; every publish on a
/// reserved topic goes through the router and is acknowledged with the outcome's reason code. A registered
/// device's client id belongs to that device, and a message meant for one session (a registration's token)
/// reaches only it and operators (DESIGN §2 "Sessions and replies").
/// </summary>
public sealed partial class EmbeddedBroker : IHostedService, IDisposable
{
    private const string IdentityKey = "iot.identity";

    private readonly OperatorDirectory _directory;
    private readonly IDeviceAuthenticator _devices;
    private readonly IDeviceConnections _connections;
    private readonly string _gatewayId;
    private readonly bool _offlineOnDisconnect;
    private readonly TimeProvider _clock;
    private readonly MessageDispatcher _dispatcher;
    private readonly GatewayMetrics _metrics;
    private readonly ConnectRateLimiter _connectRate;
    private readonly BrokerTls _tls;
    private readonly ILogger<EmbeddedBroker> _logger;
    private readonly EmbeddedBrokerServer _brokerServer;
    private readonly MqttServer _server;
    private readonly SubscriptionInterest _interest;
    private readonly ConnectedSessions _sessions;

    /// <summary>
    /// Identities proven at CONNECT, until the connection is established. Keyed by the connection too, not the client id
    /// alone, so that two CONNECTs racing on one client id cannot swap identities.
    /// </summary>
    private readonly ConcurrentDictionary<(string ClientId, EndPoint? RemoteEndPoint), BrokerSession> _connecting = new();

    private readonly CancellationTokenSource _stopping = new();
    private readonly InboundCalls _calls;
    private int _inFlight;
    private volatile bool _draining;

    public EmbeddedBroker(
        EmbeddedBrokerServer server,
        SubscriptionInterest interest,
        ConnectedSessions sessions,
        OperatorDirectory directory,
        IDeviceAuthenticator devices,
        MessageDispatcher dispatcher,
        InboundCalls calls,
        GatewayMetrics metrics,
        ConnectRateLimiter connectRate,
        BrokerTls tls,
        IDeviceConnections connections,
        GatewayIdentity gateway,
        IOptions<DisconnectPresenceOptions> presence,
        TimeProvider clock,
        ILogger<EmbeddedBroker> logger)
    {
        _connections = connections;
        _gatewayId = gateway.Id;
        _offlineOnDisconnect = presence.Value.OfflineOnDisconnect;
        _clock = clock;
        _directory = directory;
        _devices = devices;
        _dispatcher = dispatcher;
        _calls = calls;
        _metrics = metrics;
        _connectRate = connectRate;
        _tls = tls;
        _logger = logger;

        _brokerServer = server;
        _server = server.Server;
        _interest = interest;
        _sessions = sessions;
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.ClientConnectedAsync += OnClientConnectedAsync;
        _server.ClientDisconnectedAsync += OnClientDisconnectedAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.ClientUnsubscribedTopicAsync += e =>
        {
            _interest.Unsubscribed(e.ClientId, e.TopicFilter);
            return Task.CompletedTask;
        };
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        _server.InterceptingClientEnqueueAsync += InterceptEnqueueAsync;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync();
        foreach (var listener in _brokerServer.Listeners)
        {
            LogListening(listener.LocalEndPoint, listener.IsTls ? "MQTT over TLS" : "plain MQTT");
        }

        if (_directory.OpenRegistration)
        {
            LogOpenRegistration();
        }
    }

    /// <summary>
    /// Drains: no new connections or messages are taken (a message arriving now is left unacknowledged, so its device
    /// sends it again), the messages already being handled finish and are acknowledged, bounded by the host's shutdown
    /// timeout, and only then the connections close.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        _server.AcceptNewConnections = false;
        try
        {
            while (Volatile.Read(ref _inFlight) > 0)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            LogDrainTimedOut(Volatile.Read(ref _inFlight));
        }

        await _stopping.CancelAsync();
        _calls.Stop();
        if (_server.IsStarted)
        {
            await _server.StopAsync();
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        try
        {
            // Reads what the handshake recorded, without a grain call; a refusal is given once a client id is assigned
            // (MQTTnet answers an empty one with Client identifier not valid, whatever the reason).
            var (certifiedDevice, certificateRefusal) = CertificateIdentity(e);

            // Before any other authentication or grain call. An empty client id becomes the device's id below.
            var rateKey = !string.IsNullOrEmpty(e.ClientId) ? e.ClientId : !string.IsNullOrEmpty(e.UserName) ? e.UserName : certifiedDevice;
            if (!string.IsNullOrEmpty(rateKey) && !_connectRate.TryAcquire(rateKey))
            {
                _metrics.ConnectRateLimited();
                e.ReasonCode = MqttConnectReasonCode.ConnectionRateExceeded;
                return;
            }

            var clientId = e.ClientId;
            var assigned = string.IsNullOrEmpty(clientId);
            if (assigned)
            {
                if (e.ProtocolVersion != MqttProtocolVersion.V500 && e.CleanSession != true)
                {
                    e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
                    return;
                }

                clientId = AssignClientId(e, certifiedDevice);
            }

            if (certificateRefusal != default)
            {
                e.ReasonCode = certificateRefusal;
                return;
            }

            var (identity, refusal) = await AuthenticateAsync(e, clientId, certifiedDevice);
            if (identity is null)
            {
                e.ReasonCode = refusal;
                return;
            }

            if (identity.Kind != CallerKind.Device && !assigned && await IsRegisteredDeviceAsync(clientId, e.CancellationToken))
            {
                // The id belongs to that device: without its credentials no one may push it off or inherit its session.
                e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
                return;
            }

            var session = new BrokerSession(clientId, identity);
            e.SessionItems[IdentityKey] = session;
            _connecting[(clientId, e.RemoteEndPoint)] = session;
        }
        catch (Exception ex)
        {
            LogConnectFailed(ex, e.ClientId);
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
        }
    }

    private async ValueTask<bool> IsRegisteredDeviceAsync(string clientId, CancellationToken cancellationToken) =>
        Identifiers.IsDeviceId(clientId)
        && (_sessions.IsDeviceConnected(clientId) || await _devices.IsRegisteredAsync(clientId, cancellationToken));

    /// <summary>
    /// What the connection's TLS client certificate says: nothing (plain MQTT, or none presented where none is
    /// required), the device id its subject's CN names, or a refusal (Not authorized: the certificate did not chain to
    /// <c>Mqtt:Tls:ClientCaPath</c> or is not valid now, none was presented where one is required, or its CN is no
    /// device id or is the name of the provisioning user or an operator).
    /// </summary>
    private (string? DeviceId, MqttConnectReasonCode Refusal) CertificateIdentity(ValidatingConnectionEventArgs e)
    {
        if (!e.IsSecureConnection)
        {
            return (null, default);
        }

        if (e.ClientCertificate is not { } certificate)
        {
            return (null, _tls.RequiresClientCertificate ? MqttConnectReasonCode.NotAuthorized : default);
        }

        var deviceId = _tls.IsVerified(certificate) ? DeviceCertificates.DeviceIdOf(certificate) : null;
        return deviceId is null || deviceId == AuthOptions.ProvisioningUser || _directory.IsOperatorName(deviceId)
            ? (null, MqttConnectReasonCode.NotAuthorized)
            : (deviceId, default);
    }

    /// <summary>
    /// Gives a client that sent an empty client id one: its device id when it logs in as a device (by user name, or by
    /// its certificate), else a random one. MQTTnet does this itself only for MQTT 5; MQTT 3.1.1 allows it too for clean
    /// sessions [MQTT-3.1.3-6], and command-line clients such as mosquitto_pub rely on it.
    /// </summary>
    private string AssignClientId(ValidatingConnectionEventArgs e, string? certifiedDevice)
    {
        var user = string.IsNullOrEmpty(e.UserName) ? certifiedDevice : e.UserName;
        var clientId = user is not null && Identifiers.IsDeviceId(user) && user != AuthOptions.ProvisioningUser && !_directory.IsOperatorName(user)
            ? user
            : $"auto-{Guid.NewGuid():N}";
        if (e.ProtocolVersion == MqttProtocolVersion.V500)
        {
            e.AssignedClientIdentifier = clientId;
        }
        else
        {
            ConnectPacketOf(e).ClientId = clientId;
        }

        return clientId;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_connectPacket")]
    private static extern ref MqttConnectPacket ConnectPacketOf(ValidatingConnectionEventArgs e);

    /// <summary>
    /// Who the CONNECT proves itself to be. A verified certificate is its device's credential: with no user name, or
    /// with its own device id as the user name, the session is that device and needs no password. With another user name
    /// the user name and password decide, as on a plain connection, except that they cannot name another device.
    /// </summary>
    private async ValueTask<(Caller? Identity, MqttConnectReasonCode Refusal)> AuthenticateAsync(ValidatingConnectionEventArgs e, string clientId, string? certifiedDevice)
    {
        var user = e.UserName;
        if (certifiedDevice is not null && (string.IsNullOrEmpty(user) || user == certifiedDevice))
        {
            return clientId == certifiedDevice
                ? (Caller.CertifiedDevice(certifiedDevice, _gatewayId), default)
                : (null, MqttConnectReasonCode.ClientIdentifierNotValid);
        }

        if (string.IsNullOrEmpty(user))
        {
            return _directory.AllowAnonymous
                ? (_directory.OpenRegistration ? Caller.Provisioning : Caller.Anonymous, default)
                : (null, MqttConnectReasonCode.NotAuthorized);
        }

        if (user == AuthOptions.ProvisioningUser)
        {
            return _directory.VerifyProvisioningKey(e.Password)
                ? (Caller.Provisioning, default)
                : (null, MqttConnectReasonCode.BadUserNameOrPassword);
        }

        if (_directory.IsOperatorName(user))
        {
            return _directory.VerifyOperator(user, e.Password)
                ? (Caller.Operator(user), default)
                : (null, MqttConnectReasonCode.BadUserNameOrPassword);
        }

        if (certifiedDevice is not null || !Identifiers.IsDeviceId(user) || string.IsNullOrEmpty(e.Password))
        {
            return (null, MqttConnectReasonCode.BadUserNameOrPassword);
        }

        if (clientId != user)
        {
            return (null, MqttConnectReasonCode.ClientIdentifierNotValid);
        }

        return await _devices.AuthenticateAsync(user, e.Password, e.CancellationToken)
            ? (Caller.Device(user, e.Password, _gatewayId), default)
            : (null, MqttConnectReasonCode.BadUserNameOrPassword);
    }

    private Task OnClientConnectedAsync(ClientConnectedEventArgs e)
    {
        // A resumed session keeps its old items; the identity proven by this CONNECT replaces the old one.
        if (_connecting.TryRemove((e.ClientId, e.RemoteEndPoint), out var session))
        {
            e.SessionItems[IdentityKey] = session;
            _sessions.Connected(session);
        }

        _metrics.ConnectionOpened();
        return Task.CompletedTask;
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        if (e.SessionItems[IdentityKey] is BrokerSession session)
        {
            _sessions.Disconnected(session);
            if (_offlineOnDisconnect && session.Identity.Kind == CallerKind.Device && !session.ClosedByGateway
                && e.DisconnectType != MqttClientDisconnectType.Takeover && !_draining)
            {
                var clean = e.DisconnectType == MqttClientDisconnectType.Clean
                    && e.ReasonCode is null or MqttDisconnectReasonCode.NormalDisconnection;
                _ = ReportClosedAsync(session.Identity.Name!, clean);
            }
        }

        _connecting.TryRemove((e.ClientId, e.RemoteEndPoint), out _); // ended before it was established (its CONNACK failed)

        _interest.Disconnected(e.ClientId);
        _metrics.ConnectionClosed();
        return Task.CompletedTask;
    }

    /// <summary>Marks the device offline; a failure leaves it to the device's silence to do so.</summary>
    private async Task ReportClosedAsync(string deviceId, bool clean)
    {
        try
        {
            await _connections.ClosedAsync(deviceId, clean, _clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, _stopping.Token);
        }
        catch (Exception ex)
        {
            LogClosedNotReported(ex, deviceId);
        }
    }

    /// <summary>A message meant for one session (a registration's token) is delivered to it and to operators only.</summary>
    private Task InterceptEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        if (_brokerServer.IsOnlyFor(e.ApplicationMessage, out var sessionId))
        {
            e.AcceptEnqueue = e.ReceiverClientId == sessionId || _sessions.IsOperator(e.ReceiverClientId);
        }

        return Task.CompletedTask;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (!TopicAccessPolicy.CanSubscribe(IdentityOf(e.SessionItems), e.TopicFilter.Topic))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        }
        else
        {
            _interest.Subscribed(e.ClientId, e.TopicFilter.Topic);
        }

        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId.Length == 0)
        {
            return; // our own outbound message
        }

        // Throwing here would drop the client: every failure becomes an outcome instead.
        Interlocked.Increment(ref _inFlight);
        try
        {
            var identity = IdentityOf(e.SessionItems);
            var message = e.ApplicationMessage;
            if (message.Topic.AsSpan().ContainsAny('+', '#'))
            {
                // MQTT-3.3.2-2: a topic name holds no wildcard, whoever publishes it.
                e.ProcessPublish = false;
                e.Response.ReasonCode = MqttPubAckReasonCode.TopicNameInvalid;
                e.Response.ReasonString = ReasonStrings.Of(ErrorCodes.UnknownRoute, "a topic name may not hold the wildcards + or #");
                return;
            }

            if (identity.Kind == CallerKind.Operator && !TopicAccessPolicy.IsReserved(message.Topic))
            {
                return; // operators may use the broker for their own topics
            }

            e.ProcessPublish = false;
            if (_draining)
            {
                // Not acknowledged: the device sends it again to a node that is not stopping.
                e.CloseConnection = message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
                return;
            }

            var result = await _dispatcher.DispatchAsync(MqttMessages.ToInbound(message, identity, e.ClientId, _calls.Token));
            switch (result.Outcome)
            {
                case MessageOutcome.Accepted:
                    e.Response.ReasonCode = MqttPubAckReasonCode.Success;
                    break;
                case MessageOutcome.Refused:
                    e.Response.ReasonCode = AckReasonCodes.For(result.ErrorCode);
                    e.Response.ReasonString = ReasonStrings.Of(result.ErrorCode!, result.Message);
                    break;
                default:
                    // Not acknowledged: only a reconnect makes an MQTT client resend, so end the connection.
                    e.CloseConnection = message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
                    MarkClosedByGateway(e.SessionItems, e.CloseConnection);
                    e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
                    break;
            }
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, e.ClientId);
            e.ProcessPublish = false;
            e.CloseConnection = e.ApplicationMessage.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
            MarkClosedByGateway(e.SessionItems, e.CloseConnection);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static void MarkClosedByGateway(System.Collections.IDictionary items, bool closing)
    {
        if (closing && items[IdentityKey] is BrokerSession session)
        {
            session.ClosedByGateway = true;
        }
    }

    private static Caller IdentityOf(System.Collections.IDictionary items) =>
        (items[IdentityKey] as BrokerSession)?.Identity ?? Caller.Anonymous;

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT broker listening on {EndPoint} ({Transport})")]
    private partial void LogListening(IPEndPoint? endPoint, string transport);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:ProvisioningKey is empty: any client may register devices")]
    private partial void LogOpenRegistration();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Authentication of client {ClientId} failed")]
    private partial void LogConnectFailed(Exception exception, string clientId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Publish from client {ClientId} failed")]
    private partial void LogPublishFailed(Exception exception, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId}'s connection closed, but it could not be marked offline; its silence will")]
    private partial void LogClosedNotReported(Exception exception, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} messages still being handled; they are not acknowledged and will be sent again")]
    private partial void LogDrainTimedOut(int count);

}
