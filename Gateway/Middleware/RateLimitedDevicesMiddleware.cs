using System.Runtime.CompilerServices;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.RateLimiting;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Middleware;

/// <summary>
/// On the routes the device's message rate limit counts: once the device grain refused one of its messages
/// <c>rate_limited</c>, refuses its further messages here, without a grain call, until the <c>retry_after</c> it gave
/// (<see cref="RateLimitedDevices"/>). It runs after <see cref="AuthenticationMiddleware"/>, and only a grain's refusal
/// adds a device, which the grain gives only after it verified the sender: no one but the device (or an operator) can
/// get its messages refused.
/// </summary>
public sealed class RateLimitedDevicesMiddleware(RateLimitedDevices devices, TimeProvider clock, GatewayMetrics metrics) : IMessageMiddleware
{
    public ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next)
    {
        var deviceId = context.DeviceId!;
        if (devices.RetryAfter(deviceId) is { } retryAfter)
        {
            metrics.RateLimited(GatewayMetrics.MessagesLimit, atGateway: true);
            return ValueTask.FromResult(MessageResult.Refused(ErrorCodes.RateLimited, "the device is over its message rate limit", retryAfter));
        }

        return ObserveAsync(deviceId, clock.GetTimestamp(), next(context));
    }

    // Pooled: it wraps the handling of every device message.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageResult> ObserveAsync(string deviceId, long sentAt, ValueTask<MessageResult> handling)
    {
        var result = await handling;
        if (result.ErrorCode == ErrorCodes.RateLimited && result.RetryAfterSeconds is { } retryAfter)
        {
            metrics.RateLimited(GatewayMetrics.MessagesLimit, atGateway: false);
            devices.Add(deviceId, sentAt, retryAfter);
        }

        return result;
    }
}
