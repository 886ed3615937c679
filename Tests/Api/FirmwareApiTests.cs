using System.Net;
using Orleans.IoT.Gateway.Api;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>Firmware updates over HTTP: started as over MQTT, their progress followed as the device reports it.</summary>
[Collection(NodeCollection.Name)]
public sealed class FirmwareApiTests(NodeFixture node)
{
    public const string Hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public static string Update(string version, string? updateId = null) =>
        $$"""{"version":"{{version}}","url":"https://fw.example/{{version}}.bin","checksum":"{{Hex.ToUpperInvariant()}}"{{(updateId is null ? "" : $",\"update_id\":\"{updateId}\"")}}}""";

    [Fact]
    public async Task An_update_started_over_http_reaches_the_device_and_its_progress_is_followed_to_updated()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/firmware/update/+");
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var (created, location) = await api.CreateAsync($"/api/v1/devices/{deviceId}/firmware", Update("2.0.0"));

        var updateId = created.Text("update_id");
        Assert.Equal($"/api/v1/devices/{deviceId}/firmware/{updateId}", location);
        Assert.Equal(("sent", "2.0.0", $"sha256:{Hex}", false), (created.Text("status"), created.Text("version"), created.Text("checksum"), created.GetProperty("repeated").GetBoolean()));
        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/firmware/update/{updateId}");
        Assert.Equal("https://fw.example/2.0.0.bin", received.Text("url"));

        var progressTopic = $"iot/devices/firmware/{deviceId}/update/{updateId}/progress";
        Assert.True((await device.PublishAsync(progressTopic, """{"state":"downloading","progress":40}""")).IsSuccess);
        var downloading = await api.GetJsonAsync(location);
        Assert.Equal(("downloading", 40.0), (downloading.Text("status"), downloading.GetProperty("progress").GetDouble()));
        Assert.True((await device.PublishAsync(progressTopic, """{"state":"downloading","progress":80}""")).IsSuccess);
        Assert.Equal(80.0, (await api.GetJsonAsync(location)).GetProperty("progress").GetDouble());
        Assert.True((await device.PublishAsync(progressTopic, """{"state":"updated","progress":100}""")).IsSuccess);

        var updated = await api.GetUntilAsync(location, u => u.Text("status") == "updated", "the update ended updated");
        Assert.Equal(100.0, updated.GetProperty("progress").GetDouble());
        Assert.Equal("2.0.0", (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).FirmwareVersion);
        var listed = Assert.Single((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/firmware")).Items("updates"));
        Assert.Equal((updateId, "updated", "2.0.0"), (listed.Text("update_id"), listed.Text("status"), listed.Text("version")));
        Assert.Equal(["sent", "downloading", "updated"], listed.Items("states").Select(s => s.Text("state")));
    }

    [Fact]
    public async Task An_update_for_an_offline_device_is_initiated_and_the_same_update_id_twice_is_started_once()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await OperatorActions.TakeOfflineAsync(node, deviceId, token);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var (created, location) = await api.CreateAsync($"/api/v1/devices/{deviceId}/firmware", Update("3.0.0", "fw-3"));
        using var again = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/firmware", Update("4.0.0", "fw-3"));
        using var another = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/firmware", Update("5.0.0"));

        Assert.Equal(("fw-3", "initiated"), (created.Text("update_id"), created.Text("status")));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeated = await ApiClient.OkJsonAsync(again);
        Assert.Equal(("3.0.0", true), (repeated.Text("version"), repeated.GetProperty("repeated").GetBoolean()));
        var inFlight = await ApiClient.AssertProblemAsync(another, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.Contains("already has a firmware update in flight", inFlight.Text("detail"));
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/firmware/update/+");
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);
        Assert.Equal("3.0.0", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/firmware/update/fw-3")).Text("version"));
        Assert.Equal("sent", (await api.GetJsonAsync(location)).Text("status"));
    }

    [Theory]
    [InlineData("""{"url":"https://fw.example/a.bin","checksum":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}""", "'version' is required")]
    [InlineData("""{"version":"1","url":"ftp://fw.example/a.bin","checksum":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}""", "'url' must be an absolute http or https URL")]
    [InlineData("""{"version":"1","url":"https://fw.example/a.bin","checksum":"md5:abc"}""", "'checksum' must be sha256:")]
    [InlineData("""{"version":"1","url":"https://fw.example/a.bin","checksum":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","update_id":"-x"}""", "'update_id' must match")]
    public async Task A_malformed_update_is_refused_naming_the_field(string body, string expected)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/firmware", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(expected, problem.Text("detail"));
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetFirmwareUpdates());
    }

    [Fact]
    public async Task Refusals_name_what_is_wrong()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var unregistered = await api.PostJsonAsync("/api/v1/devices/no-such-device/firmware", Update("1.0.0"));
        using var unknown = await api.GetAsync($"/api/v1/devices/{deviceId}/firmware/never-started");
        using var badUpdateId = await api.GetAsync($"/api/v1/devices/{deviceId}/firmware/bad$id");
        using var badLimit = await api.GetAsync($"/api/v1/devices/{deviceId}/firmware?limit=x");
        using var badDevice = await api.GetAsync("/api/v1/devices/alerts/firmware");
        using var tooLarge = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/firmware", $$"""{"version":"{{new string('9', NodeFixture.MaxPayloadBytes)}}"}""");
        using var notJson = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/firmware", "version=1");

        await ApiClient.AssertProblemAsync(unregistered, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, ApiProblems.NotFound);
        Assert.StartsWith("update_id must match", (await ApiClient.AssertProblemAsync(badUpdateId, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed)).Text("detail"));
        Assert.StartsWith("limit must be", (await ApiClient.AssertProblemAsync(badLimit, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed)).Text("detail"));
        Assert.StartsWith("device_id must match", (await ApiClient.AssertProblemAsync(badDevice, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed)).Text("detail"));
        await ApiClient.AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        await ApiClient.AssertProblemAsync(notJson, HttpStatusCode.BadRequest, ErrorCodes.InvalidJson);
        Assert.Empty((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/firmware")).Items("updates"));
    }
}
