using MQTTnet;
using MQTTnet.Formatter;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// Operators' alert topics end to end over MQTT: setting and reading the rules, acknowledging an alert. The node's rules
/// are shared by its whole collection: a test that changes them puts back the rules it found. In either broker mode.
/// </summary>
public abstract class AlertOperationsFlows(NodeFixture node)
{
    protected NodeFixture Node => node;

    protected const string RulesTopic = "iot/devices/alerts/rules";
    protected const string GetRulesTopic = "iot/devices/alerts/rules/get";
    private const string Replies = "ops/alert-replies";

    protected const string HumidityRule = """
        {"auth_token":"ignored","rules":[
          {"sensor_type":"temperature","operator":">","threshold":80,"severity":"high"},
          {"id":"damp","sensor_type":"humidity","operator":">","threshold":90,"severity":"medium","clear_threshold":85}]}
        """;

    protected IAlertRulesGrain RulesGrain => node.Grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);

    [Fact]
    public async Task An_operator_sets_a_rule_that_raises_on_the_next_reading_then_acknowledges_the_alert()
    {
        var before = await RulesGrain.GetRules();
        try
        {
            var (deviceId, token) = await node.RegisterDeviceAsync();
            await using var operatorClient = await node.ConnectOperatorAsync();
            await operatorClient.SubscribeAsync(Replies);
            await operatorClient.SubscribeAsync($"iot/alerts/medium/{deviceId}");

            var set = await operatorClient.PublishAsync(RulesTopic, HumidityRule, configure: b => b.WithResponseTopic(Replies).WithCorrelationData([4, 2]));

            Assert.True(set.IsSuccess, set.ReasonString);
            var reply = await operatorClient.WaitForAsync(Replies);
            Assert.Equal(new byte[] { 4, 2 }, reply.CorrelationData);
            var rules = Json(reply);
            Assert.Equal(before.Version + 1, rules.GetProperty("version").GetInt64());
            Assert.Equal(["temperature>80", "damp"], rules.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
            var damp = rules.GetProperty("rules")[1];
            Assert.Equal(("humidity", ">", 90.0, "medium", 85.0), (damp.GetProperty("sensor_type").GetString(), damp.GetProperty("operator").GetString(),
                damp.GetProperty("threshold").GetDouble(), damp.GetProperty("severity").GetString(), damp.GetProperty("clear_threshold").GetDouble()));

            Assert.True((await operatorClient.PublishAsync(GetRulesTopic, "{}", configure: b => b.WithResponseTopic(Replies))).IsSuccess);
            Assert.Equal(rules.GetRawText(), (await operatorClient.WaitForJsonAsync(Replies)).GetRawText());

            await using var device = await node.ConnectDeviceAsync(deviceId, token);
            await node.AcceptedAsync(device, $"iot/devices/data/{deviceId}/humidity", """{"value":95}""");
            var alert = await operatorClient.WaitForJsonAsync($"iot/alerts/medium/{deviceId}");
            Assert.Equal(("active", "damp", 95.0), (alert.GetProperty("state").GetString(), alert.GetProperty("rule").GetString(), alert.GetProperty("value").GetDouble()));
            var alertId = alert.GetProperty("alert_id").GetString()!;

            var acknowledge = await operatorClient.PublishAsync($"iot/devices/alerts/{alertId}/acknowledge", "{}", configure: b => b.WithResponseTopic(Replies).WithCorrelationData([9]));

            Assert.True(acknowledge.IsSuccess, acknowledge.ReasonString);
            var acknowledged = await operatorClient.WaitForAsync(Replies);
            Assert.Equal(new byte[] { 9 }, acknowledged.CorrelationData);
            Assert.Equal($$"""{"alert_id":"{{alertId}}","acknowledged":true}""", acknowledged.ConvertPayloadToString());
            var stored = Assert.Single(await node.Services.GetRequiredService<IAlertReader>().ReadDeviceHistoryAsync(deviceId, 10, CancellationToken.None));
            Assert.Equal((alertId, NodeFixture.OperatorName, AlertStates.Active), (stored.AlertId, stored.AcknowledgedBy, stored.State));
            Assert.NotNull(stored.AcknowledgedAt);
        }
        finally
        {
            await RestoreAsync(before);
        }
    }

    [Theory]
    [InlineData("""{"rules":[{"sensor_type":"humidity","operator":">","threshold":"90","severity":"medium"}]}""", "validation_failed: 'rules[0].threshold' must be a finite number")]
    [InlineData("""{"rules":[{"sensor_type":"humidity","operator":">","severity":"medium"}]}""", "validation_failed: 'rules[0].threshold' is required")]
    [InlineData("""{"rules":[{"sensor_type":"humidity","operator":"=>","threshold":90,"severity":"medium"}]}""", "validation_failed: rules:0:Operator must be one of")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","threshold":1,"severity":"high"},{"sensor_type":"t","operator":">","threshold":1,"severity":"urgent"}]}""", "validation_failed: rules:1:Severity must be one of")]
    [InlineData("""{"rules":[5]}""", "validation_failed: 'rules[0]' must be an object")]
    public async Task Bad_rules_are_refused_naming_the_rule_and_field_and_change_nothing(string payload, string expected)
    {
        var before = await RulesGrain.GetRules();
        await using var operatorClient = await node.ConnectOperatorAsync();

        var refusal = await node.RefusedAsync(operatorClient, RulesTopic, payload);

        node.AssertRefusalAck(refusal, MqttClientPublishReasonCode.ImplementationSpecificError);
        Assert.StartsWith(expected, $"{refusal.Code}: {refusal.Message}");
        Assert.Equal(before.Version, (await RulesGrain.GetRules()).Version);
    }

    [Fact]
    public async Task An_unknown_alert_id_is_refused_without_echoing_it()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync(Replies);
        var unknown = Guid.NewGuid().ToString("N");

        var refusal = await node.RefusedAsync(operatorClient, $"iot/devices/alerts/{unknown}/acknowledge", "{}", configure: b => b.WithResponseTopic(Replies));

        node.AssertRefusalAck(refusal, MqttClientPublishReasonCode.ImplementationSpecificError);
        Assert.Equal(("validation_failed", "no alert with this id"), (refusal.Code, refusal.Message));
        var reply = await operatorClient.WaitForJsonAsync(Replies);
        Assert.Equal(("validation_failed", "no alert with this id"), (reply.GetProperty("code").GetString(), reply.GetProperty("message").GetString()));
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/errors", TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void The_alert_topics_are_routes_of_their_own_that_name_no_device()
    {
        var router = node.Services.GetRequiredService<TopicRouter>();

        foreach (var (topic, route) in new[]
        {
            (RulesTopic, "alert-rules"),
            (GetRulesTopic, "alert-rules-get"),
            ($"iot/devices/alerts/{Guid.NewGuid():N}/acknowledge", "alert-acknowledge"),
        })
        {
            var match = router.Match(topic);
            Assert.Equal((RouteMatchStatus.Matched, route, CallerKind.Operator, 1), (match.Status, match.Route!.Name, match.Route.Publisher, match.Route.Qos));
            Assert.Null(match.Values["device_id"]);
        }
    }

    protected async Task RestoreAsync(AlertRuleSet rules)
    {
        var outcome = await RulesGrain.SetRules(rules.Rules, Caller.Operator(NodeFixture.OperatorName));
        Assert.True(outcome.Result.IsOk, outcome.Result.Message);
    }

    private static System.Text.Json.JsonElement Json(MqttApplicationMessage message) =>
        System.Text.Json.JsonDocument.Parse(message.ConvertPayloadToString()).RootElement;
}

