using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// The gateway as the broker: devices connect here and are authenticated at CONNECT; every publish on a
/// reserved topic goes through the router and is acknowledged with the outcome's reason code.
/// </summary>
public sealed partial class EmbeddedBroker : IHostedService, IDisposable
{
    private const string IdentityKey = "iot.identity";

    private readonly MqttOptions _options;
    private readonly OperatorDirectory _directory;
    private readonly IDeviceAuthenticator _devices;
    private readonly MessageDispatcher _dispatcher;
    private readonly GatewayMetrics _metrics;
    private readonly ConnectRateLimiter _connectRate;
    private readonly ILogger<EmbeddedBroker> _logger;
    private readonly MqttServer _server;
    private readonly SubscriptionInterest _interest;
    private readonly ConcurrentDictionary<string, SessionIdentity> _connecting = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public EmbeddedBroker(
        EmbeddedBrokerServer server,
        SubscriptionInterest interest,
        IOptions<MqttOptions> options,
        OperatorDirectory directory,
        IDeviceAuthenticator devices,
        MessageDispatcher dispatcher,
        GatewayMetrics metrics,
        ConnectRateLimiter connectRate,
        ILogger<EmbeddedBroker> logger)
    {
        _options = options.Value;
        _directory = directory;
        _devices = devices;
        _dispatcher = dispatcher;
        _metrics = metrics;
        _connectRate = connectRate;
        _logger = logger;

        _server = server.Server;
        _interest = interest;
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
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync();
        LogListening(_options.BindAddress, _options.Port);
        if (_directory.OpenRegistration)
        {
            LogOpenRegistration();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
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
            // First, before any authentication or grain call. An empty client id becomes the user's device id below.
            var rateKey = string.IsNullOrEmpty(e.ClientId) ? e.UserName : e.ClientId;
            if (!string.IsNullOrEmpty(rateKey) && !_connectRate.TryAcquire(rateKey))
            {
                _metrics.ConnectRateLimited();
                e.ReasonCode = MqttConnectReasonCode.ConnectionRateExceeded;
                return;
            }

            var clientId = e.ClientId;
            if (string.IsNullOrEmpty(clientId))
            {
                if (e.ProtocolVersion != MqttProtocolVersion.V500 && e.CleanSession != true)
                {
                    e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
                    return;
                }

                clientId = AssignClientId(e);
            }

            var (identity, refusal) = await AuthenticateAsync(e, clientId);
            if (identity is null)
            {
                e.ReasonCode = refusal;
                return;
            }

            e.SessionItems[IdentityKey] = identity;
            _connecting[clientId] = identity;
        }
        catch (Exception ex)
        {
            LogConnectFailed(ex, e.ClientId);
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
        }
    }

