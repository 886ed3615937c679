using System.Net;
using System.Text.Json;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// The alerts API's flow, the same in every profile: an alert raised by a reading over MQTT is listed, acknowledged over
/// HTTP, and listed as cleared once a reading clears it. Reads may lag the reading by the write of a batch.
/// </summary>
public static class AlertsApiFlow
{
    public static async Task RaiseAcknowledgeAndClearAsync(NodeFixture node)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":91}""")).IsSuccess);

        var active = await OfDeviceAsync(api, "/api/v1/alerts?severity=high&limit=1000", deviceId);
        Assert.Equal(("active", "temperature", 91.0, 80.0), (active.Text("state"), active.Text("sensor_type"), active.GetProperty("raised_value").GetDouble(), active.GetProperty("threshold").GetDouble()));
        Assert.Equal(JsonValueKind.Null, active.GetProperty("acknowledged_at").ValueKind);
        var alertId = active.Text("alert_id");
        Assert.Equal(alertId, (await OfDeviceAsync(api, "/api/v1/alerts?limit=1000", deviceId)).Text("alert_id"));
        Assert.DoesNotContain((await api.GetJsonAsync("/api/v1/alerts?severity=critical&limit=1000")).Items("alerts"), a => a.Text("device_id") == deviceId);

        using (var acknowledged = await api.Http.PostAsync($"/api/v1/alerts/{alertId}/acknowledge", null))
        {
            var answer = await ApiClient.OkJsonAsync(acknowledged);
            Assert.Equal((alertId, true), (answer.Text("alert_id"), answer.GetProperty("acknowledged").GetBoolean()));
        }

        var seen = Assert.Single((await api.GetUntilAsync(
            $"/api/v1/devices/{deviceId}/alerts", l => l.Items("alerts") is [var a] && a.GetProperty("acknowledged_by").ValueKind == JsonValueKind.String, "the acknowledgement is stored")).Items("alerts"));
        Assert.Equal((NodeFixture.OperatorName, "active"), (seen.Text("acknowledged_by"), seen.Text("state")));
        Assert.True(seen.GetProperty("acknowledged_at").GetDateTimeOffset() >= seen.GetProperty("raised_at").GetDateTimeOffset());

        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":40}""")).IsSuccess);

        var cleared = await OfDeviceAsync(api, "/api/v1/alerts?state=cleared&limit=1000", deviceId);
        Assert.Equal((alertId, "cleared", 40.0, NodeFixture.OperatorName), (cleared.Text("alert_id"), cleared.Text("state"), cleared.GetProperty("cleared_value").GetDouble(), cleared.Text("acknowledged_by")));
        Assert.Equal(alertId, (await OfDeviceAsync(api, "/api/v1/alerts?state=cleared&severity=high&limit=1000", deviceId)).Text("alert_id"));
        Assert.Equal(alertId, (await OfDeviceAsync(api, "/api/v1/alerts?state=all&limit=1000", deviceId)).Text("alert_id"));
        Assert.Equal(alertId, (await OfDeviceAsync(api, "/api/v1/alerts?state=all&severity=high&limit=1000", deviceId)).Text("alert_id"));
        Assert.DoesNotContain((await api.GetJsonAsync("/api/v1/alerts?limit=1000")).Items("alerts"), a => a.Text("device_id") == deviceId);
        Assert.Equal("cleared", Assert.Single((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/alerts?limit=5")).Items("alerts")).Text("state"));
        using var unknown = await api.Http.PostAsync($"/api/v1/alerts/{Guid.NewGuid():N}/acknowledge", null);
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, "not_found");
    }

    /// <summary>The device's one alert in what <paramref name="path"/> answers, once it is there.</summary>
    public static async Task<JsonElement> OfDeviceAsync(ApiClient api, string path, string deviceId)
    {
        var list = await api.GetUntilAsync(path, l => l.Items("alerts").Any(a => a.Text("device_id") == deviceId), $"{path} lists the device's alert");
        return Assert.Single(list.Items("alerts"), a => a.Text("device_id") == deviceId);
    }
}
