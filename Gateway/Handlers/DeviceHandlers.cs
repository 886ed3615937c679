using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.RateLimiting;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Handlers;

/// <summary>The device lifecycle and telemetry routes: each reads its request, calls the device grain and answers.</summary>
public sealed class DeviceHandlers(
    DeviceGrains grains,
    IOutboundPublisher outbound,
    IDeviceSessions sessions,
    IOptions<DeviceServerConfigOptions> serverConfig,
    IOptions<ValidationOptions> validation,
    RegistrationRateLimiter registrationsPerClient,
    GatewayMetrics metrics,
    TimeProvider clock)
{
    private readonly double _maxClockSkewSeconds = validation.Value.MaxClockSkewSeconds;

    public async ValueTask<MessageResult> Register(MessageContext context)
    {
        if (!RequestReader.TryReadRegistration(context.Json, out var request, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        // Counted once the request would reach the grain: that call is what the limit spares. Operators are not limited.
        if (!context.Caller.IsOperator && context.Message.SessionId is { } clientId && registrationsPerClient.TryAcquire(clientId) is { } retryAfter)
        {
            metrics.RateLimited(GatewayMetrics.RegistrationsPerClientLimit, atGateway: true);
            return MessageResult.Refused(ErrorCodes.RateLimited, "this client asked for too many registrations", retryAfter);
        }

        var deviceId = context.DeviceId!;
        var outcome = await Device(deviceId).Register(request, context.Caller, context.CancellationToken);
        if (!outcome.Result.IsOk)
        {
            if (outcome.Result.ErrorCode == ErrorCodes.RateLimited)
            {
                metrics.RateLimited(GatewayMetrics.RegistrationsPerDeviceLimit, atGateway: false);
            }

            return Refused(outcome.Result);
        }

        sessions.TokenRotated(deviceId, outcome.AuthToken!, context.Message.SessionId);
        var response = Payloads.RegisterResponse(deviceId, outcome.AuthToken!, outcome.Timestamp, serverConfig.Value);
        await outbound.PublishAsync(
            new OutboundMessage(OutboundTopics.RegisterResponse(deviceId), response, 1, OnlyForSession: context.Message.SessionId ?? string.Empty),
            context.CancellationToken);
        return MessageResult.Accepted(response);
    }

    public async ValueTask<MessageResult> Unregister(MessageContext context)
    {
        var (result, response) = await UnregisterAsync(context.DeviceId!, context.Caller, context.CancellationToken);
        return result.IsOk ? MessageResult.Accepted(response) : Refused(result);
    }

    /// <summary>
    /// Unregisters the device for <paramref name="caller"/>, over MQTT or the HTTP API alike: publishes
    /// <c>unregister/response</c> and ends the device's sessions once it is delivered. Returns the grain's refusal, or
    /// the response published.
    /// </summary>
    public async ValueTask<(DeviceResult Result, byte[] Response)> UnregisterAsync(string deviceId, Caller caller, CancellationToken cancellationToken)
    {
        var result = await Device(deviceId).Unregister(caller, cancellationToken);
        if (!result.IsOk)
        {
            return (result, []);
        }

        var response = Payloads.UnregisterResponse(deviceId, Now());
        await outbound.PublishAsync(new OutboundMessage(OutboundTopics.UnregisterResponse(deviceId), response, 1), cancellationToken);
        sessions.Unregistered(deviceId);
        return (result, response);
    }

    public async ValueTask<MessageResult> Heartbeat(MessageContext context)
    {
        if (!RequestReader.TryReadMetrics(context.Json, out var metrics, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var result = await Device(context.DeviceId!).Heartbeat(metrics, context.Caller, context.CancellationToken);
        return Answer(context, result, "heartbeat_received");
    }

    public async ValueTask<MessageResult> Status(MessageContext context)
    {
        if (!RequestReader.TryReadStatus(context.Json, out var report, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var result = await Device(context.DeviceId!).ReportStatus(report, context.Caller, context.CancellationToken);
        return Answer(context, result, "status_updated");
    }

    public async ValueTask<MessageResult> SensorData(MessageContext context)
    {
        var deviceId = context.DeviceId!;
        if (!RequestReader.TryReadReading(context.Json, deviceId, context.Values.Required("sensor_type"), Now(), _maxClockSkewSeconds, out var reading, out var error))
        {
            return MessageResult.Refused(ErrorCodes.ValidationFailed, error);
        }

        var result = await Device(deviceId).RecordReading(reading, context.Caller, context.CancellationToken);
        return Answer(context, result, "data_received");
    }

    private IDeviceGrain Device(string deviceId) => grains.Get(deviceId);

    /// <summary>The outcome; an acknowledgement payload is built only for a sender that gave a response topic.</summary>
    private MessageResult Answer(MessageContext context, DeviceResult result, string acknowledgement) =>
        !result.IsOk ? Refused(result)
        : context.Message.ResponseTopic is null ? MessageResult.Accepted()
        : MessageResult.Accepted(Payloads.Acknowledged(acknowledgement, Now()));

    private static MessageResult Refused(DeviceResult result) =>
        MessageResult.Refused(result.ErrorCode!, result.Message ?? result.ErrorCode!, result.RetryAfterSeconds);

    private double Now() => clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
}
