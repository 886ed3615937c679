using Orleans.IoT.Grains.Alerts;

namespace Orleans.IoT.Tests.Alerts;

/// <summary>What an alert rule must be (<c>Alerts:Rules</c> at start-up, an operator's rules at run time).</summary>
public sealed class AlertRuleValidationTests
{
    private static readonly AlertRule Temperature = new() { SensorType = "temperature", Operator = ">", Threshold = 80, Severity = "high" };

    [Fact]
    public void An_accepted_rule_gets_an_id_derived_from_it_unless_it_has_one()
    {
        Assert.True(AlertRuleValidation.TryAccept(
            [Temperature, Temperature with { DeviceType = "boiler", Threshold = -12.5 }, Temperature with { Id = "hot", Threshold = 90, DeviceType = "" }],
            "rules",
            out var accepted,
            out var problems));

        Assert.Empty(problems);
        Assert.Equal(["temperature>80", "temperature>-12.5@boiler", "hot"], accepted.Select(r => r.Id));
        Assert.Null(accepted[2].DeviceType);
    }

    [Theory]
    [InlineData(null, ">", 80.0, "high", null, "rules:0:SensorType must be a sensor type")]
    [InlineData("temp erature", ">", 80.0, "high", null, "rules:0:SensorType must be a sensor type")]
    [InlineData("temperature", "=>", 80.0, "high", null, "rules:0:Operator must be one of >, >=, <, <=, ==")]
    [InlineData("temperature", null, 80.0, "high", null, "rules:0:Operator must be one of")]
    [InlineData("temperature", ">", double.PositiveInfinity, "high", null, "rules:0:Threshold must be a finite number")]
    [InlineData("temperature", ">", null, "high", null, "rules:0:Threshold must be a finite number")]
    [InlineData("temperature", ">", 80.0, "High", null, "rules:0:Severity must be one of info, low, medium, high, critical")]
    [InlineData("temperature", ">", 80.0, null, null, "rules:0:Severity must be one of")]
    [InlineData("temperature", ">", 80.0, "high", 81.0, "rules:0:ClearThreshold must not be above the Threshold with >")]
    [InlineData("temperature", ">=", 80.0, "high", 80.5, "rules:0:ClearThreshold must not be above the Threshold with >=")]
    [InlineData("temperature", "<", 10.0, "high", 9.0, "rules:0:ClearThreshold must not be below the Threshold with <")]
    [InlineData("temperature", "<=", 10.0, "high", 5.0, "rules:0:ClearThreshold must not be below the Threshold with <=")]
    [InlineData("temperature", "==", 1.0, "high", 1.0, "rules:0:ClearThreshold is not allowed with ==")]
    [InlineData("temperature", ">", 80.0, "high", double.NaN, "rules:0:ClearThreshold must be a finite number")]
    public void A_bad_rule_is_refused_naming_the_rule_and_field(
        string? sensorType, string? @operator, double? threshold, string? severity, double? clearThreshold, string problem)
    {
        var rule = new AlertRule { SensorType = sensorType, Operator = @operator, Threshold = threshold, Severity = severity, ClearThreshold = clearThreshold };

        Assert.False(AlertRuleValidation.TryAccept([rule], "rules", out var accepted, out var problems));

        Assert.Empty(accepted);
        Assert.StartsWith(problem, Assert.Single(problems));
    }

    [Fact]
    public void Every_problem_of_every_rule_is_named_without_quoting_what_the_field_holds()
    {
        Assert.False(AlertRuleValidation.TryAccept(
            [Temperature, new AlertRule { Id = "a\u0007b", SensorType = "x/y", DeviceType = new string('d', 129) }, null],
            AlertRuleValidation.ConfigurationPrefix,
            out _,
            out var problems));

        Assert.Equal(
            [
                "Alerts:Rules:1:SensorType", "Alerts:Rules:1:Operator", "Alerts:Rules:1:Threshold", "Alerts:Rules:1:Severity",
                "Alerts:Rules:1:DeviceType", "Alerts:Rules:1:Id", "Alerts:Rules:2",
            ],
            problems.Select(p => p[..p.IndexOf(' ')]));
        Assert.Equal("Alerts:Rules:2 is missing", problems[^1]);
        Assert.DoesNotContain(problems, p => p.Contains("x/y") || p.Contains('\u0007'));
    }

    [Fact]
    public void Two_rules_with_one_id_are_refused()
    {
        Assert.False(AlertRuleValidation.TryAccept([Temperature, Temperature with { Severity = "critical" }], "rules", out _, out var problems));

        Assert.Equal("rules:1:Id is the same as that of rules:0; give one of them another Id", Assert.Single(problems));
    }

    [Fact]
    public void More_rules_than_the_bound_are_refused()
    {
        var rules = Enumerable.Range(0, AlertRuleSet.MaxRules + 1).Select(i => Temperature with { Threshold = i }).ToList();

        Assert.False(AlertRuleValidation.TryAccept(rules, "rules", out _, out var problems));

        Assert.Contains($"at most {AlertRuleSet.MaxRules} alert rules", Assert.Single(problems));
    }
}
