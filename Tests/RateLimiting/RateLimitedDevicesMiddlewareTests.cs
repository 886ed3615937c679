using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.Middleware;
using Orleans.IoT.Gateway.RateLimiting;
using Orleans.IoT.Gateway.Routing;
using Orleans.IoT.Gateway.Security;
using Orleans.IoT.Grains;

namespace Orleans.IoT.Tests.RateLimiting;

/// <summary>
/// The gateway's cache of rate-limited devices behind the real authentication middleware, in front of a stand-in for
/// the device grain (token <c>secret</c>, 3 messages per 30 s window). Only the device's own traffic may put it there.
/// </summary>
public sealed class RateLimitedDevicesMiddlewareTests
{
    private const string Victim = "victim";
    private const string Token = "secret";
    private const int Limit = 3;
    private const int WindowSeconds = 30;

    private readonly FakeTimeProvider _clock = new();
    private readonly TopicRouter _router;
    private readonly RateLimitedDevices _devices;
    private FixedWindowRateLimiter _limit;
    private int _grainCalls;

    public RateLimitedDevicesMiddlewareTests()
    {
        _devices = new RateLimitedDevices(_clock);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var directory = new OperatorDirectory(Options.Create(new AuthOptions()));
        _router = DeviceRoutes.CreateRouter();
        _router.Group("iot/devices", [new JsonObjectMiddleware(), new AuthenticationMiddleware(directory, "test-gateway")], devices =>
        {
            devices.On("unregister/{device_id}", Grain, qos: 1, publisher: CallerKind.Device, name: "unregister");
            devices.Group(string.Empty, [new RateLimitedDevicesMiddleware(_devices, _clock, new GatewayMetrics(meters))], device =>
                device.On("data/{device_id}/{sensor_type}", Grain, qos: 1, publisher: CallerKind.Device, name: "data"));
        });
    }

    [Fact]
    public async Task The_devices_own_flood_is_refused_at_the_gateway_until_the_retry_after_the_grain_gave()
    {
        for (var i = 0; i < Limit; i++)
        {
            Assert.Equal(MessageOutcome.Accepted, (await SendAsync(OwnSession)).Outcome);
        }

        var byTheGrain = await SendAsync(OwnSession);
        Assert.Equal(ErrorCodes.RateLimited, byTheGrain.ErrorCode);
        var callsSoFar = _grainCalls;

        _clock.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 100; i++)
        {
            var local = await SendAsync(OwnSession);
            Assert.Equal(ErrorCodes.RateLimited, local.ErrorCode);
            Assert.Equal(20, local.RetryAfterSeconds);
        }

        Assert.Equal(callsSoFar, _grainCalls);
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(MessageOutcome.Accepted, (await SendAsync(OwnSession)).Outcome);
    }

    [Fact]
    public async Task No_other_sender_can_get_the_devices_messages_refused()
    {
        var anonymous = Caller.Provisioning;
        var anotherDevice = Caller.Device("attacker", "its-own-token");
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(ErrorCodes.Unauthorized, (await SendAsync(anonymous)).ErrorCode);
            Assert.Equal(ErrorCodes.Unauthorized, (await SendAsync(anonymous, """{"value":1,"auth_token":"guess"}""")).ErrorCode);
            Assert.Equal(ErrorCodes.Forbidden, (await SendAsync(anotherDevice)).ErrorCode);
        }

        Assert.Null(_devices.RetryAfter(Victim));
        Assert.Equal(MessageOutcome.Accepted, (await SendAsync(OwnSession)).Outcome);
    }

    [Fact]
    public async Task Routes_the_limit_does_not_count_are_never_refused_for_it()
    {
        for (var i = 0; i <= Limit; i++)
        {
            await SendAsync(OwnSession);
        }

        Assert.NotNull(_devices.RetryAfter(Victim));
        var context = Context($"iot/devices/unregister/{Victim}", "{}", OwnSession);

        Assert.Equal(MessageOutcome.Accepted, (await context.Route.Pipeline(context)).Outcome);
    }

    private static Caller OwnSession => Caller.Device(Victim, Token);

    private ValueTask<MessageResult> SendAsync(Caller session, string payload = """{"value":1}""")
    {
        var context = Context($"iot/devices/data/{Victim}/temperature", payload, session);
        return context.Route.Pipeline(context);
    }

    private MessageContext Context(string topic, string payload, Caller session)
    {
        var match = _router.Match(topic);
        return new MessageContext(new InboundMessage(topic, System.Text.Encoding.UTF8.GetBytes(payload), 1, session), match.Route!, match.Values);
    }

    /// <summary>The device grain's part: it verifies the token, then counts; a refused message is not counted.</summary>
    private ValueTask<MessageResult> Grain(MessageContext context)
    {
        _grainCalls++;
        if (context.Caller.DeviceToken != Token)
        {
            return ValueTask.FromResult(MessageResult.Refused(ErrorCodes.Unauthorized, "auth_token is not valid for this device"));
        }

        if (context.Route.Name == "unregister")
        {
            return ValueTask.FromResult(MessageResult.Accepted());
        }

        return ValueTask.FromResult(_limit.TryAcquire(_clock.GetUtcNow().ToUnixTimeMilliseconds(), Limit, WindowSeconds) is { } retryAfter
            ? MessageResult.Refused(ErrorCodes.RateLimited, "over the limit", retryAfter)
            : MessageResult.Accepted());
    }
}
