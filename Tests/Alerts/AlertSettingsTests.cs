using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Grains.Alerts;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.Alerts;

/// <summary><c>Alerts:Rules</c> as the node reads it at start-up.</summary>
public sealed class AlertSettingsTests
{
    [Fact]
    public async Task Without_rules_the_node_starts_with_the_seed_guides_rule()
    {
        await using var app = await IoTNode.BuildAsync([]);

        var rule = Assert.Single(app.Services.GetRequiredService<IOptions<AlertOptions>>().Value.AcceptedRules());
        Assert.Equal(("temperature>80", "temperature", ">", 80.0, "high"), (rule.Id, rule.SensorType, rule.Operator, rule.Threshold, rule.Severity));
    }

    [Fact]
    public async Task Rules_come_from_the_command_line()
    {
        await using var app = await IoTNode.BuildAsync(
        [
            "--Alerts:Rules:0:SensorType=temperature", "--Alerts:Rules:0:Operator=>", "--Alerts:Rules:0:Threshold=80",
            "--Alerts:Rules:0:Severity=high", "--Alerts:Rules:0:ClearThreshold=75",
            "--Alerts:Rules:1:Id=low-battery", "--Alerts:Rules:1:SensorType=battery", "--Alerts:Rules:1:DeviceType=tracker",
            "--Alerts:Rules:1:Operator=<=", "--Alerts:Rules:1:Threshold=10.5", "--Alerts:Rules:1:Severity=low",
        ]);

        var rules = app.Services.GetRequiredService<IOptions<AlertOptions>>().Value.AcceptedRules();
        Assert.Equal(
            [("temperature>80", (string?)null, 80.0, (double?)75.0), ("low-battery", "tracker", 10.5, null)],
            rules.Select(r => (r.Id!, r.DeviceType, r.Threshold!.Value, r.ClearThreshold)));
    }

    [Theory]
    [InlineData("--Alerts:Rules:0:Operator=>>", "Alerts:Rules:0:Operator must be one of >, >=, <, <=, ==")]
    [InlineData("--Alerts:Rules:0:Severity=severe", "Alerts:Rules:0:Severity must be one of info, low, medium, high, critical")]
    [InlineData("--Alerts:Rules:0:ClearThreshold=90", "Alerts:Rules:0:ClearThreshold must not be above the Threshold with >")]
    [InlineData("--Alerts:Rules:0:Threshold=hot", "Alerts:Rules:0:Threshold")]
    public async Task A_bad_rule_stops_start_up_naming_the_rule_and_field(string bad, string message)
    {
        string[] arguments =
        [
            "--Alerts:Rules:0:SensorType=temperature", "--Alerts:Rules:0:Operator=>", "--Alerts:Rules:0:Threshold=80",
            "--Alerts:Rules:0:Severity=high", bad,
        ];

        var refused = await Assert.ThrowsAsync<ConfigurationException>(() => IoTNode.BuildAsync(arguments));

        Assert.Contains(message, refused.Message);
    }
}
