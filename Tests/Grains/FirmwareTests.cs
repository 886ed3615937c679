using Orleans.IoT.Grains.Firmware;

namespace Orleans.IoT.Tests.Grains;

/// <summary>The firmware lifecycle of DESIGN §3 on the device grain: every transition, one update in flight, repeats, the timeout.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FirmwareTests(ClusterFixture cluster)
{
    private const string Checksum = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static readonly Caller Operator = Caller.Operator("ops");

    private static readonly string[] DeviceProgress =
        [FirmwareStates.Downloading, FirmwareStates.Downloaded, FirmwareStates.Verified, FirmwareStates.Updating, FirmwareStates.Updated];

    [Fact]
    public async Task An_update_to_a_device_that_is_online_is_sent_at_once_and_followed_through_every_state_to_updated()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();

        var outcome = await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);

        Assert.True(outcome.Result.IsOk, outcome.Result.Message);
        Assert.Equal(FirmwareStates.Sent, outcome.Status!.State);
        var sent = Assert.Single(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));
        Assert.Equal(("u1", "2.0", "https://firmware.example/2.0.bin", Checksum), (sent.Update.UpdateId, sent.Update.Version, sent.Update.Url, sent.Update.Checksum));

        foreach (var state in DeviceProgress)
        {
            var reported = await device.ReportFirmwareProgress("u1", new FirmwareProgress(state, null, null), Device(token));
            Assert.True(reported.IsOk, $"{state}: {reported.Message}");
            Assert.Equal(state, (await device.GetFirmwareUpdate("u1"))!.State);
        }

        string[] expected = [FirmwareStates.Sent, .. DeviceProgress];
        Assert.Equal(expected, StatesAnnounced(id, "u1"));
        Assert.Equal(expected, StatesAudited(id, "u1"));
    }

    [Fact]
    public async Task Updated_makes_the_new_version_the_devices_firmware_version_in_its_state_and_the_catalog()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.1.0"), Operator);

        Assert.True((await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updating, 90, null), Device(token))).IsOk);
        Assert.Equal("1.0", (await device.GetSnapshot()).FirmwareVersion);
        Assert.True((await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updated, 100, null), Device(token))).IsOk);

        Assert.Equal("2.1.0", (await device.GetSnapshot()).FirmwareVersion);
        Assert.Equal("2.1.0", cluster.Catalog.Find(id)!.FirmwareVersion);
        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal("2.1.0", (await device.GetSnapshot()).FirmwareVersion);
    }

    [Fact]
    public async Task Failed_ends_an_update_with_the_devices_error_and_keeps_the_old_version()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloading, 40, null), Device(token));

        var failed = await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Failed, null, "checksum mismatch"), Device(token));

        Assert.True(failed.IsOk, failed.Message);
        var status = await device.GetFirmwareUpdate("u1");
        Assert.Equal((FirmwareStates.Failed, "checksum mismatch"), (status!.State, status.Error));
        Assert.Equal("1.0", (await device.GetSnapshot()).FirmwareVersion);
        Assert.Contains("checksum mismatch", cluster.Audit.Read(id).Single(e => e.Id == "u1" && e.State == FirmwareStates.Failed).DetailJson);
    }

    [Fact]
    public async Task More_progress_in_the_same_state_is_announced_and_audited_once_per_state()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);

        foreach (var percent in new double[] { 10, 55, 100 })
        {
            Assert.True((await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloading, percent, null), Device(token))).IsOk);
        }

        Assert.Equal(100, (await device.GetFirmwareUpdate("u1"))!.Progress);
        Assert.Equal(new double?[] { 10, 55, 100 }, cluster.Events.Of<FirmwareStatus>(u => u.DeviceId == id && u.State == FirmwareStates.Downloading).Select(u => u.Progress));
        Assert.Equal([FirmwareStates.Sent, FirmwareStates.Downloading], StatesAudited(id, "u1"));
        Assert.All(cluster.Audit.Read(id), e => Assert.Equal(FirmwareAudit.Kind, e.Kind));
    }

    [Fact]
    public async Task Reports_that_go_backwards_or_name_no_known_state_or_update_are_refused_and_change_nothing()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Verified, null, null), Device(token));
        var before = await device.GetFirmwareUpdate("u1");

        var backwards = await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloading, 50, null), Device(token));
        var unknownState = await device.ReportFirmwareProgress("u1", new FirmwareProgress("installing", null, null), Device(token));
        var notTheDevices = await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Sent, null, null), Device(token));
        var outOfRange = await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updating, 101, null), Device(token));
        var unknownUpdate = await device.ReportFirmwareProgress("nope", new FirmwareProgress(FirmwareStates.Downloading, null, null), Device(token));

        Assert.All(new[] { backwards, unknownState, notTheDevices, outOfRange, unknownUpdate }, r => Assert.Equal(ErrorCodes.ValidationFailed, r.ErrorCode));
        Assert.Equal("a firmware update that is verified cannot go back to downloading", backwards.Message);
        Assert.Equal(before, await device.GetFirmwareUpdate("u1"));
        Assert.Null(await device.GetFirmwareUpdate("nope"));
        Assert.Equal([FirmwareStates.Sent, FirmwareStates.Verified], StatesAnnounced(id, "u1"));
    }

    [Fact]
    public async Task A_report_on_an_ended_update_is_refused()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updated, null, null), Device(token));

        var late = await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Failed, null, "too late"), Device(token));

        Assert.Equal(ErrorCodes.ValidationFailed, late.ErrorCode);
        Assert.Equal("the firmware update has already ended (updated)", late.Message);
        Assert.Equal(FirmwareStates.Updated, (await device.GetFirmwareUpdate("u1"))!.State);
    }

    [Fact]
    public async Task A_second_update_while_one_is_in_flight_is_refused_clearly_and_one_may_start_once_it_has_ended()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloading, 5, null), Device(token));

        var second = await device.StartFirmwareUpdate(Update("u2", "3.0"), Operator);
        var unnamed = await device.StartFirmwareUpdate(Update(null, "3.0"), Operator);

        Assert.Equal(ErrorCodes.ValidationFailed, second.Result.ErrorCode);
        Assert.Equal("the device already has a firmware update in flight ('u1', downloading); another may start once it has ended", second.Result.Message);
        Assert.Equal(ErrorCodes.ValidationFailed, unnamed.Result.ErrorCode);
        Assert.Null(await device.GetFirmwareUpdate("u2"));
        Assert.Single(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));

        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Failed, null, "no space"), Device(token));
        var afterwards = await device.StartFirmwareUpdate(Update("u2", "3.0"), Operator);

        Assert.True(afterwards.Result.IsOk, afterwards.Result.Message);
        Assert.Equal(["u1", "u2"], (await device.GetFirmwareUpdates()).Select(u => u.UpdateId));
    }

    [Fact]
    public async Task The_same_update_id_twice_is_sent_once_and_answered_with_the_first_ones_state()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        var first = await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloaded, null, null), Device(token));

        var again = await device.StartFirmwareUpdate(Update("u1", "9.9"), Operator);

        Assert.True(again.Result.IsOk, again.Result.Message);
        Assert.Equal((false, true), (first.Repeated, again.Repeated));
        Assert.Equal((FirmwareStates.Downloaded, "2.0"), (again.Status!.State, again.Status.Version));
        Assert.Single(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));

        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updated, null, null), Device(token));
        Assert.Equal(FirmwareStates.Updated, (await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator)).Status!.State);
        Assert.Single(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));
    }

    [Fact]
    public async Task An_update_with_no_progress_for_the_timeout_expires_and_a_late_report_is_refused()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloading, 20, null), Device(token));

        await WaitForStateAsync(device, "u1", FirmwareStates.Expired);

        Assert.Equal([FirmwareStates.Sent, FirmwareStates.Downloading, FirmwareStates.Expired], StatesAnnounced(id, "u1"));
        Assert.Equal([FirmwareStates.Sent, FirmwareStates.Downloading, FirmwareStates.Expired], StatesAudited(id, "u1"));
        Assert.Contains("Firmware:TimeoutSeconds", (await device.GetFirmwareUpdate("u1"))!.Error);
        var late = await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloaded, null, null), Device(token));
        Assert.Equal(ErrorCodes.ValidationFailed, late.ErrorCode);
        Assert.True((await device.StartFirmwareUpdate(Update("u2", "2.0"), Operator)).Result.IsOk, "an expired update leaves room for the next");
    }

    [Fact]
    public async Task An_update_to_a_silent_device_is_initiated_and_sent_when_it_is_next_heard_from()
    {
        var (device, id, token) = await cluster.RegisterSilentDeviceAsync();

        var outcome = await device.StartFirmwareUpdate(Update(null, "2.0"), Operator);

        Assert.True(outcome.Result.IsOk, outcome.Result.Message);
        Assert.Equal(FirmwareStates.Initiated, outcome.Status!.State);
        Assert.Matches("^[0-9a-f]{32}$", outcome.Status.UpdateId);
        Assert.Empty(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));

        Assert.True((await device.Heartbeat(DeviceMetrics.None, Device(token))).IsOk);

        var sent = Assert.Single(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));
        Assert.Equal(outcome.Status.UpdateId, sent.Update.UpdateId);
        Assert.Equal(FirmwareStates.Sent, (await device.GetFirmwareUpdate(outcome.Status.UpdateId))!.State);
        Assert.Equal([FirmwareStates.Initiated, FirmwareStates.Sent], StatesAudited(id, outcome.Status.UpdateId));
        await device.Heartbeat(DeviceMetrics.None, Device(token));
        Assert.Single(cluster.Events.Of<SentFirmwareUpdate>(s => s.Update.DeviceId == id));
    }

    [Fact]
    public async Task An_update_survives_a_deactivation_in_the_middle_and_goes_on_to_its_end()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);
        await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Downloading, 30, null), Device(token));

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        var kept = await device.GetFirmwareUpdate("u1");
        Assert.Equal((FirmwareStates.Downloading, 30d), (kept!.State, kept.Progress));
        Assert.Equal(ErrorCodes.ValidationFailed, (await device.StartFirmwareUpdate(Update("u2", "3.0"), Operator)).Result.ErrorCode);
        Assert.True((await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updated, null, null), Device(token))).IsOk);
        Assert.Equal("2.0", (await device.GetSnapshot()).FirmwareVersion);
    }

    [Fact]
    public async Task An_update_that_expires_while_its_grain_is_deactivated_expires_on_reactivation()
    {
        var (device, _, _) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);

        await device.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await Task.Delay(TimeSpan.FromSeconds(ClusterFixture.FirmwareTimeoutSeconds + 0.5));

        await WaitForStateAsync(device, "u1", FirmwareStates.Expired);
    }

    [Fact]
    public async Task An_updated_report_whose_write_fails_changes_nothing_and_its_resend_ends_the_update()
    {
        var (device, id, token) = await cluster.RegisterDeviceAsync();
        await device.StartFirmwareUpdate(Update("u1", "2.0"), Operator);

        cluster.Storage.FailNextWrites(id);
        await Assert.ThrowsAsync<PassingFaultException>(() => device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updated, null, null), Device(token)));

        Assert.Equal(FirmwareStates.Sent, (await device.GetFirmwareUpdate("u1"))!.State);
        Assert.Equal("1.0", (await device.GetSnapshot()).FirmwareVersion);
        Assert.True((await device.ReportFirmwareProgress("u1", new FirmwareProgress(FirmwareStates.Updated, null, null), Device(token))).IsOk);
        Assert.Equal(FirmwareStates.Updated, (await device.GetFirmwareUpdate("u1"))!.State);
        Assert.Equal("2.0", (await device.GetSnapshot()).FirmwareVersion);
    }

    [Fact]
    public async Task Only_operators_start_updates_and_only_the_device_reports_on_them()
    {
        var (device, _, token) = await cluster.RegisterDeviceAsync();
        var (_, _, otherToken) = await cluster.RegisterDeviceAsync();

        var byDevice = await device.StartFirmwareUpdate(Update("u1", "2.0"), Device(token));
        await device.StartFirmwareUpdate(Update("u2", "2.0"), Operator);
        var byOther = await device.ReportFirmwareProgress("u2", new FirmwareProgress(FirmwareStates.Updated, null, null), Device(otherToken));
        var unregistered = await cluster.Client.GetGrain<IDeviceGrain>($"dev-{Guid.NewGuid():N}").StartFirmwareUpdate(Update(null, "2.0"), Operator);

        Assert.Equal(ErrorCodes.Forbidden, byDevice.Result.ErrorCode);
        Assert.Equal(ErrorCodes.Unauthorized, byOther.ErrorCode);
        Assert.Equal(ErrorCodes.NotRegistered, unregistered.Result.ErrorCode);
        Assert.Null(await device.GetFirmwareUpdate("u1"));
        Assert.Equal(FirmwareStates.Sent, (await device.GetFirmwareUpdate("u2"))!.State);
    }

    private static FirmwareRequest Update(string? updateId, string version) =>
        new(updateId, version, $"https://firmware.example/{version}.bin", Checksum);

    private static Caller Device(string token) => new(CallerKind.Anonymous, token);

    private static async Task WaitForStateAsync(IDeviceGrain device, string updateId, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(ClusterFixture.FirmwareTimeoutSeconds + 5);
        while ((await device.GetFirmwareUpdate(updateId))?.State != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"firmware update {updateId} became {state}");
            await Task.Delay(100);
        }
    }

    private List<string> StatesAnnounced(string deviceId, string updateId) =>
        [.. cluster.Events.Of<FirmwareStatus>(u => u.DeviceId == deviceId && u.UpdateId == updateId).Select(u => u.State)];

    private List<string> StatesAudited(string deviceId, string updateId) =>
        [.. cluster.Audit.Read(deviceId).Where(e => e.Kind == FirmwareAudit.Kind && e.Id == updateId).Select(e => e.State)];
}
