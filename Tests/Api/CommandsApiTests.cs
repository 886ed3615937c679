using System.Net;
using System.Text;
using System.Text.Json;
using Orleans.IoT.Gateway.Api;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>Commands over HTTP: the same lifecycle as over MQTT, a device connected over MQTT answering them.</summary>
[Collection(NodeCollection.Name)]
public sealed class CommandsApiTests(NodeFixture node)
{
    [Fact]
    public async Task A_command_sent_over_http_reaches_the_device_over_mqtt_and_is_watched_until_it_succeeds()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var (created, location) = await api.CreateAsync(
            $"/api/v1/devices/{deviceId}/commands", """{"command":"set_interval","parameters":{"seconds":30},"ttl_seconds":120}""");

        var commandId = created.Text("command_id");
        Assert.Equal($"/api/v1/devices/{deviceId}/commands/{commandId}", location);
        Assert.Equal((deviceId, "set_interval", "sent", false), (created.Text("device_id"), created.Text("command"), created.Text("status"), created.GetProperty("repeated").GetBoolean()));
        Assert.Equal(30, created.GetProperty("parameters").GetProperty("seconds").GetInt32());
        Assert.Equal(120, (created.GetProperty("expires_at").GetDateTimeOffset() - created.GetProperty("created_at").GetDateTimeOffset()).TotalSeconds, 3);

        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/{commandId}");
        Assert.Equal(30, received.GetProperty("parameters").GetProperty("seconds").GetInt32());
        var resultTopic = $"iot/devices/control/{deviceId}/command/{commandId}/result";
        Assert.True((await device.PublishAsync(resultTopic, """{"status":"delivered"}""")).IsSuccess);
        Assert.Equal("delivered", (await api.GetJsonAsync(location)).Text("status"));
        Assert.True((await device.PublishAsync(resultTopic, """{"status":"succeeded","result":{"applied":true}}""")).IsSuccess);

        var succeeded = await api.GetUntilAsync(location, c => c.Text("status") == "succeeded", "the command succeeded");
        Assert.True(succeeded.GetProperty("result").GetProperty("applied").GetBoolean());
        Assert.False(succeeded.TryGetProperty("repeated", out _));

