using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Gateway.RateLimiting;
using Orleans.IoT.Gateway.Routing;
using Orleans.Runtime;

namespace Orleans.IoT.Tests.Routing;

/// <summary>DESIGN §2's two failure classes: a passing fault is not acknowledged; anything else is internal_error, acknowledged.</summary>
public sealed class MessageDispatcherTests
{
    public static TheoryData<Exception> PassingFaults => new()
    {
        new PassingFaultException("storage down"),
        new TimeoutException(),
        new SiloUnavailableException(),
        new IOException("reset"),
        new InvalidOperationException("wrapped", new TimeoutException()),
    };

    public static TheoryData<Exception> PermanentFailures => new()
    {
        new InvalidOperationException("Cannot read invalid UTF-16 JSON text as string."),
        new ArgumentException("bad"),
        new NullReferenceException(),
        new FormatException(),
    };

    [Theory]
    [MemberData(nameof(PassingFaults))]
    public async Task A_passing_fault_leaves_the_message_unacknowledged(Exception fault)
    {
        var (dispatcher, outbound) = Dispatcher(_ => throw fault);

        var result = await dispatcher.DispatchAsync(Message());

        Assert.Equal(MessageOutcome.Failed, result.Outcome);
        Assert.True(new FailureClassifier().IsPassing(fault));
        Assert.Single(outbound.Published, m => m.Topic == "iot/devices/dev-1/errors");
    }

    [Theory]
    [MemberData(nameof(PermanentFailures))]
    public async Task Any_other_failure_is_an_acknowledged_internal_error(Exception failure)
    {
        var (dispatcher, outbound) = Dispatcher(_ => throw failure);

        var result = await dispatcher.DispatchAsync(Message());

        Assert.Equal(MessageOutcome.Refused, result.Outcome);
        Assert.Equal(ErrorCodes.InternalError, result.ErrorCode);
        Assert.DoesNotContain(failure.Message, result.Message);
        Assert.False(new FailureClassifier().IsPassing(failure));
        Assert.Single(outbound.Published, m => m.Topic == "iot/devices/dev-1/errors");
    }

    [Fact]
    public void The_host_adds_its_adapters_passing_faults()
    {
        var classifier = new FailureClassifier(typeof(KeyNotFoundException));

        Assert.True(classifier.IsPassing(new InvalidOperationException("wrapped", new KeyNotFoundException())));
        Assert.False(new FailureClassifier().IsPassing(new KeyNotFoundException()));
    }

    [Fact]
    public async Task A_reply_to_a_response_topic_is_for_the_asking_session_only()
    {
        var (dispatcher, outbound) = Dispatcher(_ => ValueTask.FromResult(MessageResult.Accepted()));

        await dispatcher.DispatchAsync(Message() with
        {
            Session = Caller.Device("dev-1", "t"),
            ResponseTopic = "iot/devices/dev-1/replies",
            SessionId = "dev-1",
        });

        var reply = Assert.Single(outbound.Published);
        Assert.Equal("iot/devices/dev-1/replies", reply.Topic);
        Assert.Equal("dev-1", reply.OnlyForSession);
    }

    [Fact]
    public async Task Refusals_are_copied_to_the_errors_topic_within_the_devices_budget_and_replied_to_every_time()
    {
        var (dispatcher, outbound) = Dispatcher(_ => ValueTask.FromResult(MessageResult.Refused(ErrorCodes.Unauthorized, "no")), new ErrorPublicationBudget(3, TimeSpan.FromSeconds(60), TimeProvider.System));
        var anonymous = Message() with { ResponseTopic = "iot/devices/dev-1/register/response" };
        var own = Message() with { Session = Caller.Device("dev-1", "t"), SessionId = "dev-1", ResponseTopic = "iot/devices/dev-1/replies" };

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(ErrorCodes.Unauthorized, (await dispatcher.DispatchAsync(anonymous)).ErrorCode);
        }

        for (var i = 0; i < 5; i++)
        {
            await dispatcher.DispatchAsync(own);
        }

        Assert.Equal(6, outbound.Published.Count(m => m.Topic == "iot/devices/dev-1/errors")); // 3 for others, 3 for the device's own session
        Assert.Equal(50, outbound.Published.Count(m => m.Topic == "iot/devices/dev-1/register/response"));
        Assert.Equal(5, outbound.Published.Count(m => m.Topic == "iot/devices/dev-1/replies"));
    }

    [Fact]
    public async Task A_refusal_on_a_route_that_names_no_device_is_replied_to_and_copied_to_no_errors_topic()
    {
        var router = DeviceRoutes.CreateRouter();
        router.Group("iot/devices", [], devices => devices.On(
            "alerts/{alert_id}/acknowledge", _ => ValueTask.FromResult(MessageResult.Refused(ErrorCodes.ValidationFailed, "no alert with this id")), qos: 1, publisher: CallerKind.Operator));
        var (dispatcher, outbound) = Dispatcher(router);
        var message = new InboundMessage("iot/devices/alerts/a1/acknowledge", "{}"u8.ToArray(), 1, Caller.Operator("ops"), ResponseTopic: "ops/replies", SessionId: "ops");

        Assert.Equal(ErrorCodes.ValidationFailed, (await dispatcher.DispatchAsync(message)).ErrorCode);
        Assert.Equal(ErrorCodes.ValidationFailed, (await dispatcher.DispatchAsync(message with { Topic = "iot/devices/alerts/a$1/acknowledge" })).ErrorCode);

        Assert.Equal(["ops/replies", "ops/replies"], outbound.Published.Select(m => m.Topic));
    }

    private static InboundMessage Message() =>
        new("iot/devices/data/dev-1/temperature", "{}"u8.ToArray(), 1, Caller.Anonymous, SessionId: "client-1");

    private static (MessageDispatcher Dispatcher, RecordingPublisher Outbound) Dispatcher(MessageHandler handler, ErrorPublicationBudget? errorBudget = null)
    {
        var router = DeviceRoutes.CreateRouter();
        router.Group("iot/devices", [], devices => devices.On("data/{device_id}/{sensor_type}", handler, qos: 1, name: "data"));
        return Dispatcher(router, errorBudget);
    }

    private static (MessageDispatcher Dispatcher, RecordingPublisher Outbound) Dispatcher(TopicRouter router, ErrorPublicationBudget? errorBudget = null)
    {
        var outbound = new RecordingPublisher();
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var dispatcher = new MessageDispatcher(
            router, outbound, errorBudget ?? new ErrorPublicationBudget(100, TimeSpan.FromSeconds(60), TimeProvider.System), new FailureClassifier(), TimeProvider.System, new GatewayMetrics(meters), NullLogger<MessageDispatcher>.Instance);
        return (dispatcher, outbound);
    }

    private sealed class RecordingPublisher : IOutboundPublisher
    {
        public List<OutboundMessage> Published { get; } = [];

        public ValueTask PublishAsync(OutboundMessage message, CancellationToken cancellationToken = default)
        {
            Published.Add(message);
            return ValueTask.CompletedTask;
        }
    }
}
