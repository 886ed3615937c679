using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Tests.Routing;

public sealed class TopicRouterTests
{
    private static readonly MessageHandler Nothing = _ => ValueTask.FromResult(MessageResult.Accepted());

    private static TopicRouter DeviceRouter()
    {
        var router = DeviceRoutes.CreateRouter();
        router.Group("iot/devices", [], devices =>
        {
            devices.On("register/{device_id}", Nothing, qos: 1, publisher: CallerKind.Provisioning, name: "register");
            devices.On("heartbeat/{device_id}", Nothing, qos: 0, name: "heartbeat");
            devices.On("data/{device_id}/{sensor_type}", Nothing, qos: 1, name: "data");
            devices.On("control/{device_id}/command", Nothing, qos: 2, publisher: CallerKind.Operator, name: "command");
            devices.On("control/{device_id}/command/{command_id}/result", Nothing, qos: 1, name: "command-result");
            devices.On("alerts/rules", Nothing, qos: 1, publisher: CallerKind.Operator, name: "alert-rules");
            devices.On("alerts/rules/get", Nothing, qos: 1, publisher: CallerKind.Operator, name: "alert-rules-get");
            devices.On("alerts/{alert_id}/acknowledge", Nothing, qos: 1, publisher: CallerKind.Operator, name: "alert-acknowledge");
        });
        return router;
    }

    [Theory]
    [InlineData("iot/devices/register/device_001", "register")]
    [InlineData("iot/devices/heartbeat/dev-1", "heartbeat")]
    [InlineData("iot/devices/data/device_001/temperature", "data")]
    [InlineData("iot/devices/control/plant:7.a/command", "command")]
    [InlineData("iot/devices/control/d1/command/c-42/result", "command-result")]
    [InlineData("iot/devices/alerts/rules", "alert-rules")]
    [InlineData("iot/devices/alerts/rules/get", "alert-rules-get")]
    [InlineData("iot/devices/alerts/0f8fad5bd9cb469fa16570867728950e/acknowledge", "alert-acknowledge")]
    public void Matches_each_route_and_captures_its_parameters(string topic, string route)
    {
        var match = DeviceRouter().Match(topic);

        Assert.Equal(RouteMatchStatus.Matched, match.Status);
        Assert.Equal(route, match.Route!.Name);
    }

    [Fact]
    public void Captures_parameter_values_by_name()
    {
        var match = DeviceRouter().Match("iot/devices/data/device_001/temperature");

        Assert.Equal("device_001", match.Values["device_id"]);
        Assert.Equal("temperature", match.Values["sensor_type"]);
        Assert.Null(match.Values["command_id"]);
    }

    [Theory]
    [InlineData("iot/devices/register")]
    [InlineData("iot/devices/register/")]
    [InlineData("iot/devices/register/dev1/extra")]
    [InlineData("iot/devices/data/dev1")]
    [InlineData("iot/devices/data/dev1/temperature/more")]
    [InlineData("iot/devices/registers/dev1")]
    [InlineData("iot/device/register/dev1")]
    [InlineData("IOT/devices/register/dev1")]
    [InlineData("/iot/devices/register/dev1")]
    [InlineData("iot/devices//register/dev1")]
    [InlineData("iot/devices/control/dev1/commands")]
    [InlineData("iot/devices/control/dev1/command/c1")]
    [InlineData("iot/devices/control/dev1/command/c1/results")]
    [InlineData("iot/devices/alerts")]
    [InlineData("iot/devices/alerts/rules/get/all")]
    [InlineData("iot/devices/alerts/rules/set")]
    [InlineData("iot/devices/alerts/a1/acknowledged")]
    [InlineData("iot/devices/alerts/a1/acknowledge/now")]
    [InlineData("")]
    [InlineData("iot")]
    public void Topics_that_almost_match_match_no_route(string topic)
    {
        Assert.Equal(RouteMatchStatus.NoRoute, DeviceRouter().Match(topic).Status);
    }

    [Theory]
    [InlineData("iot/devices/register/-starts-with-dash", "device_id")]
    [InlineData("iot/devices/register/has space", "device_id")]
    [InlineData("iot/devices/register/data", "device_id")]
    [InlineData("iot/devices/register/unregister", "device_id")]
    [InlineData("iot/devices/heartbeat/dev+1", "device_id")]
    [InlineData("iot/devices/heartbeat/dev#", "device_id")]
    [InlineData("iot/devices/heartbeat/dév", "device_id")]
    [InlineData("iot/devices/data/dev1/temp:c", "sensor_type")]
    [InlineData("iot/devices/data/dev1/_temp", "sensor_type")]
    [InlineData("iot/devices/control/dev1/command/c$1/result", "command_id")]
    [InlineData("iot/devices/alerts/-a1/acknowledge", "alert_id")]
    [InlineData("iot/devices/alerts/a:1/acknowledge", "alert_id")]
    [InlineData("iot/devices/heartbeat/alerts", "device_id")]
    [InlineData("iot/devices/data/alerts/rules", "device_id")]
    public void Identifiers_outside_the_design_patterns_are_invalid_parameters(string topic, string parameter)
    {
        var match = DeviceRouter().Match(topic);

        Assert.Equal(RouteMatchStatus.InvalidParameter, match.Status);
        Assert.Equal(parameter, match.InvalidParameterName);
    }