        var listed = Assert.Single((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands")).Items("commands"));
        Assert.Equal((commandId, "succeeded", "set_interval"), (listed.Text("command_id"), listed.Text("status"), listed.Text("command")));
        Assert.Equal(["sent", "delivered", "succeeded"], listed.Items("states").Select(s => s.Text("state")));
        Assert.True(listed.GetProperty("result").GetProperty("applied").GetBoolean());
    }

    [Fact]
    public async Task A_command_for_an_offline_device_is_queued_and_delivered_when_it_is_next_heard_from()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await OperatorActions.TakeOfflineAsync(node, deviceId, token);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var (created, location) = await api.CreateAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"reboot","command_id":"later"}""");

        Assert.Equal(("later", "queued"), (created.Text("command_id"), created.Text("status")));
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);
        Assert.Equal("reboot", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/later")).Text("command"));
        Assert.Equal("sent", (await api.GetJsonAsync(location)).Text("status"));
        var listed = Assert.Single((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands")).Items("commands"));
        Assert.Equal(["queued", "sent"], listed.Items("states").Select(s => s.Text("state")));
    }

    [Fact]
    public async Task The_same_command_id_twice_is_sent_once_and_answered_with_the_first_ones_status()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        const string command = """{"command":"reboot","command_id":"dup-1"}""";

        var (first, location) = await api.CreateAsync($"/api/v1/devices/{deviceId}/commands", command);
        await device.WaitForAsync($"iot/devices/{deviceId}/commands/dup-1");
        Assert.True((await device.PublishAsync($"iot/devices/control/{deviceId}/command/dup-1/result", """{"status":"delivered"}""")).IsSuccess);
        using var again = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"shutdown","command_id":"dup-1"}""");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeated = await ApiClient.OkJsonAsync(again);
        Assert.Equal(("dup-1", "reboot", "delivered", true), (repeated.Text("command_id"), repeated.Text("command"), repeated.Text("status"), repeated.GetProperty("repeated").GetBoolean()));
        Assert.Equal(first.GetProperty("created_at").GetDateTimeOffset(), repeated.GetProperty("created_at").GetDateTimeOffset());
        await device.AssertNothingOnAsync($"iot/devices/{deviceId}/commands/dup-1", TimeSpan.FromMilliseconds(500));
        Assert.Single(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
        Assert.Equal("delivered", (await api.GetJsonAsync(location)).Text("status"));
    }

    [Fact]
    public async Task A_device_with_a_full_queue_refuses_one_more_command_with_rate_limited()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await OperatorActions.TakeOfflineAsync(node, deviceId, token);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        for (var i = 0; i < 50; i++)
        {
            await api.CreateAsync($"/api/v1/devices/{deviceId}/commands", $$"""{"command":"step","command_id":"c{{i}}"}""");
        }

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"step"}""");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.Contains("Commands:MaxQueuedPerDevice", problem.Text("detail"));
    }

    [Fact]
    public async Task A_command_for_a_device_that_is_not_registered_is_not_found()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PostJsonAsync("/api/v1/devices/no-such-device/commands", """{"command":"reboot"}""");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
    }

    [Theory]
    [InlineData("""{"parameters":{}}""", "'command' is required")]
    [InlineData("""{"command":"x","parameters":[1]}""", "'parameters' must be an object")]
    [InlineData("""{"command":"x","ttl_seconds":0}""", "'ttl_seconds' must be a whole number")]
    [InlineData("""{"command":"x","ttl_seconds":"60"}""", "'ttl_seconds' must be a finite number")]
    [InlineData("""{"command":"x","command_id":"has space"}""", "'command_id' must match")]
    public async Task A_malformed_command_is_refused_naming_the_field_as_over_mqtt(string body, string expected)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(expected, problem.Text("detail"));
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
    }

    [Theory]
    [InlineData("{\"command\":")]
    [InlineData("[{\"command\":\"reboot\"}]")]
    [InlineData("")]
    public async Task A_body_that_is_not_a_json_object_is_invalid_json(string body)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", body);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidJson);
    }

    [Fact]
    public async Task The_body_is_read_as_json_whatever_content_type_it_comes_with()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.Http.PostAsync(
            $"/api/v1/devices/{deviceId}/commands", new StringContent("""{"command":"reboot"}""", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("reboot", (await ApiClient.OkJsonAsync(response)).Text("command"));
    }

    [Fact]
    public async Task A_body_over_the_payload_limit_is_payload_too_large()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var body = $$$"""{"command":"x","parameters":{"blob":"{{{new string('a', NodeFixture.MaxPayloadBytes)}}}"}}""";

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", body);
        using var unsized = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/devices/{deviceId}/commands") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        unsized.Headers.TransferEncodingChunked = true;
        using var chunked = await api.Http.SendAsync(unsized);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        await ApiClient.AssertProblemAsync(chunked, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
    }

    [Theory]
    [InlineData("/api/v1/devices/bad%20id/commands", "device_id must match")]
    [InlineData("/api/v1/devices/register/commands", "device_id must match")]
    [InlineData("/api/v1/devices/some-device/commands/bad$id", "command_id must match")]
    [InlineData("/api/v1/devices/some-device/commands/x123456789x123456789x123456789x123456789x123456789x123456789x1234", "command_id must match")]
    [InlineData("/api/v1/devices/some-device/commands?limit=0", "limit must be an integer from 1 to 100")]
    [InlineData("/api/v1/devices/some-device/commands?limit=101", "limit must be an integer from 1 to 100")]
    [InlineData("/api/v1/devices/some-device/commands?from=yesterday", "from must be")]
    [InlineData("/api/v1/devices/some-device/commands?to=1e99", "to must be")]
    [InlineData("/api/v1/devices/some-device/commands?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from must lie before to")]
    public async Task A_bad_path_or_query_value_is_refused_naming_it(string path, string expected)
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.GetAsync(path);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(expected, problem.Text("detail"));
    }

    [Fact]
    public async Task An_unknown_command_is_not_found_and_a_device_without_commands_lists_none()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.GetAsync($"/api/v1/devices/{deviceId}/commands/never-sent");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, ApiProblems.NotFound);
        Assert.Empty((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands")).Items("commands"));
    }

    [Fact]
    public async Task The_list_is_the_latest_commands_most_recently_changed_first_within_the_range_and_limit()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await OperatorActions.TakeOfflineAsync(node, deviceId, token);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        foreach (var id in new[] { "one", "two", "three" })
        {
            await api.CreateAsync($"/api/v1/devices/{deviceId}/commands", $$"""{"command":"step","command_id":"{{id}}"}""");
        }

        var all = (await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands")).Items("commands");
        var limited = (await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands?limit=2")).Items("commands");
        var inRange = (await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands?from={before.ToUnixTimeSeconds()}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}")).Items("commands");
        var beforeAny = (await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands?to={before.ToUnixTimeSeconds()}")).Items("commands");

        Assert.Equal(["three", "two", "one"], all.Select(c => c.Text("command_id")));
        Assert.Equal(["three", "two"], limited.Select(c => c.Text("command_id")));
        Assert.Equal(3, inRange.Count);
        Assert.Empty(beforeAny);
        Assert.All(all, c => Assert.Equal(("queued", "step"), (c.Text("status"), c.Text("command"))));
    }

    [Fact]
    public async Task Only_an_operator_may_send_commands_over_http()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        using var asDevice = new ApiClient(node.HttpPort, token);

        using var response = await asDevice.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"reboot"}""");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
    }
}
