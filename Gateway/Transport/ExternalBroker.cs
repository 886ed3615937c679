using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// The gateway as a client of an external broker (<c>Mqtt:Mode=External</c>): subscribes to every inbound route as
/// <c>$share/{group}/...</c>, so that the replicas of one group split the messages, and handles them concurrently, at
/// most <c>Mqtt:External:MaxInFlight</c> at once. A message is acknowledged to the broker only once handled, as the
/// embedded broker acknowledges to a device: accepted or refused for what it is, acknowledged; failed for a passing
/// fault, not. The broker resends an unacknowledged message only on a new connection of the session, so then the
/// gateway lets the messages being handled finish, disconnects, waits (doubling while faults last) and reconnects to
/// the same persistent session; it also reconnects and resubscribes by itself when the connection is lost.
/// The broker hides who published: every message's session is anonymous (provisioning under open registration), and a
/// device proves itself by the token in its payload or its <c>auth_token</c> user property, which its grain verifies.
/// </summary>
public sealed partial class ExternalBroker : IHostedService, IDisposable
{
    /// <summary>How long a drain waits for more of the messages the broker had already assigned to this replica.</summary>
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(200);

    private readonly ExternalBrokerConnection _connection;
    private readonly IMqttClient _client;
    private readonly MessageDispatcher _dispatcher;
    private readonly OperatorDirectory _directory;
    private readonly MqttExternalOptions _options;
    private readonly ILogger<ExternalBroker> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly Caller _publisher;
    private readonly CancellationTokenSource _stopping = new();
    private readonly InboundCalls _calls;
    private readonly CancellationTokenSource _supervising = new();
    private Task? _supervisor;

    /// <summary>Messages received so far: a drain waits until it stops moving.</summary>
    private long _received;

    /// <summary>Completed when the current connection should end: lost, or a message awaits redelivery.</summary>
    private volatile TaskCompletionSource _connectionEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Counts connections: an acknowledgement is sent only on the connection its message arrived on.</summary>
    private int _generation;

    private volatile bool _redelivering;
    private volatile bool _draining;

    public ExternalBroker(
        ExternalBrokerConnection connection,
        MessageDispatcher dispatcher,
        InboundCalls calls,
        OperatorDirectory directory,
        IOptions<MqttOptions> options,
        ILogger<ExternalBroker> logger)
    {
        _connection = connection;
        _client = connection.Client;
        _dispatcher = dispatcher;
        _calls = calls;
        _directory = directory;
        _options = options.Value.External;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        _publisher = directory.OpenRegistration ? Caller.Provisioning : Caller.Anonymous;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += _ =>
        {
            // MQTTnet raises this in the background: it may come after the next connection is up (see ServeOneConnectionAsync).
            _connectionEnded.TrySetResult();
            return Task.CompletedTask;
        };
    }

    /// <summary>
    /// Makes the first connection before the host carries on, so that a gateway that started is subscribed; when the
    /// broker cannot be reached it starts anyway, not ready, and keeps trying.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_directory.OpenRegistration)
        {
            LogOpenRegistration();
        }

        var firstAttempt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _supervisor = SuperviseAsync(firstAttempt, _supervising.Token);
        await firstAttempt.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Leaves the group, then drains: the shared subscriptions are dropped first, so that the broker hands this replica
    /// no more messages (Mosquitto keeps handing an offline member of a group its share, which would wait in its
    /// session); the messages it already has are handled and acknowledged until none has come for a moment, bounded by
    /// the host's shutdown timeout; then the connection closes. What is left unacknowledged stays in this replica's
    /// session, and a restart under the same client id takes it up.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _supervising.CancelAsync();
        if (_supervisor is not null)
        {
            await _supervisor;
        }

        try
        {
            if (_client.IsConnected)
            {
                var leave = new MqttClientUnsubscribeOptionsBuilder();
                foreach (var filter in SharedFilters())
                {
                    leave.WithTopicFilter(filter);
                }

                await _client.UnsubscribeAsync(leave.Build(), cancellationToken);
                await WaitUntilQuietAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or MqttCommunicationException)
        {
            LogDrainTimedOut(InFlight);
        }

        _draining = true;
        await _stopping.CancelAsync();
        _calls.Stop();
        await DisconnectAsync();
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _supervising.Dispose();
        _slots.Dispose();
    }

