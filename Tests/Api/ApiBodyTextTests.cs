using System.Net;
using System.Text;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>A body over HTTP is held to the same text rules as an MQTT payload: clean Unicode, no control characters.</summary>
[Collection(NodeCollection.Name)]
public sealed class ApiBodyTextTests(NodeFixture node)
{
    [Theory]
    [InlineData("""{"command":"a\u0000b"}""", ErrorCodes.ValidationFailed)]
    [InlineData("""{"command":"reboot","parameters":{"note":"bell\u0007"}}""", ErrorCodes.ValidationFailed)]
    [InlineData("""{"command":"\ud800"}""", ErrorCodes.ValidationFailed)]
    [InlineData("""{"command":"reboot","parameters":{"k":"\udc00x"}}""", ErrorCodes.ValidationFailed)]
    [InlineData("""["reboot"]""", ErrorCodes.InvalidJson)]
    [InlineData("", ErrorCodes.InvalidJson)]
    public async Task A_body_MQTT_would_refuse_is_refused_and_nothing_is_sent(string body, string code)
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", body);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, code);
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
    }

    [Fact]
    public async Task A_body_that_is_not_UTF_8_is_invalid_json()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        using var content = new ByteArrayContent([.. "{\"command\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        content.Headers.ContentType = new("application/json");

        using var response = await api.Http.PostAsync($"/api/v1/devices/{deviceId}/commands", content);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.InvalidJson);
        Assert.DoesNotContain("payload", problem.GetProperty("detail").GetString());
        Assert.Empty(await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetCommands());
    }
}
