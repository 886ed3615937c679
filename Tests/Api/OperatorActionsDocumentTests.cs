using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>The OpenAPI document describes the operator actions: their paths, query parameters and JSON bodies, and nothing of their services.</summary>
[Collection(NodeCollection.Name)]
public sealed class OperatorActionsDocumentTests(NodeFixture node)
{
    [Theory]
    [InlineData("/api/v1/devices/{device_id}/commands", "post", "SendCommand")]
    [InlineData("/api/v1/devices/{device_id}/commands", "get", "ListCommands")]
    [InlineData("/api/v1/devices/{device_id}/commands/{command_id}", "get", "GetCommand")]
    [InlineData("/api/v1/devices/{device_id}/config", "post", "UpdateConfig")]
    [InlineData("/api/v1/devices/{device_id}/config", "get", "GetConfig")]
    [InlineData("/api/v1/devices/{device_id}/firmware", "post", "StartFirmwareUpdate")]
    [InlineData("/api/v1/devices/{device_id}/firmware", "get", "ListFirmwareUpdates")]
    [InlineData("/api/v1/devices/{device_id}/firmware/{update_id}", "get", "GetFirmwareUpdate")]
    [InlineData("/api/v1/alerts", "get", "ListAlerts")]
    [InlineData("/api/v1/devices/{device_id}/alerts", "get", "ListDeviceAlerts")]
    [InlineData("/api/v1/alerts/{alert_id}/acknowledge", "post", "AcknowledgeAlert")]
    [InlineData("/api/v1/alert-rules", "get", "GetAlertRules")]
    [InlineData("/api/v1/alert-rules", "put", "ReplaceAlertRules")]
    public async Task Each_endpoint_is_described_with_its_parameters_and_body(string path, string method, string operationId)
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: null);

        var operation = (await api.GetJsonAsync("/openapi/v1.json")).GetProperty("paths").GetProperty(path).GetProperty(method);

        Assert.Equal(operationId, operation.Text("operationId"));
        Assert.False(string.IsNullOrWhiteSpace(operation.Text("summary")));
        var parameters = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().Select(p => p.Text("name")).ToList() : [];
        Assert.All(parameters, name => Assert.Contains(name, new[] { "device_id", "command_id", "update_id", "alert_id", "from", "to", "limit", "severity", "state" }));
        Assert.Equal(method is "post" or "put" && operationId != "AcknowledgeAlert", operation.TryGetProperty("requestBody", out _));
        if (path.Contains("{device_id}"))
        {
            Assert.Contains("device_id", parameters);
        }
    }
}
