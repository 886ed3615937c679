using System.Net;
using System.Text.Json;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>The configuration twin over HTTP: updates made as over MQTT, the delta shown until the device reports the values.</summary>
[Collection(NodeCollection.Name)]
public sealed class ConfigApiTests(NodeFixture node)
{
    [Fact]
    public async Task A_change_over_http_shows_its_delta_until_the_device_reports_it()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/config/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var (created, location) = await api.CreateAsync($"/api/v1/devices/{deviceId}/config", """{"config":{"interval":30,"mode":"eco"}}""");

        Assert.Equal($"/api/v1/devices/{deviceId}/config", location);
        var configId = created.Text("config_id");
        Assert.Equal(("sent", 1, false), (created.Text("status"), created.GetProperty("version").GetInt32(), created.GetProperty("repeated").GetBoolean()));
        Assert.Equal(30, created.GetProperty("updates").GetProperty("interval").GetInt32());
        var twin = await api.GetJsonAsync(location);
        AssertJson("""{"interval":30,"mode":"eco"}""", twin.GetProperty("desired"));
        AssertJson("""{"interval":30,"mode":"eco"}""", twin.GetProperty("delta"));
        Assert.Equal(JsonValueKind.Null, twin.GetProperty("reported").ValueKind);
        Assert.Equal((1, 0), (twin.GetProperty("desired_version").GetInt32(), twin.GetProperty("reported_version").GetInt32()));
        Assert.Equal((configId, "sent"), (Assert.Single(twin.Items("updates")).Text("config_id"), twin.Items("updates")[0].Text("status")));

        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/config/{configId}");
        Assert.Equal("eco", received.GetProperty("updates").Text("mode"));
        var result = await device.PublishAsync($"iot/devices/control/{deviceId}/config/{configId}/result", """{"status":"applied","reported":{"interval":30}}""");
        Assert.True(result.IsSuccess, result.ReasonString);

        var partly = await api.GetJsonAsync(location);
        AssertJson("""{"mode":"eco"}""", partly.GetProperty("delta"));
        AssertJson("""{"interval":30}""", partly.GetProperty("reported"));
        Assert.Equal("applied", partly.Items("updates")[0].Text("status"));

        var (second, _) = await api.CreateAsync($"/api/v1/devices/{deviceId}/config", """{"config":{"interval":60},"config_id":"slower"}""");
        Assert.Equal(2, second.GetProperty("version").GetInt32());
        await device.WaitForAsync($"iot/devices/{deviceId}/config/slower");
        Assert.True((await device.PublishAsync(
            $"iot/devices/control/{deviceId}/config/slower/result", """{"status":"applied","reported":{"interval":60,"mode":"eco"}}""")).IsSuccess);

        var reported = await api.GetJsonAsync(location);
        AssertJson("{}", reported.GetProperty("delta"));
        AssertJson("""{"interval":60,"mode":"eco"}""", reported.GetProperty("desired"));
        Assert.Equal((2, 2), (reported.GetProperty("desired_version").GetInt32(), reported.GetProperty("reported_version").GetInt32()));
        Assert.Equal([configId, "slower"], reported.Items("updates").Select(u => u.Text("config_id")));
    }

    [Fact]
    public async Task The_same_config_id_twice_is_applied_once()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await OperatorActions.TakeOfflineAsync(node, deviceId, token);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var (first, _) = await api.CreateAsync($"/api/v1/devices/{deviceId}/config", """{"config":{"interval":30},"config_id":"once"}""");
        using var again = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/config", """{"config":{"interval":99},"config_id":"once"}""");

        Assert.Equal(("pending", 1), (first.Text("status"), first.GetProperty("version").GetInt32()));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeated = await ApiClient.OkJsonAsync(again);
        Assert.Equal(("once", 1, true), (repeated.Text("config_id"), repeated.GetProperty("version").GetInt32(), repeated.GetProperty("repeated").GetBoolean()));
        var twin = await api.GetJsonAsync($"/api/v1/devices/{deviceId}/config");
        AssertJson("""{"interval":30}""", twin.GetProperty("desired"));
        Assert.Equal(1, twin.GetProperty("desired_version").GetInt32());
    }

    [Theory]
    [InlineData("""{"config":{}}""", "'config' must be a non-empty object")]
    [InlineData("""{"config":[1]}""", "'config' must be an object")]
    [InlineData("""{"config":{"a":1},"config_id":"no/slash"}""", "'config_id' must match")]
    [InlineData("""{}""", "'config' must be a non-empty object")]
    public async Task A_malformed_update_is_refused_naming_the_field(string body, string expected)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/config", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(expected, problem.Text("detail"));
        Assert.Equal(0, (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetConfig()).DesiredVersion);
    }

    [Fact]
    public async Task A_device_that_is_not_registered_has_no_configuration()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var update = await api.PostJsonAsync("/api/v1/devices/no-such-device/config", """{"config":{"a":1}}""");
        using var twin = await api.GetAsync("/api/v1/devices/no-such-device/config");
        using var badId = await api.GetAsync("/api/v1/devices/bad%20id/config");

        await ApiClient.AssertProblemAsync(update, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
        await ApiClient.AssertProblemAsync(twin, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
        await ApiClient.AssertProblemAsync(badId, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
    }

    private static void AssertJson(string expected, JsonElement actual) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, actual), $"expected {expected}, got {actual}");
}
