using System.Net;
using System.Text;
using System.Text.Json;
using MQTTnet;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// <c>/api/v1/devices</c> on a running node: the list, one device's full state, unregistering. Each test works on
/// devices of a type (and locations, names) of its own, as the node's catalog is shared by the collection's tests. In
/// the durable profile the catalog is written in batches, so a test waits, with a bound, for its devices to be listed.
/// </summary>
public abstract class DevicesApiTests(NodeFixture node)
{
    private static readonly TimeSpan CatalogWait = TimeSpan.FromSeconds(20);

    private const string FirmwareChecksum = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Fact]
    public async Task The_list_filters_by_status_type_location_and_name_each_alone_and_combined()
    {
        using var api = Api();
        var p = NewPrefix();
        var (sensor, meter, hall, roof) = ($"{p}sensor", $"{p}meter", $"{p}hall", $"{p}roof");
        await RegisterAsync($"{p}e", $"{p} Boiler PUMP", sensor, hall);
        await RegisterAsync($"{p}a", $"{p} Chiller", sensor, roof);
        await RegisterAsync($"{p}c", $"{p} pump house", meter, hall);
        await RegisterAsync($"{p}b", $"{p} Boiler", meter, roof);
        await RegisterAsync($"{p}d", $"{p} fan", sensor, hall);
        await GoOfflineAsync($"{p}a");
        await UnregisterAsync($"{p}c");
        await UnregisterAsync($"{p}d");
        await WaitForCatalogAsync(api, $"q={Uri.EscapeDataString(p)}", $"a:offline b:online c:unregistered d:unregistered e:online", p);

        async Task<string> Ids(string query) => string.Concat((await ListAsync(api, query)).Devices.Select(id => id[p.Length..]));

        Assert.Equal("ade", await Ids($"type={sensor}"));
        Assert.Equal("cde", await Ids($"location={hall}"));
        Assert.Equal("be", await Ids($"q={Uri.EscapeDataString($"{p} BOILER".ToUpperInvariant())}"));
        Assert.Equal("be", await Ids($"status=online&q={p}"));
        Assert.Equal("a", await Ids($"status=offline&q={p}"));
        Assert.Equal("cd", await Ids($"status=unregistered&q={p}"));
        Assert.Equal("ce", await Ids($"location={hall}&q=pump"));
        Assert.Equal("d", await Ids($"status=unregistered&type={sensor}"));
        Assert.Equal("e", await Ids($"status=online&type={sensor}&location={hall}&q=PuMp"));
        Assert.Equal("", await Ids($"status=offline&type={meter}&location={roof}&q={p}"));
        Assert.Equal("ade", await Ids($"type={sensor}&status=&location=&q=&cursor=&limit="));

        var body = await api.GetJsonAsync($"/api/v1/devices?q={p}%20Chiller");
        var device = body.GetProperty("devices").EnumerateArray().Single();
        Assert.Equal($"{p}a", device.GetProperty("device_id").GetString());
        Assert.Equal($"{p} Chiller", device.GetProperty("name").GetString());
        Assert.Equal(sensor, device.GetProperty("type").GetString());
        Assert.Equal(roof, device.GetProperty("location").GetString());
        Assert.Equal("1.0.0", device.GetProperty("firmware_version").GetString());
        Assert.Equal("rev-a", device.GetProperty("hardware_version").GetString());
        Assert.Equal(["temperature"], device.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("offline", device.GetProperty("status").GetString());
        Assert.True(device.GetProperty("last_seen").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(device.GetProperty("created_at").GetDateTimeOffset() <= device.GetProperty("updated_at").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("next_cursor").ValueKind);
    }

    [Fact]
    public async Task The_list_pages_through_more_devices_than_a_page_each_once_in_id_order()
    {
        using var api = Api();
        var p = NewPrefix();
        var type = $"{p}t";
        var ids = Enumerable.Range(0, 25).Select(i => $"{p}{i * 37 % 100:D2}").ToList();
        await RegisterOnlineAsync(api, p, type, ids);

        var (pages, walked) = await WalkAsync(api, $"type={type}&limit=7");

        Assert.Equal([7, 7, 7, 4], pages);
        Assert.Equal(ids.Order(StringComparer.Ordinal), walked);
        var whole = await ListAsync(api, $"type={type}");
        Assert.Equal((25, null), (whole.Devices.Count, whole.NextCursor));
    }

    [Fact]
    public async Task A_walk_returns_every_device_that_existed_before_it_once_while_others_are_registered()
    {
        using var api = Api();
        var p = NewPrefix();
        var type = $"{p}t";
        var before = Enumerable.Range(0, 40).Select(_ => $"{p}{Guid.NewGuid():N}").ToList();
        await RegisterOnlineAsync(api, p, type, before);

        using var stop = new CancellationTokenSource();
        var during = new List<string>();
        var registering = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && during.Count < 1000)
            {
                var id = $"{p}{Guid.NewGuid():N}";
                await RegisterAsync(id, "During", type, null);
                during.Add(id);
            }
        });

        var (_, walked) = await WalkAsync(api, $"type={type}&limit=3", betweenPages: TimeSpan.FromMilliseconds(10));

        await stop.CancelAsync();
        await registering;
        Assert.NotEmpty(during);
        Assert.Equal(walked.Count, walked.Distinct().Count());
        Assert.Equal(walked.Order(StringComparer.Ordinal), walked);
        Assert.All(before, id => Assert.Contains(id, walked));
        Assert.All(walked, id => Assert.True(before.Contains(id) || during.Contains(id), id));
    }

    [Theory]
    [InlineData("status=bogus", "status")]
    [InlineData("status=Online", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("cursor=%21%21%21", "cursor")]
    [InlineData("cursor=YSBi", "cursor")] // base64url of "a b": not a device id
    [InlineData("cursor=cmVnaXN0ZXI", "cursor")] // base64url of "register": a route word
    [InlineData("q=ab", "q")]
    [InlineData("q=a%01b", "q")]
    [InlineData("type=%00", "type")]
    [InlineData("location=a%0Ab", "location")]
    public async Task A_bad_list_parameter_is_validation_failed_naming_it(string query, string parameter)
    {
        using var api = Api();

        using var response = await api.GetAsync($"/api/v1/devices?{query}");

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(parameter + " ", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Text_filters_longer_than_a_registration_field_are_refused_and_the_longest_page_is_served()
    {
        using var api = Api();

        using var tooLong = await api.GetAsync($"/api/v1/devices?q={new string('x', 257)}");
        await ApiClient.AssertProblemAsync(tooLong, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        var longest = await ListAsync(api, $"limit=500&q={new string('x', 256)}");
        Assert.Empty(longest.Devices);
    }

    [Fact]
    public async Task The_full_state_shows_what_the_device_sent_and_what_waits_for_it_and_never_its_token()
    {
        using var api = Api();
        var (deviceId, token) = await node.RegisterDeviceAsync(type: $"{NewPrefix()}t");
        await using var device = await node.ConnectAsync(deviceId, token);
        await using var operatorClient = await node.ConnectOperatorAsync();
        var readAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        await Accepted(device.PublishAsync($"iot/devices/heartbeat/{deviceId}", $$"""{"battery_level":87.5,"signal_strength":-61,"auth_token":"{{token}}"}"""));
        await Accepted(device.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":21.5,"unit":"C","timestamp":{{readAt}}}"""));
        await Accepted(device.PublishAsync($"iot/devices/status/{deviceId}", $$"""{"status":"maintenance","reason":"filter change","auth_token":"{{token}}"}"""));
        await Accepted(operatorClient.PublishAsync($"iot/devices/control/{deviceId}/config", """{"config":{"interval":30,"mode":"eco"},"config_id":"cfg-1"}""", qos: 2));
        await Accepted(device.PublishAsync($"iot/devices/control/{deviceId}/config/cfg-1/result", """{"status":"applied","reported":{"interval":30}}"""));
        await Accepted(operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"ping","command_id":"cmd-done"}""", qos: 2));
        await Accepted(device.PublishAsync($"iot/devices/control/{deviceId}/command/cmd-done/result", """{"status":"succeeded"}"""));
        await Accepted(operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"cmd-1","parameters":{"delay":5}}""", qos: 2));
        await Accepted(operatorClient.PublishAsync($"iot/devices/firmware/{deviceId}/update", $$"""{"version":"1.9.0","url":"https://fw.example/1.9.0.bin","checksum":"{{FirmwareChecksum}}","update_id":"fw-1"}""", qos: 2));
        await Accepted(device.PublishAsync($"iot/devices/firmware/{deviceId}/update/fw-1/progress", """{"state":"failed","error":"no space"}"""));
        await Accepted(operatorClient.PublishAsync($"iot/devices/firmware/{deviceId}/update", $$"""{"version":"2.0.0","url":"https://fw.example/2.0.0.bin","checksum":"{{FirmwareChecksum}}","update_id":"fw-2"}""", qos: 2));

        using var response = await api.GetAsync($"/api/v1/devices/{deviceId}");
        var body = await response.Content.ReadAsStringAsync();
        var state = await ApiClient.OkJsonAsync(response);

        Assert.DoesNotContain(token, body, StringComparison.Ordinal);
        Assert.DoesNotContain("token", body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(deviceId, state.GetProperty("device_id").GetString());
        Assert.Equal("Test device", state.GetProperty("name").GetString());
        Assert.Equal("online", state.GetProperty("status").GetString());
        Assert.True(state.GetProperty("registered_at").GetDateTimeOffset() <= state.GetProperty("last_seen").GetDateTimeOffset());
        Assert.Equal(87.5, state.GetProperty("metrics").GetProperty("battery_level").GetDouble());
        Assert.Equal(-61, state.GetProperty("metrics").GetProperty("signal_strength").GetDouble());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("metrics").GetProperty("cpu_usage").ValueKind);
        var temperature = state.GetProperty("latest").GetProperty("temperature");
        Assert.Equal((21.5, "C", "good"), (temperature.GetProperty("value").GetDouble(), temperature.GetProperty("unit").GetString(), temperature.GetProperty("quality").GetString()));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(readAt), temperature.GetProperty("timestamp").GetDateTimeOffset());
        var report = state.GetProperty("status_report");
        Assert.Equal("maintenance", report.GetProperty("status").GetString());
        Assert.Equal("""{"reason":"filter change"}""", report.GetProperty("details").GetRawText());

        var config = state.GetProperty("config");
        Assert.Equal("""{"interval":30,"mode":"eco"}""", config.GetProperty("desired").GetRawText());
        Assert.Equal("""{"interval":30}""", config.GetProperty("reported").GetRawText());
        Assert.Equal("""{"mode":"eco"}""", config.GetProperty("delta").GetRawText());
        Assert.Equal((1, 1), (config.GetProperty("desired_version").GetInt32(), config.GetProperty("reported_version").GetInt32()));

        var pending = state.GetProperty("pending_commands").EnumerateArray().Single();
        Assert.Equal(("cmd-1", "reboot", "sent"), (pending.GetProperty("command_id").GetString(), pending.GetProperty("command").GetString(), pending.GetProperty("state").GetString()));
        Assert.Equal("""{"delay":5}""", pending.GetProperty("parameters").GetRawText());
        Assert.True(pending.GetProperty("expires_at").GetDateTimeOffset() > pending.GetProperty("created_at").GetDateTimeOffset());

        var firmware = state.GetProperty("firmware");
        var inFlight = firmware.GetProperty("in_flight");
        Assert.Equal(("fw-2", "2.0.0", "sent"), (inFlight.GetProperty("update_id").GetString(), inFlight.GetProperty("version").GetString(), inFlight.GetProperty("state").GetString()));
        Assert.Equal(FirmwareChecksum, inFlight.GetProperty("checksum").GetString());
        var recent = firmware.GetProperty("recent").EnumerateArray().Single();
        Assert.Equal(("fw-1", "failed", "no space"), (recent.GetProperty("update_id").GetString(), recent.GetProperty("state").GetString(), recent.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task A_device_registered_and_never_heard_of_again_has_empty_state()
    {
        using var api = Api();
        var deviceId = $"{NewPrefix()}quiet";
        await RegisterAsync(deviceId, "Quiet", "sensor", null);

        var state = await api.GetJsonAsync($"/api/v1/devices/{deviceId}");

        Assert.Equal("online", state.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("status_report").ValueKind);
        Assert.Equal(JsonValueKind.Null, state.GetProperty("location").ValueKind);
        Assert.Empty(state.GetProperty("latest").EnumerateObject());
        Assert.Equal("{}", state.GetProperty("config").GetProperty("desired").GetRawText());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("config").GetProperty("reported").ValueKind);
        Assert.Empty(state.GetProperty("pending_commands").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("firmware").GetProperty("in_flight").ValueKind);
        Assert.Empty(state.GetProperty("firmware").GetProperty("recent").EnumerateArray());
    }

    [Fact]
    public async Task Unregistering_revokes_the_token_ends_the_session_and_leaves_the_device_listed_as_unregistered()
    {
        using var api = Api();
        var type = $"{NewPrefix()}t";
        var (deviceId, token) = await node.RegisterDeviceAsync(type: type);
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/unregister/response");

        using var response = await api.DeleteAsync($"/api/v1/devices/{deviceId}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("unregistered", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/unregister/response")).GetProperty("status").GetString());
        await device.WaitForDisconnectAsync();
        await using var again = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, again.ConnectResult.ResultCode);
        var state = await api.GetJsonAsync($"/api/v1/devices/{deviceId}");
        Assert.Equal("unregistered", state.GetProperty("status").GetString());
        using var twice = await api.DeleteAsync($"/api/v1/devices/{deviceId}");
        await ApiClient.AssertProblemAsync(twice, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
        await WaitForCatalogAsync(api, $"type={type}", $"{deviceId}:unregistered", prefix: "");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task A_device_never_registered_is_not_registered_and_a_bad_id_is_validation_failed(string method)
    {
        using var api = Api();

        using var unknown = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/v1/devices/{NewPrefix()}nobody"));
        using var routeWord = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/api/v1/devices/register"));
        using var badCharacter = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/api/v1/devices/-starts-with-a-dash"));
        using var tooLong = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/v1/devices/{new string('d', 129)}"));

        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
        foreach (var refused in new[] { routeWord, badCharacter, tooLong })
        {
            var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
            Assert.StartsWith("device_id ", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task The_openapi_document_describes_the_device_endpoints_and_their_parameters()
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: null);

        var paths = (await api.GetJsonAsync("/openapi/v1.json")).GetProperty("paths");

        var list = paths.GetProperty("/api/v1/devices").GetProperty("get");
        Assert.Equal(["status", "type", "location", "q", "cursor", "limit"], list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        var device = paths.GetProperty("/api/v1/devices/{device_id}");
        Assert.Equal("GetDevice", device.GetProperty("get").GetProperty("operationId").GetString());
        Assert.Equal("UnregisterDevice", device.GetProperty("delete").GetProperty("operationId").GetString());
    }

    private ApiClient Api() => new(node.HttpPort, NodeFixture.OperatorKey);

    private IDeviceGrain Grain(string deviceId) => node.Grains.GetGrain<IDeviceGrain>(deviceId);

    private async Task RegisterAsync(string deviceId, string name, string type, string? location)
    {
        var outcome = await Grain(deviceId).Register(new RegisterRequest(name, type, "1.0.0", "rev-a", location, ["temperature"]), Caller.Provisioning);
        Assert.True(outcome.Result.IsOk, outcome.Result.Message);
    }

    /// <summary>Registers <paramref name="deviceIds"/> (each starting with <paramref name="prefix"/>) and waits until they are listed.</summary>
    private async Task RegisterOnlineAsync(ApiClient api, string prefix, string type, IReadOnlyList<string> deviceIds)
    {
        await Task.WhenAll(deviceIds.Select(id => RegisterAsync(id, $"Device {id}", type, null)));
        var expected = string.Join(' ', deviceIds.Order(StringComparer.Ordinal).Select(id => $"{id[prefix.Length..]}:online"));
        await WaitForCatalogAsync(api, $"type={type}", expected, prefix);
    }

    /// <summary>Follows <c>next_cursor</c> from the first page of <paramref name="query"/> to the last; the pages' sizes and the ids.</summary>
    private static async Task<(List<int> Pages, List<string> DeviceIds)> WalkAsync(ApiClient api, string query, TimeSpan betweenPages = default)
    {
        var pages = new List<int>();
        var walked = new List<string>();
        string? cursor = null;
        do
        {
            var page = await ListAsync(api, query + (cursor is null ? "" : $"&cursor={cursor}"));
            pages.Add(page.Devices.Count);
            walked.AddRange(page.Devices);
            cursor = page.NextCursor;
            await Task.Delay(betweenPages);
        }
        while (cursor is not null);

        return (pages, walked);
    }

    /// <summary>As the broker reports a clean disconnect, some time after the device was last heard from.</summary>
    private Task GoOfflineAsync(string deviceId) =>
        Grain(deviceId).ConnectionClosed(clean: true, DateTimeOffset.UtcNow.AddSeconds(60).ToUnixTimeMilliseconds() / 1000.0);

    private async Task UnregisterAsync(string deviceId) =>
        Assert.True((await Grain(deviceId).Unregister(Caller.Operator(NodeFixture.OperatorName))).IsOk);

    private static async Task Accepted(Task<MqttClientPublishResult> publishing)
    {
        var ack = await publishing;
        Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
    }

    private static async Task<(IReadOnlyList<string> Devices, string? NextCursor)> ListAsync(ApiClient api, string query)
    {
        var body = await api.GetJsonAsync($"/api/v1/devices?{query}");
        return (
            [.. body.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("device_id").GetString()!)],
            body.GetProperty("next_cursor").GetString());
    }

    /// <summary>
    /// Waits until the list for <paramref name="query"/> is <paramref name="expected"/>: <c>id:status</c> in id order,
    /// each id without <paramref name="prefix"/>.
    /// </summary>
    private static async Task WaitForCatalogAsync(ApiClient api, string query, string expected, string prefix)
    {
        var deadline = DateTime.UtcNow + CatalogWait;
        var listed = "";
        while (DateTime.UtcNow < deadline)
        {
            var body = await api.GetJsonAsync($"/api/v1/devices?{query}&limit=500");
            listed = string.Join(' ', body.GetProperty("devices").EnumerateArray()
                .Select(d => $"{d.GetProperty("device_id").GetString()![prefix.Length..]}:{d.GetProperty("status").GetString()}"));
            if (listed == expected)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"the catalog listed '{listed}' after {CatalogWait.TotalSeconds} s, not '{expected}'");
    }

    private static string NewPrefix() => $"api-{Guid.NewGuid():N}-";
}

[Collection(NodeCollection.Name)]
public sealed class InMemoryDevicesApiTests(NodeFixture node) : DevicesApiTests(node);

[Collection(DurableCollection.Name)]
public sealed class DurableDevicesApiTests(DurableNodeFixture node) : DevicesApiTests(node);
