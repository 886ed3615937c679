using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>Who may use the operator API, and what everyone else gets: 401 and nothing more.</summary>
[Collection(NodeCollection.Name)]
public sealed class ApiAuthTests(NodeFixture node)
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/api/v1/fleet/health" },
        { "GET", "/api/v1/devices" },
        { "GET", "/api/v1/devices/some-device" },
        { "DELETE", "/api/v1/devices/some-device" },
        { "GET", "/api/v1/devices/some-device/telemetry/temperature" },
        { "POST", "/api/v1/devices/some-device/commands" },
        { "GET", "/api/v1/devices/some-device/commands" },
        { "POST", "/api/v1/devices/some-device/config" },
        { "POST", "/api/v1/devices/some-device/firmware" },
        { "GET", "/api/v1/alerts" },
        { "GET", "/api/v1/alert-rules" },
        { "GET", "/api/v1/devices/some-device/commands/some-command" },
        { "GET", "/api/v1/devices/some-device/config" },
        { "GET", "/api/v1/devices/some-device/firmware" },
        { "GET", "/api/v1/devices/some-device/firmware/some-update" },
        { "GET", "/api/v1/devices/some-device/alerts" },
        { "POST", "/api/v1/alerts/some-alert/acknowledge" },
        { "GET", "/api/v1/events" },
        { "PUT", "/api/v1/alert-rules" },
        { "GET", "/api/v1/no-such-thing" },
        { "GET", "/api/v1/x.json" },
        { "PUT", "/api/v1/devices/dev.1" },
        { "GET", "/dashboard" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_missing_key_gets_401_and_nothing_else(string method, string path)
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: null);

        using var response = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Body(method) });

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_wrong_key_gets_401_and_nothing_else(string method, string path)
    {
        using var api = new ApiClient(node.HttpPort, operatorKey: NodeFixture.OperatorKey + "x");

        using var response = await api.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Body(method) });

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task A_device_token_is_not_an_operator_key()
    {
        var (_, token) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, operatorKey: token);

        using var response = await api.GetAsync("/api/v1/fleet/health");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task The_operator_key_opens_the_api()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        var health = await api.GetJsonAsync("/api/v1/fleet/health");

        Assert.True(health.GetProperty("total_devices").GetInt64() >= 0);
    }

    [Fact]
    public async Task The_dashboard_asks_a_browser_for_a_name_and_key_and_opens_with_them()
    {
        using var anonymous = new ApiClient(node.HttpPort, operatorKey: null);
        using var refused = await anonymous.GetAsync("/dashboard");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{NodeFixture.OperatorName}:nope")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.Http.SendAsync(wrong)).StatusCode);

        using var signedIn = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        signedIn.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{NodeFixture.OperatorName}:{NodeFixture.OperatorKey}")));
        using var opened = await anonymous.Http.SendAsync(signedIn);
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
    }

    [Fact]
    public async Task An_unknown_api_path_is_a_problem_for_an_operator()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var response = await api.GetAsync("/api/v1/no-such-thing");

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound, ErrorCodes.UnknownRoute);
    }

    private static HttpContent? Body(string method) =>
        method is "POST" or "PUT" ? new StringContent("{}", Encoding.UTF8, "application/json") : null;
}