    /// <summary>
    /// Gives a client that sent an empty client id one: its device id when it logs in as a device, else a
    /// random one. MQTTnet does this itself only for MQTT 5; MQTT 3.1.1 allows it too for clean sessions
    /// [MQTT-3.1.3-6], and command-line clients such as mosquitto_pub rely on it.
    /// </summary>
    private string AssignClientId(ValidatingConnectionEventArgs e)
    {
        var user = e.UserName;
        var clientId = Identifiers.IsDeviceId(user) && user != AuthOptions.ProvisioningUser && !_directory.IsOperatorName(user)
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

    private async ValueTask<(SessionIdentity? Identity, MqttConnectReasonCode Refusal)> AuthenticateAsync(ValidatingConnectionEventArgs e, string clientId)
    {
        var user = e.UserName;
        if (string.IsNullOrEmpty(user))
        {
            return _directory.AllowAnonymous
                ? (_directory.OpenRegistration ? SessionIdentity.Provisioning : SessionIdentity.Anonymous, default)
                : (null, MqttConnectReasonCode.NotAuthorized);
        }

        if (user == AuthOptions.ProvisioningUser)
        {
            return _directory.VerifyProvisioningKey(e.Password)
                ? (SessionIdentity.Provisioning, default)
                : (null, MqttConnectReasonCode.BadUserNameOrPassword);
        }

        if (_directory.IsOperatorName(user))
        {
            return _directory.VerifyOperator(user, e.Password)
                ? (SessionIdentity.Operator(user), default)
                : (null, MqttConnectReasonCode.BadUserNameOrPassword);
        }

        if (!Identifiers.IsDeviceId(user) || string.IsNullOrEmpty(e.Password))
        {
            return (null, MqttConnectReasonCode.BadUserNameOrPassword);
        }

        if (clientId != user)
        {
            return (null, MqttConnectReasonCode.ClientIdentifierNotValid);
        }

        return await _devices.AuthenticateAsync(user, e.Password, e.CancellationToken)
            ? (SessionIdentity.Device(user, e.Password), default)
            : (null, MqttConnectReasonCode.BadUserNameOrPassword);
    }

    private Task OnClientConnectedAsync(ClientConnectedEventArgs e)
    {
        // A resumed session keeps its old items; the identity proven by this CONNECT replaces the old one.
        if (_connecting.TryRemove(e.ClientId, out var identity))
        {
            e.SessionItems[IdentityKey] = identity;
        }

        _metrics.ConnectionOpened();
        return Task.CompletedTask;
    }

    private Task OnClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        _interest.Disconnected(e.ClientId);
        _metrics.ConnectionClosed();
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
        try
        {
            var identity = IdentityOf(e.SessionItems);
            var message = e.ApplicationMessage;
            if (identity.Kind == SessionKind.Operator && !TopicAccessPolicy.IsReserved(message.Topic))
            {
                return; // operators may use the broker for their own topics
            }

            e.ProcessPublish = false;
            var result = await _dispatcher.DispatchAsync(ToInbound(message, identity));
            switch (result.Outcome)
            {
                case MessageOutcome.Accepted:
                    e.Response.ReasonCode = MqttPubAckReasonCode.Success;
                    break;
                case MessageOutcome.Refused:
                    e.Response.ReasonCode = AckReasonCodes.For(result.ErrorCode);
                    e.Response.ReasonString = $"{result.ErrorCode}: {result.Message}";
                    break;
                default:
                    // Not acknowledged: only a reconnect makes an MQTT client resend, so end the connection.
                    e.CloseConnection = message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
                    e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
                    break;
            }
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, e.ClientId);
            e.ProcessPublish = false;
            e.CloseConnection = e.ApplicationMessage.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
        }
    }

    private InboundMessage ToInbound(MqttApplicationMessage message, SessionIdentity identity)
    {
        var payload = message.Payload;
        string? tokenProperty = null;
        if (message.UserProperties is { Count: > 0 } properties)
        {
            foreach (var property in properties)
            {
                if (property.Name == "auth_token")
                {
                    tokenProperty = Encoding.UTF8.GetString(property.ValueBuffer.Span);
                }
            }
        }

        return new InboundMessage(
            message.Topic,
            payload.IsSingleSegment ? payload.First : payload.ToArray(),
            (int)message.QualityOfServiceLevel,
            identity,
            string.IsNullOrEmpty(message.ResponseTopic) ? null : message.ResponseTopic,
            message.CorrelationData,
            tokenProperty,
            _stopping.Token);
    }

    private static SessionIdentity IdentityOf(System.Collections.IDictionary items) =>
        items[IdentityKey] as SessionIdentity ?? SessionIdentity.Anonymous;

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT broker listening on {Address}:{Port}")]
    private partial void LogListening(string address, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:ProvisioningKey is empty: any client may register devices")]
    private partial void LogOpenRegistration();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Authentication of client {ClientId} failed")]
    private partial void LogConnectFailed(Exception exception, string clientId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Publish from client {ClientId} failed")]
    private partial void LogPublishFailed(Exception exception, string clientId);

}
