using Orleans.IoT.Grains.Alerts;

namespace Orleans.IoT.Tests.Alerts;

/// <summary>The pure rules of raising and clearing a device's alerts (<see cref="AlertTracker"/>).</summary>
public sealed class AlertTrackerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly AlertRule Hot = new() { Id = "hot", SensorType = "temperature", Operator = ">", Threshold = 80, Severity = "high", ClearThreshold = 75 };

    [Theory]
    [InlineData(">", 80.0, 80.5, 80.0)]
    [InlineData(">=", 80.0, 80.0, 79.9)]
    [InlineData("<", 10.0, 9.9, 10.0)]
    [InlineData("<=", 10.0, 10.0, 10.1)]
    [InlineData("==", 3.0, 3.0, 3.1)]
    public void Each_operator_raises_when_it_starts_to_hold_and_clears_when_it_stops(string @operator, double threshold, double holds, double stops)
    {
        AlertCondition[] rules = [Condition(Hot with { Operator = @operator, Threshold = threshold, ClearThreshold = null })];

        Assert.Null(Evaluate(null, rules, stops));
        var raised = Evaluate(null, rules, holds)!;
        Assert.Equal(AlertStates.Active, Assert.Single(raised.Changes).State);
        Assert.Null(Evaluate(raised.Active, rules, holds));
        var cleared = Evaluate(raised.Active, rules, stops)!;
        Assert.Equal((AlertStates.Cleared, stops), (Assert.Single(cleared.Changes).State, cleared.Changes[0].Value));
        Assert.Null(cleared.Active);
    }

    [Fact]
    public void With_a_clear_threshold_an_alert_stays_active_until_the_value_passes_it()
    {
        AlertCondition[] rules = [Condition(Hot)];
        var active = Evaluate(null, rules, 81)!.Active;

        Assert.Null(Evaluate(active, rules, 76));
        Assert.Null(Evaluate(active, rules, 80));
        var cleared = Assert.Single(Evaluate(active, rules, 75)!.Changes);
        Assert.Equal(75, cleared.ClearedValue);
        Assert.Equal(Now, cleared.ClearedAt);
    }

    [Fact]
    public void Rules_for_another_device_type_are_not_applied_and_their_alerts_clear()
    {
        AlertCondition[] boilerOnly = [Condition(Hot with { DeviceType = "boiler" })];
        var active = AlertTracker.Evaluate(null, boilerOnly, "d1", "boiler", "temperature", 90, Now, () => "a1")!.Active;

        Assert.Null(AlertTracker.Evaluate(null, boilerOnly, "d1", "thermometer", "temperature", 90, Now, () => "a2"));
        var cleared = AlertTracker.Evaluate(active, boilerOnly, "d1", "thermometer", "temperature", 90, Now, () => "a2")!;
        Assert.Equal(("a1", AlertStates.Cleared), (Assert.Single(cleared.Changes).AlertId, cleared.Changes[0].State));
    }

    [Fact]
    public void An_alert_whose_rule_is_gone_clears_at_the_next_reading_of_its_sensor_type_only()
    {
        var active = Evaluate(null, [Condition(Hot)], 90)!.Active;

        Assert.Null(AlertTracker.Evaluate(active, [], "d1", null, "humidity", 90, Now, () => "x"));
        var cleared = AlertTracker.Evaluate(active, [], "d1", null, "temperature", 90, Now, () => "x")!;
        Assert.Equal(("hot", AlertStates.Cleared), (Assert.Single(cleared.Changes).Rule, cleared.Changes[0].State));
        Assert.Null(cleared.Active);
    }

    [Fact]
    public void Several_rules_on_one_sensor_type_each_raise_their_own_alert_once()
    {
        AlertCondition[] rules = [Condition(Hot), Condition(Hot with { Id = "very-hot", Threshold = 100, ClearThreshold = null, Severity = "critical" })];
        var ids = 0;

        var first = AlertTracker.Evaluate(null, rules, "d1", null, "temperature", 105, Now, () => $"a{++ids}")!;
        var second = AlertTracker.Evaluate(first.Active, rules, "d1", null, "temperature", 90, Now, () => $"a{++ids}")!;

        Assert.Equal([("hot", "high", "a1"), ("very-hot", "critical", "a2")], first.Changes.Select(a => (a.Rule, a.Severity, a.AlertId)));
        Assert.Equal(("a2", AlertStates.Cleared), (Assert.Single(second.Changes).AlertId, second.Changes[0].State));
        Assert.Equal("a1", Assert.Single(second.Active!).AlertId);
    }

    [Fact]
    public void Evaluating_leaves_the_active_alerts_it_was_given_unchanged()
    {
        var active = Evaluate(null, [Condition(Hot)], 90)!.Active!;

        Evaluate(active, [Condition(Hot)], 10);

        Assert.Single(active);
    }

    private static AlertChanges? Evaluate(List<ActiveAlert>? active, AlertCondition[] rules, double value) =>
        AlertTracker.Evaluate(active, rules, "d1", null, "temperature", value, Now, () => Guid.NewGuid().ToString("N"));

    private static AlertCondition Condition(AlertRule rule)
    {
        Assert.True(AlertRuleValidation.TryAccept([rule], "rules", out var accepted, out var problems), string.Join("; ", problems));
        return new AlertCondition(accepted[0]);
    }
}
