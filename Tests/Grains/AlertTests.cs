namespace Orleans.IoT.Tests.Grains;

/// <summary>
/// Alerts on the device grain (DESIGN §3) with the fixture's rules (<see cref="ClusterFixture.AlertRules"/>): raised once
/// when a rule starts to hold, cleared once when it stops, with hysteresis, per device type, rules changed at run time,
/// and across a deactivation.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AlertTests(ClusterFixture cluster)
{
    private static readonly Caller Operator = Caller.Operator("ops");
    private static int _timestamp = 1_700_000_000;

    [Fact]
    public async Task Readings_above_the_threshold_raise_one_alert_however_many_there_are()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        await SendAsync(device, id, token, "temperature", 70, 85, 90, 95, 81);

        var raised = Assert.Single(AlertsOf(id));
        Assert.Equal(
            ("temperature>80", "temperature", "high", 80.0, 85.0, AlertStates.Active),
            (raised.Rule, raised.SensorType, raised.Severity, raised.Threshold, raised.Value, raised.State));
        var stored = Assert.Single(await cluster.Alerts.ReadDeviceHistoryAsync(id, 10, CancellationToken.None));
        Assert.Equal((raised.AlertId, AlertStates.Active, 85.0), (stored.AlertId, stored.State, stored.RaisedValue));
    }

    [Fact]
    public async Task An_alert_clears_once_when_the_value_falls_to_the_clear_threshold()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        await SendAsync(device, id, token, "temperature", 85, 74, 70, 60);

        var alerts = AlertsOf(id);
        Assert.Equal([AlertStates.Active, AlertStates.Cleared], alerts.Select(a => a.State));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
        Assert.Equal((85.0, 74.0), (alerts[1].RaisedValue, alerts[1].Value));
        var stored = Assert.Single(await cluster.Alerts.ReadDeviceHistoryAsync(id, 10, CancellationToken.None));
        Assert.Equal((AlertStates.Cleared, 74.0), (stored.State, stored.ClearedValue));
    }

    [Fact]
    public async Task Between_the_clear_threshold_and_the_threshold_an_alert_stays_active_and_none_is_raised_again()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        await SendAsync(device, id, token, "temperature", 85, 78, 79.5, 81, 76);
        Assert.Equal([AlertStates.Active], AlertsOf(id).Select(a => a.State));

        await SendAsync(device, id, token, "temperature", 75, 78, 79);
        Assert.Equal([AlertStates.Active, AlertStates.Cleared], AlertsOf(id).Select(a => a.State));

        await SendAsync(device, id, token, "temperature", 80.5);
        var alerts = AlertsOf(id);
        Assert.Equal([AlertStates.Active, AlertStates.Cleared, AlertStates.Active], alerts.Select(a => a.State));
        Assert.NotEqual(alerts[0].AlertId, alerts[2].AlertId);
    }

    [Fact]
    public async Task A_rule_for_a_device_type_holds_for_devices_of_that_type_only()
    {
        var (hygrometer, hygrometerId, hygrometerToken) = await cluster.RegisterDeviceAsync("hygrometer");
        var (thermometer, thermometerId, thermometerToken) = await cluster.RegisterDeviceAsync();

        await SendAsync(hygrometer, hygrometerId, hygrometerToken, "humidity", 95);
        await SendAsync(thermometer, thermometerId, thermometerToken, "humidity", 95);

        var raised = Assert.Single(AlertsOf(hygrometerId));
        Assert.Equal(("damp-hygrometer", "medium", 90.0), (raised.Rule, raised.Severity, raised.Threshold));
        Assert.Empty(AlertsOf(thermometerId));
    }

    [Fact]
    public async Task Rules_set_at_run_time_apply_to_the_next_reading_and_an_alert_whose_rule_is_removed_clears_at_the_next()
    {
        var rules = cluster.Client.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);
        var before = await rules.GetRules();
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        try
        {
            var outcome = await rules.SetRules(
                [.. before.Rules, new AlertRule { SensorType = "pressure", Operator = "<", Threshold = 950, Severity = "critical" }],
                Operator);

            Assert.True(outcome.Result.IsOk, outcome.Result.Message);
            Assert.Equal(before.Version + 1, outcome.Rules!.Version);
            Assert.Equal("pressure<950", outcome.Rules.Rules[^1].Id);
            await SendAsync(device, id, token, "pressure", 940);
            var raised = Assert.Single(AlertsOf(id));
            Assert.Equal(("pressure<950", "critical"), (raised.Rule, raised.Severity));
        }
        finally
        {
            Assert.True((await rules.SetRules(before.Rules, Operator)).Result.IsOk);
        }

        await SendAsync(device, id, token, "pressure", 930);
        var alerts = AlertsOf(id);
        Assert.Equal([AlertStates.Active, AlertStates.Cleared], alerts.Select(a => a.State));
        Assert.Equal(930, alerts[1].ClearedValue);
    }

    [Fact]
    public async Task Only_operators_may_set_rules_and_bad_rules_are_refused_naming_the_rule_and_field()
    {
        var rules = cluster.Client.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);
        var before = await rules.GetRules();
        var (_, id, token) = await cluster.RegisterDeviceAsync();
        AlertRule fine = new() { SensorType = "temperature", Operator = ">", Threshold = 50, Severity = "low" };

        var byDevice = await rules.SetRules([fine], Caller.Device(id, token));
        var bad = await rules.SetRules([fine, fine with { Threshold = double.NaN }, fine with { Severity = "urgent" }, fine with { ClearThreshold = 60 }], Operator);
        var duplicate = await rules.SetRules([fine, fine with { Severity = "high" }], Operator);

        Assert.Equal(ErrorCodes.Forbidden, byDevice.Result.ErrorCode);
        Assert.Equal(ErrorCodes.ValidationFailed, bad.Result.ErrorCode);
        Assert.Contains("rules:1:Threshold must be a finite number", bad.Result.Message);
        Assert.Contains("rules:2:Severity must be one of info, low, medium, high, critical", bad.Result.Message);
        Assert.Contains("rules:3:ClearThreshold must not be above the Threshold with >", bad.Result.Message);
        Assert.DoesNotContain("urgent", bad.Result.Message);
        Assert.Equal(ErrorCodes.ValidationFailed, duplicate.Result.ErrorCode);
        Assert.Contains("rules:1:Id is the same as that of rules:0", duplicate.Result.Message);
        var after = await rules.GetRules();
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Rules, after.Rules);
    }

    [Fact]
    public async Task An_active_alert_survives_a_deactivation_without_being_raised_again_and_then_clears()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await SendAsync(device, id, token, "temperature", 90);

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await SendAsync(device, id, token, "temperature", 95, 70);

        var alerts = AlertsOf(id);
        Assert.Equal([AlertStates.Active, AlertStates.Cleared], alerts.Select(a => a.State));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
    }

    [Fact]
    public async Task A_late_reading_does_not_move_alerts()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await SendAsync(device, id, token, "temperature", 90);

        var late = new SensorReading(id, "temperature", 20, null, 1_600_000_000, "good");
        Assert.True((await device.RecordReading(late, Caller.Device(id, token))).IsOk);

        Assert.Equal([AlertStates.Active], AlertsOf(id).Select(a => a.State));
    }

    [Fact]
    public async Task A_raise_that_cannot_be_stored_fails_the_reading_unannounced_and_its_resend_raises_it_once()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        var reading = Reading(id, "temperature", 90);

        cluster.Storage.FailNextWrites(id);
        await Assert.ThrowsAsync<PassingFaultException>(() => device.RecordReading(reading, Caller.Device(id, token)));
        Assert.Empty(AlertsOf(id));

        Assert.True((await device.RecordReading(reading, Caller.Device(id, token))).IsOk);
        Assert.Single(AlertsOf(id));
    }

    private static SensorReading Reading(string id, string sensorType, double value) =>
        new(id, sensorType, value, null, Interlocked.Increment(ref _timestamp), "good");

    private static async Task SendAsync(IDeviceGrain device, string id, string token, string sensorType, params double[] values)
    {
        foreach (var value in values)
        {
            var recorded = await device.RecordReading(Reading(id, sensorType, value), Caller.Device(id, token));
            Assert.True(recorded.IsOk, recorded.Message);
        }
    }

    private IReadOnlyList<Alert> AlertsOf(string deviceId) => cluster.Events.Of<Alert>(a => a.DeviceId == deviceId);
}