    [Fact]
    public void Device_ids_up_to_128_characters_are_valid_and_longer_ones_are_not()
    {
        var router = DeviceRouter();
        var longest = "d" + new string('x', 127);

        Assert.Equal(RouteMatchStatus.Matched, router.Match($"iot/devices/heartbeat/{longest}").Status);
        Assert.Equal(RouteMatchStatus.InvalidParameter, router.Match($"iot/devices/heartbeat/{longest}x").Status);
    }

    [Fact]
    public void Sensor_types_up_to_64_characters_are_valid_and_longer_ones_are_not()
    {
        var router = DeviceRouter();
        var longest = "t" + new string('x', 63);

        Assert.Equal(RouteMatchStatus.Matched, router.Match($"iot/devices/data/d1/{longest}").Status);
        Assert.Equal(RouteMatchStatus.InvalidParameter, router.Match($"iot/devices/data/d1/{longest}x").Status);
    }

    [Fact]
    public void An_alert_id_as_device_grains_make_them_is_a_valid_alert_id_and_alert_topics_name_no_device()
    {
        var match = DeviceRouter().Match($"iot/devices/alerts/{Guid.NewGuid():N}/acknowledge");

        Assert.Equal(RouteMatchStatus.Matched, match.Status);
        Assert.Null(match.Values["device_id"]);
        Assert.Null(DeviceRouter().Match("iot/devices/alerts/rules").Values["device_id"]);
    }

    [Fact]
    public void Routes_keep_their_qos_and_publisher()
    {
        var route = DeviceRouter().Match("iot/devices/control/d1/command").Route!;

        Assert.Equal(2, route.Qos);
        Assert.Equal(CallerKind.Operator, route.Publisher);
        Assert.Equal("iot/devices/control/+/command", route.Template.ToSubscriptionFilter());
    }

    [Fact]
    public async Task Middleware_runs_in_order_and_can_stop_a_message()
    {
        var calls = new List<string>();
        var router = new TopicRouter();
        router.Group("a", [new Recording("outer", calls, stop: false)], outer =>
            outer.Group("b", [new Recording("inner", calls, stop: false), new Recording("gate", calls, stop: true)], inner =>
                inner.On("{x}", _ =>
                {
                    calls.Add("handler");
                    return ValueTask.FromResult(MessageResult.Accepted());
                })));

        var match = router.Match("a/b/c");
        var result = await match.Route!.Pipeline(new MessageContext(new InboundMessage("a/b/c", default, 0, Caller.Anonymous), match.Route, match.Values));

        Assert.Equal(["outer", "inner", "gate"], calls);
        Assert.Equal(MessageOutcome.Refused, result.Outcome);
        Assert.Equal(ErrorCodes.Forbidden, result.ErrorCode);
    }

    [Fact]
    public async Task Middleware_that_passes_reaches_the_handler()
    {
        var calls = new List<string>();
        var router = new TopicRouter();
        router.Group("a", [new Recording("first", calls, stop: false), new Recording("second", calls, stop: false)], group =>
            group.On("{x}", context =>
            {
                calls.Add($"handler:{context.Values["x"]}");
                return ValueTask.FromResult(MessageResult.Accepted());
            }));

        var match = router.Match("a/42");
        var result = await match.Route!.Pipeline(new MessageContext(new InboundMessage("a/42", default, 0, Caller.Anonymous), match.Route, match.Values));

        Assert.Equal(["first", "second", "handler:42"], calls);
        Assert.Equal(MessageOutcome.Accepted, result.Outcome);
    }

    [Fact]
    public void A_second_route_with_the_same_shape_is_refused()
    {
        var router = new TopicRouter();
        router.On("a/{x}", Nothing);

        Assert.Throws<ArgumentException>(() => router.On("a/{y}", Nothing));
    }

    [Theory]
    [InlineData("a/{x}/{x}")]
    [InlineData("a//b")]
    [InlineData("a/+/b")]
    [InlineData("a/#")]
    [InlineData("a/b{x}")]
    public void Malformed_templates_are_refused(string template)
    {
        Assert.Throws<ArgumentException>(() => new TopicTemplate(template));
    }

    private sealed class Recording(string name, List<string> calls, bool stop) : IMessageMiddleware
    {
        public ValueTask<MessageResult> InvokeAsync(MessageContext context, MessageHandler next)
        {
            calls.Add(name);
            return stop ? ValueTask.FromResult(MessageResult.Refused(ErrorCodes.Forbidden, "stopped")) : next(context);
        }
    }
}
