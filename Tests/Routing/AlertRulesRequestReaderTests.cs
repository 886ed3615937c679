using System.Text.Json;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Tests.Routing;

/// <summary>An operator's alert rules on <c>iot/devices/alerts/rules</c>: the kinds of their fields, each refusal naming the field.</summary>
public sealed class AlertRulesRequestReaderTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void Reads_every_field_of_every_rule()
    {
        var ok = RequestReader.TryReadAlertRules(Json("""
            {"auth_token":"k","rules":[
              {"id":"hot","sensor_type":"temperature","device_type":"thermometer","operator":">","threshold":80,"severity":"high","clear_threshold":75,"note":"ignored"},
              {"sensor_type":"humidity","operator":">=","threshold":90.5,"severity":"medium"}]}
            """), out var rules, out var error);

        Assert.True(ok, error);
        Assert.Equal(
            [
                new AlertRule { Id = "hot", SensorType = "temperature", DeviceType = "thermometer", Operator = ">", Threshold = 80, Severity = "high", ClearThreshold = 75 },
                new AlertRule { SensorType = "humidity", Operator = ">=", Threshold = 90.5, Severity = "medium" },
            ],
            rules);
    }

    [Fact]
    public void Optional_fields_given_as_null_are_absent()
    {
        Assert.True(RequestReader.TryReadAlertRules(
            Json("""{"rules":[{"id":null,"sensor_type":"t","device_type":null,"operator":"<","threshold":-5,"severity":"low","clear_threshold":null}]}"""),
            out var rules,
            out var error), error);

        Assert.Equal(new AlertRule { SensorType = "t", Operator = "<", Threshold = -5, Severity = "low" }, Assert.Single(rules));
    }

    [Fact]
    public void An_empty_list_is_read_as_no_rules() =>
        Assert.Empty(RequestReader.TryReadAlertRules(Json("""{"rules":[]}"""), out var rules, out _) ? rules : null!);

    [Theory]
    [InlineData("""{}""", "'rules' is required")]
    [InlineData("""{"rules":null}""", "'rules' is required")]
    [InlineData("""{"rules":{"sensor_type":"t"}}""", "'rules' must be an array of at most 100 rules")]
    [InlineData("""{"rules":"temperature > 80"}""", "'rules' must be an array of at most 100 rules")]
    [InlineData("""{"rules":[RULE,5]}""", "'rules[1]' must be an object")]
    [InlineData("""{"rules":[RULE,null]}""", "'rules[1]' must be an object")]
    [InlineData("""{"rules":[{"operator":">","threshold":1,"severity":"high"}]}""", "'rules[0].sensor_type' is required")]
    [InlineData("""{"rules":[{"sensor_type":" ","operator":">","threshold":1,"severity":"high"}]}""", "'rules[0].sensor_type' is required")]
    [InlineData("""{"rules":[{"sensor_type":7,"operator":">","threshold":1,"severity":"high"}]}""", "'rules[0].sensor_type' must be a string")]
    [InlineData("""{"rules":[RULE,{"sensor_type":"t","threshold":1,"severity":"high"}]}""", "'rules[1].operator' is required")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":[">"],"threshold":1,"severity":"high"}]}""", "'rules[0].operator' must be a string")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","severity":"high"}]}""", "'rules[0].threshold' is required")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","threshold":"80","severity":"high"}]}""", "'rules[0].threshold' must be a finite number")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","threshold":1e999,"severity":"high"}]}""", "'rules[0].threshold' must be a finite number")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","threshold":1}]}""", "'rules[0].severity' is required")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","threshold":1,"severity":true}]}""", "'rules[0].severity' must be a string")]
    [InlineData("""{"rules":[{"id":1,"sensor_type":"t","operator":">","threshold":1,"severity":"high"}]}""", "'rules[0].id' must be a string")]
    [InlineData("""{"rules":[{"sensor_type":"t","device_type":{},"operator":">","threshold":1,"severity":"high"}]}""", "'rules[0].device_type' must be a string")]
    [InlineData("""{"rules":[{"sensor_type":"t","operator":">","threshold":1,"severity":"high","clear_threshold":"0"}]}""", "'rules[0].clear_threshold' must be a finite number")]
    public void Refuses_rules_naming_the_field(string json, string expected)
    {
        const string rule = """{"sensor_type":"t","operator":">","threshold":1,"severity":"high"}""";

        Assert.False(RequestReader.TryReadAlertRules(Json(json.Replace("RULE", rule)), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_text_field_may_not_be_longer_than_any_other()
    {
        var json = Json($$"""{"rules":[{"id":"{{new string('a', RequestReader.MaxTextLength + 1)}}","sensor_type":"t","operator":">","threshold":1,"severity":"high"}]}""");

        Assert.False(RequestReader.TryReadAlertRules(json, out _, out var error));
        Assert.Equal($"'rules[0].id' must be at most {RequestReader.MaxTextLength} characters", error);
    }

    [Fact]
    public void At_most_the_fleets_number_of_rules_are_read()
    {
        static JsonElement Rules(int count) =>
            Json($$"""{"rules":[{{string.Join(',', Enumerable.Range(0, count).Select(i => $$"""{"sensor_type":"t","operator":">","threshold":{{i}},"severity":"high"}"""))}}]}""");

        Assert.True(RequestReader.TryReadAlertRules(Rules(AlertRuleSet.MaxRules), out var rules, out var error), error);
        Assert.Equal(AlertRuleSet.MaxRules, rules.Count);
        Assert.False(RequestReader.TryReadAlertRules(Rules(AlertRuleSet.MaxRules + 1), out _, out error));
        Assert.Equal($"'rules' must be an array of at most {AlertRuleSet.MaxRules} rules", error);
    }
}
