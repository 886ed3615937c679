using Microsoft.Extensions.Logging;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.RateLimiting;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;

namespace Orleans.IoT.Gateway.Messaging;

/// <summary>
/// Runs one inbound message through the router and its route's pipeline, then tells the sender what
/// became of it: refusals on the device's error topic (or <c>register/error</c>), and the result or
/// error on an MQTT 5 response topic. The transport turns the returned result into an acknowledgement. Copies on a
/// device's error topics are bounded per device (<see cref="ErrorPublicationBudget"/>); the Response Topic reply is not.
/// </summary>
public sealed partial class MessageDispatcher(
    TopicRouter router,
    IOutboundPublisher outbound,
    ErrorPublicationBudget errorBudget,
    FailureClassifier failures,
    TimeProvider clock,
    GatewayMetrics metrics,
    ILogger<MessageDispatcher> logger)
{
    /// <summary>Messages that failed for a passing fault since the last one that was handled: logged when the run starts and ends.</summary>
    private int _passingFaults;

    public TopicRouter Router => router;

    public async ValueTask<MessageResult> DispatchAsync(InboundMessage message)
    {
        var started = clock.GetTimestamp();
        var match = router.Match(message.Topic);
        MessageResult result;
        var replyTopic = message.ResponseTopic;
        if (replyTopic is not null && !TopicAccessPolicy.CanSubscribe(message.Session, replyTopic))
        {
            result = MessageResult.Refused(ErrorCodes.Forbidden, "this session may not use that response topic");
            replyTopic = null;
        }
        else if (match.Status == RouteMatchStatus.Matched)
        {
            // Run here rather than in a helper: one async layer fewer per message.
            try
            {
                result = await match.Route!.Pipeline(new MessageContext(message, match.Route, match.Values));
            }
            catch (OperationCanceledException) when (message.CancellationToken.IsCancellationRequested)
            {
                result = MessageResult.Failed("the gateway is stopping, or lost a silo while the message was handled; send it again");
            }
            catch (Exception ex) when (failures.IsPassing(ex))
            {
                if (Interlocked.Increment(ref _passingFaults) == 1)
                {
                    LogPassingFaultsStarted(match.Route!.Name, ex.GetType().Name, ex.Message);
                }

                result = MessageResult.Failed("the message could not be processed now; send it again");
            }
            catch (Exception ex)
            {
                LogInternalError(ex, match.Route!.Name, message.Topic);
                result = MessageResult.Refused(ErrorCodes.InternalError, "the message could not be processed");
            }
        }
        else
        {
            result = match.Status == RouteMatchStatus.InvalidParameter
                ? MessageResult.Refused(ErrorCodes.ValidationFailed, $"the topic's {match.InvalidParameterName} is not valid")
                : MessageResult.Refused(ErrorCodes.UnknownRoute, "no route for this topic");
        }

        if (result.Outcome != MessageOutcome.Failed && Volatile.Read(ref _passingFaults) > 0)
        {
            var failed = Interlocked.Exchange(ref _passingFaults, 0);
            if (failed > 0)
            {
                LogPassingFaultsEnded(failed);
            }
        }

        await ReportAsync(message, match, result, replyTopic);
        metrics.MessageHandled(match.Route?.Name ?? "none", result, clock.GetElapsedTime(started));
        return result;
    }

    private async ValueTask ReportAsync(InboundMessage message, RouteMatch match, MessageResult result, string? replyTopic)
    {
        try
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
            ReadOnlyMemory<byte> error = default;
            if (result.Outcome != MessageOutcome.Accepted)
            {
                error = Payloads.Error(result.ErrorCode!, result.Message!, message.Topic, now, result.RetryAfterSeconds);
                var deviceId = match.Values["device_id"];
                if (deviceId is not null && router.IsValid("device_id", deviceId))
                {
                    var fromItsOwnSession = message.Session.Kind == CallerKind.Device && message.Session.Name == deviceId;
                    if (errorBudget.TryTake(deviceId, fromItsOwnSession))
                    {
                        var topic = match.Route?.Name == DeviceRoutes.Register
                            ? OutboundTopics.RegisterError(deviceId)
                            : OutboundTopics.Errors(deviceId);
                        await outbound.PublishAsync(new OutboundMessage(topic, error, 1));
                    }
                    else
                    {
                        metrics.ErrorUnpublished();
                    }
                }
            }

            if (replyTopic is not null)
            {
                var reply = result.Outcome == MessageOutcome.Accepted
                    ? (result.Reply.IsEmpty ? Payloads.Acknowledged("accepted", now) : result.Reply)
                    : error;
                await outbound.PublishAsync(new OutboundMessage(replyTopic, reply, 1, message.CorrelationData, OnlyForSession: message.SessionId));
            }
        }
        catch (Exception ex)
        {
            LogReportFailed(ex, message.Topic);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Messages are failing for a passing fault and are not acknowledged, so devices send them again; first on route {Route}: {ExceptionType}: {Reason}")]
    private partial void LogPassingFaultsStarted(string route, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Messages are handled again after {Count} failed for a passing fault")]
    private partial void LogPassingFaultsEnded(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Route {Route} failed for a message on {Topic}; refused with internal_error and acknowledged")]
    private partial void LogInternalError(Exception exception, string route, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish the outcome of a message on {Topic}")]
    private partial void LogReportFailed(Exception exception, string topic);
}