    private int InFlight => _options.MaxInFlight - _slots.CurrentCount;

    private async Task SuperviseAsync(TaskCompletionSource firstAttempt, CancellationToken stopping)
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            var failed = await ServeOneConnectionAsync(firstAttempt, stopping);
            failures = failed ? failures + 1 : 0;
            var delay = Math.Min(_options.ReconnectDelaySeconds * Math.Pow(2, Math.Max(0, failures - 1)), _options.MaxReconnectDelaySeconds);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(delay), stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Connects, subscribes and serves until the connection ends; true when it failed or ended for a redelivery.</summary>
    private async Task<bool> ServeOneConnectionAsync(TaskCompletionSource firstAttempt, CancellationToken stopping)
    {
        _connectionEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _generation);
        _redelivering = false;
        try
        {
            var connected = await _client.ConnectAsync(_connection.ClientOptions, stopping);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                LogConnectRefused(_connection.Endpoint, connected.ResultCode.ToString());
                return true;
            }

            if (!await SubscribeAsync(stopping))
            {
                await DisconnectAsync();
                return true;
            }

            _connection.Subscribed = true;
            LogConnected(_connection.Endpoint, _connection.ClientOptions.ClientId, connected.IsSessionPresent, _options.SharedGroup);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            LogConnectFailed(_connection.Endpoint, ex.GetType().Name, ex.Message);
            await DisconnectAsync(); // a connection that failed half-way (its subscription, say) is not left open
            return true;
        }
        finally
        {
            firstAttempt.TrySetResult();
        }

        try
        {
            while (true)
            {
                await _connectionEnded.Task.WaitAsync(stopping);
                if (_redelivering || !_client.IsConnected)
                {
                    break;
                }

                _connectionEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // an earlier connection's notice
            }
        }
        catch (OperationCanceledException)
        {
            return false; // stopping: StopAsync drains and disconnects
        }
        finally
        {
            _connection.Subscribed = false;
        }

        if (!_redelivering)
        {
            LogConnectionLost(_connection.Endpoint);
            return false;
        }

        // Let the messages being handled be acknowledged on this connection, then end it: the broker resends the others.
        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            drain.CancelAfter(_client.Options.Timeout);
            try
            {
                await WaitForInFlightAsync(drain.Token);
            }
            catch (OperationCanceledException)
            {
                // Those still running are not acknowledged; the broker resends them too.
            }
        }

        await DisconnectAsync();
        return true;
    }

    private async Task<bool> SubscribeAsync(CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in SharedFilters())
        {
            builder.WithTopicFilter(filter);
        }

        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken);
        var granted = true;
        foreach (var item in result.Items)
        {
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
            {
                LogSubscriptionRefused(item.TopicFilter.Topic, item.ResultCode.ToString());
                granted = false;
            }
        }

        return granted;
    }

    private async Task DisconnectAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection });
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or ObjectDisposedException or OperationCanceledException)
        {
            // Gone already.
        }
    }

    /// <summary>Every inbound route as <c>$share/{group}/{route's filter}</c>, at the route's QoS.</summary>
    private IEnumerable<MqttTopicFilter> SharedFilters() =>
        _dispatcher.Router.Routes.Select(route => new MqttTopicFilterBuilder()
            .WithTopic($"$share/{_options.SharedGroup}/{route.Template.ToSubscriptionFilter()}")
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)route.Qos)
            .Build());

    /// <summary>Until nothing is being handled and nothing has arrived for a moment.</summary>
    private async Task WaitUntilQuietAsync(CancellationToken cancellationToken)
    {
        var seen = -1L;
        while (InFlight > 0 || Interlocked.Read(ref _received) != seen)
        {
            seen = Interlocked.Read(ref _received);
            await Task.Delay(QuietPeriod, cancellationToken);
        }
    }

    private async Task WaitForInFlightAsync(CancellationToken cancellationToken)
    {
        while (InFlight > 0)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>
    /// Takes a slot and starts handling, returning at once, so that the client's receive loop waits only while
    /// <c>MaxInFlight</c> messages are being handled (the broker's Receive Maximum already bounds QoS 1 and 2; QoS 0
    /// messages wait here for a slot).
    /// </summary>
    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        Interlocked.Increment(ref _received);
        if (_redelivering || _draining)
        {
            return; // Not acknowledged: the broker sends it again on this session's next connection.
        }

        try
        {
            await _slots.WaitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _ = HandleAsync(e, Volatile.Read(ref _generation));
    }

    private async Task HandleAsync(MqttApplicationMessageReceivedEventArgs e, int generation)
    {
        var message = e.ApplicationMessage;
        var atMostOnce = message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce;
        try
        {
            MessageResult result;
            try
            {
                result = await _dispatcher.DispatchAsync(MqttMessages.ToInbound(message, SessionOf(message), null, _calls.Token));
            }
            catch (Exception ex)
            {
                LogHandlingFailed(ex, message.Topic);
                result = MessageResult.Failed("the message could not be handled");
            }

            if (atMostOnce)
            {
                return;
            }

            if (result.Outcome == MessageOutcome.Failed)
            {
                RequestRedelivery(generation);
                return;
            }

            if (result.Outcome == MessageOutcome.Refused)
            {
                e.ReasonCode = (MqttApplicationMessageReceivedReasonCode)(int)AckReasonCodes.For(result.ErrorCode);
                e.ResponseReasonString = ReasonStrings.Of(result.ErrorCode!, result.Message);
            }

            await AcknowledgeAsync(e, generation);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>On the connection the message arrived on only: on a later one its packet id may name another message.</summary>
    private async Task AcknowledgeAsync(MqttApplicationMessageReceivedEventArgs e, int generation)
    {
        if (generation != Volatile.Read(ref _generation) || !_client.IsConnected)
        {
            return; // the broker sends it again on the session's next connection
        }

        try
        {
            await e.AcknowledgeAsync(_stopping.Token);
        }
        catch (Exception ex)
        {
            LogAcknowledgementLost(ex.GetType().Name, e.ApplicationMessage.Topic);
        }
    }

    /// <summary>
    /// Anonymous, or provisioning under open registration, as an anonymous CONNECT to the embedded broker would be;
    /// an operator's key as the <c>auth_token</c> user property makes it an operator's, which lets the message name a
    /// Response Topic outside the registration replies.
    /// </summary>
    private Caller SessionOf(MqttApplicationMessage message) =>
        message.UserProperties is { Count: > 0 } && _directory.FindOperatorByKey(MqttMessages.AuthToken(message)) is { } operatorName
            ? Caller.Operator(operatorName)
            : _publisher;

    /// <summary>Ends the connection a message failed on, so that the broker sends the unacknowledged messages again.</summary>
    private void RequestRedelivery(int generation)
    {
        if (!_redelivering && !_draining && generation == Volatile.Read(ref _generation))
        {
            _redelivering = true;
            LogRedelivering(_options.ReconnectDelaySeconds);
            _connectionEnded.TrySetResult();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the MQTT broker at {Endpoint} as {ClientId} (session resumed: {SessionPresent}); subscribed to every route in shared group {Group}")]
    private partial void LogConnected(string endpoint, string clientId, bool sessionPresent, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The MQTT broker at {Endpoint} refused the connection: {Reason}; trying again")]
    private partial void LogConnectRefused(string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not connect to the MQTT broker at {Endpoint}: {ExceptionType}: {Reason}; trying again")]
    private partial void LogConnectFailed(string endpoint, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The MQTT broker refused the subscription {Filter}: {Reason} (check the gateway account's ACL); trying again")]
    private partial void LogSubscriptionRefused(string filter, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to the MQTT broker at {Endpoint}; reconnecting")]
    private partial void LogConnectionLost(string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message failed for a passing fault: reconnecting after {DelaySeconds} s or more so that the broker sends the unacknowledged messages again")]
    private partial void LogRedelivering(double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a message on {Topic} failed; not acknowledged, so the broker sends it again")]
    private partial void LogHandlingFailed(Exception exception, string topic);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The acknowledgement of a message on {Topic} could not go out ({ExceptionType}); the broker sends the message again")]
    private partial void LogAcknowledgementLost(string exceptionType, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:ProvisioningKey is empty: any client the broker lets publish may register devices")]
    private partial void LogOpenRegistration();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} messages still being handled; they are not acknowledged and the broker will send them again")]
    private partial void LogDrainTimedOut(int count);
}
