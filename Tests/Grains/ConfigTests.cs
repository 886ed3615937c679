using System.Text.Json;

namespace Orleans.IoT.Tests.Grains;

/// <summary>The configuration twin of DESIGN §3 on the device grain: merged updates, versions, reported, the difference.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ConfigTests(ClusterFixture cluster)
{
    private static readonly Caller Operator = Caller.Operator("ops");

    [Fact]
    public async Task An_update_is_merged_sent_and_applied_and_the_twin_shows_desired_reported_and_no_difference()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        var outcome = await device.UpdateConfig(new ConfigUpdate("cfg-1", """{"interval":30,"mode":"eco"}"""), Operator);

        Assert.True(outcome.Result.IsOk, outcome.Result.Message);
        Assert.Equal((1, ConfigStates.Sent), (outcome.Status!.Version, outcome.Status.State));
        var sent = Assert.Single(cluster.Events.Of<SentConfig>(s => s.Update.DeviceId == id));
        AssertJson("""{"interval":30,"mode":"eco"}""", sent.Update.UpdatesJson);
        var before = await device.GetConfig();
        AssertJson("""{"interval":30,"mode":"eco"}""", before.DeltaJson);

        Assert.True((await device.ReportConfig("cfg-1", new ConfigReport(ConfigStates.Applied, null, null), Device(token))).IsOk);

        var twin = await device.GetConfig();
        AssertJson("""{"interval":30,"mode":"eco"}""", twin.DesiredJson);
        AssertJson("""{"interval":30,"mode":"eco"}""", twin.ReportedJson!);
        Assert.Equal((1, 1), (twin.DesiredVersion, twin.ReportedVersion));
        AssertJson("{}", twin.DeltaJson);
        Assert.Equal([ConfigStates.Sent, ConfigStates.Applied], cluster.Events.Of<ConfigStatus>(c => c.DeviceId == id).Select(c => c.State));
        Assert.Equal([ConfigStates.Sent, ConfigStates.Applied], cluster.Audit.Read(id).Where(e => e.Kind == "config").Select(e => e.State));
    }

    [Fact]
    public async Task Updates_merge_as_a_json_merge_patch_and_bump_the_version()
    {
        var (device, _, _) = await cluster.RegisterDeviceAsync();
        await device.UpdateConfig(new ConfigUpdate(null, """{"interval":30,"mode":"eco","limits":{"low":1,"high":9}}"""), Operator);

        var second = await device.UpdateConfig(new ConfigUpdate(null, """{"mode":null,"limits":{"high":7},"unit":"C"}"""), Operator);

        Assert.Equal(2, second.Status!.Version);
        AssertJson("""{"interval":30,"limits":{"low":1,"high":7},"unit":"C"}""", (await device.GetConfig()).DesiredJson);
    }

    [Fact]
    public async Task A_device_that_missed_updates_gets_the_whole_desired_configuration_once_when_heard_from()
    {
        var (device, id, token) = await cluster.RegisterSilentDeviceAsync();
        await device.UpdateConfig(new ConfigUpdate("a", """{"interval":30}"""), Operator);
        var second = await device.UpdateConfig(new ConfigUpdate("b", """{"mode":"eco"}"""), Operator);

        Assert.Equal(ConfigStates.Pending, second.Status!.State);
        Assert.Empty(cluster.Events.Of<SentConfig>(s => s.Update.DeviceId == id));

        Assert.True((await device.Heartbeat(DeviceMetrics.None, Device(token))).IsOk);

        var sent = Assert.Single(cluster.Events.Of<SentConfig>(s => s.Update.DeviceId == id));
        Assert.Equal(("b", 2), (sent.Update.ConfigId, sent.Update.Version));
        AssertJson("""{"interval":30,"mode":"eco"}""", sent.Update.UpdatesJson);
        Assert.All((await device.GetConfig()).Updates, u => Assert.Equal(ConfigStates.Sent, u.State));
    }

    [Fact]
    public async Task What_the_device_reports_becomes_the_reported_configuration_and_the_difference_follows()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.UpdateConfig(new ConfigUpdate("c1", """{"interval":30,"mode":"eco","limits":{"low":1,"high":9}}"""), Operator);

        await device.ReportConfig("c1", new ConfigReport(ConfigStates.Applied, """{"interval":20,"mode":"eco","limits":{"low":1,"high":5},"extra":true}""", null), Device(token));

        var twin = await device.GetConfig();
        AssertJson("""{"interval":20,"mode":"eco","limits":{"low":1,"high":5},"extra":true}""", twin.ReportedJson!);
        AssertJson("""{"interval":30,"limits":{"high":9}}""", twin.DeltaJson);
    }

    [Fact]
    public async Task A_rejected_update_keeps_what_was_reported_and_says_why()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.UpdateConfig(new ConfigUpdate("c1", """{"interval":1}"""), Operator);

        Assert.True((await device.ReportConfig("c1", new ConfigReport(ConfigStates.Rejected, null, "interval too short"), Device(token))).IsOk);

        var twin = await device.GetConfig();
        Assert.Null(twin.ReportedJson);
        var update = Assert.Single(twin.Updates);
        Assert.Equal((ConfigStates.Rejected, "interval too short"), (update.State, update.Error));
    }

    [Fact]
    public async Task Answers_that_do_not_fit_are_refused_and_change_nothing()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        var (_, _, otherToken) = await cluster.RegisterDeviceAsync();
        await device.UpdateConfig(new ConfigUpdate("c1", """{"interval":30}"""), Operator);
        await device.ReportConfig("c1", new ConfigReport(ConfigStates.Applied, null, null), Device(token));

        var unknown = await device.ReportConfig("nope", new ConfigReport(ConfigStates.Applied, null, null), Device(token));
        var again = await device.ReportConfig("c1", new ConfigReport(ConfigStates.Rejected, null, null), Device(token));
        var byOther = await device.ReportConfig("c1", new ConfigReport(ConfigStates.Rejected, null, null), Device(otherToken));
        var byDevice = await device.UpdateConfig(new ConfigUpdate(null, """{"interval":1}"""), Device(token));

        Assert.Equal(ErrorCodes.ValidationFailed, unknown.ErrorCode);
        Assert.Equal(ErrorCodes.ValidationFailed, again.ErrorCode);
        Assert.Equal(ErrorCodes.Unauthorized, byOther.ErrorCode);
        Assert.Equal(ErrorCodes.Forbidden, byDevice.Result.ErrorCode);
        var twin = await device.GetConfig();
        Assert.Equal(ConfigStates.Applied, Assert.Single(twin.Updates).State);
        Assert.Equal(1, twin.DesiredVersion);
    }

    [Fact]
    public async Task The_same_config_id_twice_is_applied_and_sent_once()
    {
        var (device, id, _) = await cluster.RegisterDeviceAsync();
        var first = await device.UpdateConfig(new ConfigUpdate("c1", """{"interval":30}"""), Operator);

        var again = await device.UpdateConfig(new ConfigUpdate("c1", """{"interval":99}"""), Operator);

        Assert.Equal(1, again.Status!.Version);
        Assert.Equal((false, true), (first.Repeated, again.Repeated));
        AssertJson("""{"interval":30}""", (await device.GetConfig()).DesiredJson);
        Assert.Single(cluster.Events.Of<SentConfig>(s => s.Update.DeviceId == id));
    }

    [Fact]
    public async Task The_twin_survives_a_deactivation()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.UpdateConfig(new ConfigUpdate("c1", """{"interval":30}"""), Operator);
        await device.ReportConfig("c1", new ConfigReport(ConfigStates.Applied, """{"interval":30}""", null), Device(token));

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        var twin = await device.GetConfig();
        Assert.Equal((1, 1), (twin.DesiredVersion, twin.ReportedVersion));
        AssertJson("""{"interval":30}""", twin.ReportedJson!);
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, JsonDocument.Parse(actual).RootElement), $"expected {expected}, got {actual}");

    private static Caller Device(string token) => new(CallerKind.Anonymous, token);
}
