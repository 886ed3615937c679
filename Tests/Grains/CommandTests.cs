using Orleans.IoT.Grains.Commands;

namespace Orleans.IoT.Tests.Grains;

/// <summary>The command lifecycle of DESIGN §3 on the device grain: every transition, the queue, repeats and expiry.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CommandTests(ClusterFixture cluster)
{
    private static readonly Caller Operator = Caller.Operator("ops");

    [Fact]
    public async Task A_command_to_a_device_that_is_online_is_sent_at_once_and_followed_to_its_end()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        var outcome = await device.SendCommand(new CommandRequest("c1", "reboot", """{"delay":5}""", 60), Operator);

        Assert.True(outcome.Result.IsOk, outcome.Result.Message);
        Assert.Equal(CommandStates.Sent, outcome.Status!.State);
        var sent = Assert.Single(cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id));
        Assert.Equal("reboot", sent.Command.Command);
        Assert.Equal("""{"delay":5}""", sent.Command.ParametersJson);

        Assert.True((await device.ReportCommand("c1", new CommandReport(CommandStates.Delivered, null, null), Device(token))).IsOk);
        Assert.True((await device.ReportCommand("c1", new CommandReport(CommandStates.Succeeded, """{"uptime":0}""", null), Device(token))).IsOk);

        var status = await device.GetCommand("c1");
        Assert.Equal(CommandStates.Succeeded, status!.State);
        Assert.Equal("""{"uptime":0}""", status.ResultJson);
        Assert.Equal([CommandStates.Sent, CommandStates.Delivered, CommandStates.Succeeded], StatesAnnounced(id, "c1"));
        Assert.Equal([CommandStates.Sent, CommandStates.Delivered, CommandStates.Succeeded], StatesAudited(id, "c1"));
    }

    [Theory]
    [InlineData(CommandStates.Failed)]
    [InlineData(CommandStates.Rejected)]
    public async Task A_sent_command_may_end_without_being_delivered_first(string outcome)
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.SendCommand(new CommandRequest("c1", "calibrate", null, 60), Operator);

        Assert.True((await device.ReportCommand("c1", new CommandReport(outcome, null, "sensor busy"), Device(token))).IsOk);

        var status = await device.GetCommand("c1");
        Assert.Equal(outcome, status!.State);
        Assert.Equal("sensor busy", status.Error);
    }

    [Fact]
    public async Task A_command_to_a_silent_device_waits_and_is_sent_in_order_when_it_is_next_heard_from()
    {
        var (device, id, token) = await cluster.RegisterSilentDeviceAsync();

        var first = await device.SendCommand(new CommandRequest("c1", "first", null, 600), Operator);
        var second = await device.SendCommand(new CommandRequest(null, "second", null, 600), Operator);

        Assert.Equal(CommandStates.Queued, first.Status!.State);
        Assert.Equal(CommandStates.Queued, second.Status!.State);
        Assert.Matches("^[0-9a-f]{32}$", second.Status.CommandId);
        Assert.Empty(cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id));

        Assert.True((await device.Heartbeat(DeviceMetrics.None, Device(token))).IsOk);

        Assert.Equal(["first", "second"], cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id).Select(s => s.Command.Command));
        Assert.All(await device.GetCommands(), c => Assert.Equal(CommandStates.Sent, c.State));
    }

    [Fact]
    public async Task A_full_queue_refuses_the_next_command_clearly()
    {
        var (device, _, _) = await cluster.RegisterSilentDeviceAsync();
        for (var i = 0; i < ClusterFixture.MaxQueuedCommands; i++)
        {
            Assert.True((await device.SendCommand(new CommandRequest($"c{i}", "noop", null, 600), Operator)).Result.IsOk);
        }

        var refused = await device.SendCommand(new CommandRequest("one-more", "noop", null, 600), Operator);

        Assert.Equal(ErrorCodes.RateLimited, refused.Result.ErrorCode);
        Assert.Contains("Commands:MaxQueuedPerDevice", refused.Result.Message);
        Assert.Null(await device.GetCommand("one-more"));
    }

    [Fact]
    public async Task The_same_command_id_twice_is_sent_once_and_answered_with_the_first_ones_state()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        var first = await device.SendCommand(new CommandRequest("c1", "reboot", null, 60), Operator);
        await device.ReportCommand("c1", new CommandReport(CommandStates.Delivered, null, null), Device(token));

        var again = await device.SendCommand(new CommandRequest("c1", "something else", null, 60), Operator);

        Assert.True(again.Result.IsOk);
        Assert.Equal((false, true), (first.Repeated, again.Repeated));
        Assert.Equal(CommandStates.Delivered, again.Status!.State);
        Assert.Equal("reboot", again.Status.Command);
        Assert.Single(cluster.Events.Of<SentCommand>(s => s.Command.DeviceId == id));
    }

    [Fact]
    public async Task Reports_that_do_not_follow_the_lifecycle_are_refused_and_change_nothing()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.SendCommand(new CommandRequest("c1", "reboot", null, 60), Operator);
        await device.ReportCommand("c1", new CommandReport(CommandStates.Succeeded, null, null), Device(token));

        var unknown = await device.ReportCommand("nope", new CommandReport(CommandStates.Delivered, null, null), Device(token));
        var afterEnd = await device.ReportCommand("c1", new CommandReport(CommandStates.Failed, null, null), Device(token));

        Assert.Equal(ErrorCodes.ValidationFailed, unknown.ErrorCode);
        Assert.Equal(ErrorCodes.ValidationFailed, afterEnd.ErrorCode);
        Assert.Equal(CommandStates.Succeeded, (await device.GetCommand("c1"))!.State);
    }

    [Fact]
    public async Task Only_operators_send_commands_and_only_the_device_reports_on_them()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        var (_, _, otherToken) = await cluster.RegisterDeviceAsync();

        var byDevice = await device.SendCommand(new CommandRequest("c1", "reboot", null, 60), Device(token));
        await device.SendCommand(new CommandRequest("c2", "reboot", null, 60), Operator);
        var byOther = await device.ReportCommand("c2", new CommandReport(CommandStates.Delivered, null, null), Device(otherToken));
        var unregistered = await cluster.Client.GetGrain<IDeviceGrain>($"dev-{Guid.NewGuid():N}").SendCommand(new CommandRequest(null, "reboot", null, 60), Operator);

        Assert.Equal(ErrorCodes.Forbidden, byDevice.Result.ErrorCode);
        Assert.Equal(ErrorCodes.Unauthorized, byOther.ErrorCode);
        Assert.Equal(ErrorCodes.NotRegistered, unregistered.Result.ErrorCode);
        Assert.Equal(CommandStates.Sent, (await device.GetCommand("c2"))!.State);
    }

    [Fact]
    public async Task A_command_expires_when_its_time_to_live_passes_first_and_a_late_report_is_refused()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.SendCommand(new CommandRequest("c1", "reboot", null, 1), Operator);

        await WaitForStateAsync(device, "c1", CommandStates.Expired);

        Assert.Equal([CommandStates.Sent, CommandStates.Expired], StatesAnnounced(id, "c1"));
        var late = await device.ReportCommand("c1", new CommandReport(CommandStates.Succeeded, null, null), Device(token));
        Assert.Equal(ErrorCodes.ValidationFailed, late.ErrorCode);
    }

    [Fact]
    public async Task Commands_survive_a_deactivation_and_one_whose_time_passed_meanwhile_expires_on_reactivation()
    {
        var (device, _, _) = await cluster.RegisterSilentDeviceAsync();
        await device.SendCommand(new CommandRequest("short", "reboot", null, 1), Operator);
        await device.SendCommand(new CommandRequest("long", "reboot", null, 600), Operator);

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        await WaitForStateAsync(device, "short", CommandStates.Expired);
        Assert.Equal(CommandStates.Queued, (await device.GetCommand("long"))!.State);
    }

    private static Caller Device(string token) => new(CallerKind.Anonymous, token);

    private static async Task WaitForStateAsync(IDeviceGrain device, string commandId, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while ((await device.GetCommand(commandId))?.State != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"command {commandId} became {state}");
            await Task.Delay(100);
        }
    }

    private List<string> StatesAnnounced(string deviceId, string commandId) =>
        [.. cluster.Events.Of<CommandStatus>(c => c.DeviceId == deviceId && c.CommandId == commandId).Select(c => c.State)];

    private List<string> StatesAudited(string deviceId, string commandId) =>
        [.. cluster.Audit.Read(deviceId).Where(e => e.Kind == "command" && e.Id == commandId).Select(e => e.State)];
}
