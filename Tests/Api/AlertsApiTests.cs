using System.Net;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// Alerts and alert rules over HTTP, raised by readings sent over MQTT. The node's rules are shared by its whole
/// collection: a test that changes them puts back the rules it found.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class AlertsApiTests(NodeFixture node)
{
    private IAlertRulesGrain RulesGrain => node.Grains.GetGrain<IAlertRulesGrain>(IAlertRulesGrain.Key);

    [Fact]
    public async Task An_alert_raised_over_mqtt_is_listed_acknowledged_over_http_and_listed_as_cleared_once_cleared() =>
        await AlertsApiFlow.RaiseAcknowledgeAndClearAsync(node);

    [Fact]
    public async Task Rules_read_and_changed_over_http_take_effect_for_the_next_reading()
    {
        var before = await RulesGrain.GetRules();
        try
        {
            var (deviceId, token) = await node.RegisterDeviceAsync();
            await using var device = await node.ConnectAsync(deviceId, token);
            using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
            var read = await api.GetJsonAsync("/api/v1/alert-rules");
            Assert.Equal(before.Version, read.GetProperty("version").GetInt64());
            Assert.Equal(before.Rules.Select(r => r.Id), read.Items("rules").Select(r => r.Text("id")));
            Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/humidity", """{"value":95}""")).IsSuccess);

            using var response = await api.PutJsonAsync("/api/v1/alert-rules", """
                {"rules":[{"sensor_type":"temperature","operator":">","threshold":80,"severity":"high"},
                          {"id":"damp","sensor_type":"humidity","operator":">","threshold":90,"severity":"medium","clear_threshold":85}]}
                """);

            var set = await ApiClient.OkJsonAsync(response);
            Assert.Equal(before.Version + 1, set.GetProperty("version").GetInt64());
            Assert.Equal(["temperature>80", "damp"], set.Items("rules").Select(r => r.Text("id")));
            Assert.Equal(set.GetRawText(), (await api.GetJsonAsync("/api/v1/alert-rules")).GetRawText());
            Assert.Empty((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/alerts")).Items("alerts"));

            Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/humidity", """{"value":96}""")).IsSuccess);

            var raised = await AlertsApiFlow.OfDeviceAsync(api, "/api/v1/alerts?severity=medium&limit=1000", deviceId);
            Assert.Equal(("damp", 96.0), (raised.Text("rule"), raised.GetProperty("raised_value").GetDouble()));
        }
        finally
        {
            await RulesGrain.SetRules(before.Rules, Caller.Operator(NodeFixture.OperatorName));
        }
    }

    [Fact]
    public async Task A_change_made_on_if_match_applies_only_over_the_version_read()
    {
        const string Rules = """{"rules":[{"sensor_type":"temperature","operator":">","threshold":80,"severity":"high"}]}""";
        var before = await RulesGrain.GetRules();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        try
        {
            using var read = await api.GetAsync("/api/v1/alert-rules");
            var etag = read.Headers.ETag?.ToString();
            Assert.Equal($"\"{before.Version}\"", etag);

            using var first = await PutIfMatchAsync(api, Rules, etag!);
            Assert.Equal(before.Version + 1, (await ApiClient.OkJsonAsync(first)).GetProperty("version").GetInt64());
            Assert.Equal($"\"{before.Version + 1}\"", first.Headers.ETag?.ToString());

            using var stale = await PutIfMatchAsync(api, Rules, etag!);
            var conflict = await ApiClient.AssertProblemAsync(stale, HttpStatusCode.PreconditionFailed, ErrorCodes.PreconditionFailed);
            Assert.Contains($"version {before.Version + 1} is in force", conflict.Text("detail"));
            Assert.Equal($"\"{before.Version + 1}\"", stale.Headers.ETag?.ToString());
            Assert.Equal(before.Version + 1, (await RulesGrain.GetRules()).Version);

            using var weak = await PutIfMatchAsync(api, Rules, $"W/\"{before.Version + 1}\"");
            await ApiClient.AssertProblemAsync(weak, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);

            using var any = await PutIfMatchAsync(api, Rules, "*");
            Assert.Equal(before.Version + 2, (await ApiClient.OkJsonAsync(any)).GetProperty("version").GetInt64());
        }
        finally
        {
            await RulesGrain.SetRules(before.Rules, Caller.Operator(NodeFixture.OperatorName));
        }
    }

    private static Task<HttpResponseMessage> PutIfMatchAsync(ApiClient api, string json, string ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/alert-rules") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return api.Http.SendAsync(request);
    }

    [Theory]
    [InlineData("""{"rules":[{"sensor_type":"temperature","operator":">","severity":"high"}]}""", "'rules[0].threshold' is required")]
    [InlineData("""{"rules":{}}""", "'rules' must be an array")]
    [InlineData("""{"rule":[]}""", "'rules' is required")]
    [InlineData("""{"rules":[{"sensor_type":"temperature","operator":"~","threshold":1,"severity":"high"}]}""", "rules:0:Operator")]
    [InlineData("""{"rules":[{"sensor_type":"temperature","operator":">","threshold":1,"severity":"urgent"}]}""", "rules:0:Severity")]
    public async Task Bad_rules_are_refused_naming_the_rule_and_field_and_change_nothing(string body, string expected)
    {
        var before = await RulesGrain.GetRules();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PutJsonAsync("/api/v1/alert-rules", body);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.Contains(expected, problem.Text("detail"));
        Assert.Equal(before.Version, (await RulesGrain.GetRules()).Version);
    }

    [Fact]
    public async Task Rules_over_the_payload_limit_or_not_json_are_refused()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var tooLarge = await api.PutJsonAsync("/api/v1/alert-rules", $$"""{"rules":[],"pad":"{{new string(' ', NodeFixture.MaxPayloadBytes)}}"}""");
        using var notJson = await api.PutJsonAsync("/api/v1/alert-rules", "rules");

        await ApiClient.AssertProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, ErrorCodes.PayloadTooLarge);
        await ApiClient.AssertProblemAsync(notJson, HttpStatusCode.BadRequest, ErrorCodes.InvalidJson);
    }

    [Theory]
    [InlineData("GET", "/api/v1/alerts?severity=urgent", "severity must be one of info, low, medium, high, critical")]
    [InlineData("GET", "/api/v1/alerts?state=gone", "state must be active, cleared or all")]
    [InlineData("GET", "/api/v1/alerts?limit=1001", "limit must be an integer from 1 to 1000")]
    [InlineData("GET", "/api/v1/devices/bad%20id/alerts", "device_id must match")]
    [InlineData("GET", "/api/v1/devices/some-device/alerts?limit=-1", "limit must be an integer from 1 to 1000")]
    [InlineData("POST", "/api/v1/alerts/bad$id/acknowledge", "alert_id must match")]
    [InlineData("POST", "/api/v1/alerts/a123456789a123456789a123456789a123456789a123456789a123456789a1234/acknowledge", "alert_id must match")]
    public async Task A_bad_path_or_query_value_is_refused_naming_it(string method, string path, string expected)
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(expected, problem.Text("detail"));
    }
}
