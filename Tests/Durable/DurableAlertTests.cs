using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>Alerts and the alert rules in the durable profile: they survive a restart of the node.</summary>
[Collection(DurableCollection.Name)]
public sealed class DurableAlertTests(DurableNodeFixture node)
{
    private static readonly Caller Operator = Caller.Operator(NodeFixture.OperatorName);

    [Fact]
    public async Task An_active_alert_and_rules_set_at_run_time_survive_a_restart_without_the_alert_being_raised_again()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        var before = await node.Grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key).GetRules();
        AlertRule pressure = new() { Id = "pressure-drop", SensorType = "pressure", Operator = "<", Threshold = 950, Severity = "critical" };
        var set = await node.Grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key).SetRules([.. before.Rules, pressure], Operator);
        Assert.True(set.Result.IsOk, set.Result.Message);
        try
        {
            await using (var device = await node.ConnectAsync(deviceId, token))
            {
                Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":91}""")).IsSuccess);
            }

            var raised = Assert.Single(await HistoryWhenAsync(deviceId, alerts => alerts.Count == 1));
            Assert.Equal((AlertStates.Active, 91.0), (raised.State, raised.RaisedValue));

            await node.RestartAsync();

            var rules = await node.Grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key).GetRules();
            Assert.Equal((set.Rules!.Version, "pressure-drop"), (rules.Version, rules.Rules[^1].Id));
            await using (var device = await node.ConnectAsync(deviceId, token))
            {
                Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":95}""")).IsSuccess);
                Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":40}""")).IsSuccess);
            }

            var cleared = Assert.Single(await HistoryWhenAsync(deviceId, alerts => alerts is [{ State: AlertStates.Cleared }] || alerts.Count > 1));
            Assert.Equal((raised.AlertId, AlertStates.Cleared, 40.0), (cleared.AlertId, cleared.State, cleared.ClearedValue));
        }
        finally
        {
            await node.Grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key).SetRules(before.Rules, Operator);
        }
    }

    private async Task<IReadOnlyList<Alert>> HistoryWhenAsync(string deviceId, Func<IReadOnlyList<Alert>, bool> condition)
    {
        var alerts = node.Services.GetRequiredService<IAlertReader>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        IReadOnlyList<Alert> history;
        while (!condition(history = await alerts.ReadDeviceHistoryAsync(deviceId, 10, CancellationToken.None)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the device's alerts are as expected ({history.Count} so far)");
            await Task.Delay(100);
        }

        return history;
    }
}