[Collection(NodeCollection.Name)]
public sealed class AlertOperationsTests(NodeFixture node) : AlertOperationsFlows(node)
{
    // Embedded only: MQTT 3.1.1 has no user properties, and behind Mosquitto an operator proves itself by the auth_token
    // one; and there the broker's PUBACK comes before the gateway has handled the message.
    [Fact]
    public async Task An_mqtt_3_operator_sets_the_rules_and_they_are_in_force()
    {
        var before = await RulesGrain.GetRules();
        try
        {
            await using var operatorClient = await TestMqttClient.ConnectAsync(
                Node.MqttPort, NodeFixture.OperatorName, NodeFixture.OperatorKey, clientId: $"ops-{Guid.NewGuid():N}", protocol: MqttProtocolVersion.V311);

            await operatorClient.PublishAsync(RulesTopic, HumidityRule);

            var now = await RulesGrain.GetRules();
            Assert.Equal(before.Version + 1, now.Version);
            Assert.Equal(["temperature>80", "damp"], now.Rules.Select(r => r.Id));
        }
        finally
        {
            await RestoreAsync(before);
        }
    }

    // Embedded only: behind Mosquitto, who may publish on the alert routes is its ACL's to decide (ExternalBrokerTests).
    [Fact]
    public async Task Devices_and_anonymous_sessions_may_not_use_the_alert_topics_and_no_device_is_told()
    {
        var before = await RulesGrain.GetRules();
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var device = await Node.ConnectDeviceAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/errors");
        await using var anonymous = await Node.ConnectAsync();
        string[] topics = [RulesTopic, GetRulesTopic, $"iot/devices/alerts/{Guid.NewGuid():N}/acknowledge"];

        foreach (var topic in topics)
        {
            var byDevice = await device.PublishAsync(topic, HumidityRule);
            var byAnonymous = await anonymous.PublishAsync(topic, HumidityRule);

            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byDevice.ReasonCode);
            Assert.Equal("forbidden: only operators may publish on this topic", byDevice.ReasonString);
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, byAnonymous.ReasonCode);
            Assert.StartsWith("forbidden", byAnonymous.ReasonString); // the payload's auth_token is no operator key
        }

        var withoutCredentials = await anonymous.PublishAsync(RulesTopic, "{}");
        Assert.Equal("unauthorized: this topic needs operator credentials", withoutCredentials.ReasonString);
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await device.SubscribeAsync("iot/devices/alerts/#"));
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/errors", TimeSpan.FromMilliseconds(300));
        Assert.Equal(before.Version, (await RulesGrain.GetRules()).Version);
    }
}

[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalAlertOperationsTests(ExternalNodeFixture node) : AlertOperationsFlows(node);
