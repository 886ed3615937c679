using System.Net;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// The operator API in the durable profile: commands and firmware updates the device grain no longer holds, answered
/// from the lifecycle audit in PostgreSQL; alerts read from, and acknowledged in, PostgreSQL.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class DurableOperatorApiTests(DurableNodeFixture node)
{
    /// <summary>More ended commands or updates than a device grain remembers (Commands:RememberEnded, Firmware:RememberEnded).</summary>
    private const int MoreThanRemembered = 21;

    [Fact]
    public async Task A_command_the_device_no_longer_holds_is_answered_from_the_audit_with_its_states()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        await api.CreateAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"calibrate","parameters":{"offset":2},"command_id":"first"}""");
        await device.WaitForAsync($"iot/devices/{deviceId}/commands/first");
        Assert.True((await device.PublishAsync($"iot/devices/control/{deviceId}/command/first/result", """{"status":"delivered"}""")).IsSuccess);
        Assert.True((await device.PublishAsync($"iot/devices/control/{deviceId}/command/first/result", """{"status":"succeeded","result":{"offset":2}}""")).IsSuccess);
        for (var i = 0; i < MoreThanRemembered; i++)
        {
            await api.CreateAsync($"/api/v1/devices/{deviceId}/commands", $$"""{"command":"noop","command_id":"later-{{i}}"}""");
            await device.WaitForAsync($"iot/devices/{deviceId}/commands/later-{i}");
            Assert.True((await device.PublishAsync($"iot/devices/control/{deviceId}/command/later-{i}/result", """{"status":"rejected","error":"busy"}""")).IsSuccess);
        }

        Assert.Null(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommand("first"));

        var first = await api.GetUntilAsync($"/api/v1/devices/{deviceId}/commands/first", c => c.TryGetProperty("states", out var s) && s.GetArrayLength() == 3, "the audit has the command's three states");
        Assert.Equal(("first", "calibrate", "succeeded"), (first.Text("command_id"), first.Text("command"), first.Text("status")));
        Assert.Equal(["sent", "delivered", "succeeded"], first.Items("states").Select(s => s.Text("state")));
        Assert.Equal(2, first.GetProperty("parameters").GetProperty("offset").GetInt32());
        Assert.Equal(2, first.GetProperty("result").GetProperty("offset").GetInt32());
        Assert.Equal(first.Items("states")[0].GetProperty("at").GetDateTimeOffset(), first.GetProperty("created_at").GetDateTimeOffset());

        var all = await api.GetUntilAsync(
            $"/api/v1/devices/{deviceId}/commands?limit=100", l => l.Items("commands").Count == MoreThanRemembered + 1 && l.Items("commands")[0].Text("status") == "rejected",
            "the audit lists every command");
        Assert.Equal($"later-{MoreThanRemembered - 1}", all.Items("commands")[0].Text("command_id"));
        Assert.Equal(["sent", "rejected"], all.Items("commands")[0].Items("states").Select(s => s.Text("state")));
        Assert.Equal("busy", all.Items("commands")[0].Text("error"));
        Assert.Equal("first", all.Items("commands")[^1].Text("command_id"));
        Assert.Equal(5, (await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands?limit=5")).Items("commands").Count);
        using var unknown = await api.GetAsync($"/api/v1/devices/{deviceId}/commands/never-sent");
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_firmware_update_the_device_no_longer_holds_is_answered_from_the_audit_with_its_progress()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/firmware/update/+");
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        await api.CreateAsync($"/api/v1/devices/{deviceId}/firmware", FirmwareApiTests.Update("2.0.0", "first"));
        await device.WaitForAsync($"iot/devices/{deviceId}/firmware/update/first");
        var progress = $"iot/devices/firmware/{deviceId}/update/first/progress";
        Assert.True((await device.PublishAsync(progress, """{"state":"downloading","progress":30}""")).IsSuccess);
        Assert.True((await device.PublishAsync(progress, """{"state":"updated","progress":100}""")).IsSuccess);
        for (var i = 0; i < MoreThanRemembered; i++)
        {
            await api.CreateAsync($"/api/v1/devices/{deviceId}/firmware", FirmwareApiTests.Update($"3.0.{i}", $"later-{i}"));
            await device.WaitForAsync($"iot/devices/{deviceId}/firmware/update/later-{i}");
            Assert.True((await device.PublishAsync($"iot/devices/firmware/{deviceId}/update/later-{i}/progress", """{"state":"failed","error":"no space"}""")).IsSuccess);
        }

        Assert.Null(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetFirmwareUpdate("first"));

        var first = await api.GetUntilAsync($"/api/v1/devices/{deviceId}/firmware/first", u => u.TryGetProperty("states", out var s) && s.GetArrayLength() == 3, "the audit has the update's three states");
        Assert.Equal(("2.0.0", "updated", 100.0), (first.Text("version"), first.Text("status"), first.GetProperty("progress").GetDouble()));
        Assert.Equal(("https://fw.example/2.0.0.bin", $"sha256:{FirmwareApiTests.Hex}"), (first.Text("url"), first.Text("checksum")));
        Assert.Equal(["sent", "downloading", "updated"], first.Items("states").Select(s => s.Text("state")));

        var latest = await api.GetUntilAsync(
            $"/api/v1/devices/{deviceId}/firmware?limit=3", l => l.Items("updates").Count == 3 && l.Items("updates")[0].Text("status") == "failed", "the audit lists the latest updates");
        Assert.Equal([$"later-{MoreThanRemembered - 1}", $"later-{MoreThanRemembered - 2}", $"later-{MoreThanRemembered - 3}"], latest.Items("updates").Select(u => u.Text("update_id")));
        Assert.Equal("no space", latest.Items("updates")[0].Text("error"));
    }

    [Fact]
    public async Task An_alert_is_listed_acknowledged_and_listed_as_cleared_from_postgresql() =>
        await AlertsApiFlow.RaiseAcknowledgeAndClearAsync(node);
}
