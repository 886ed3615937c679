using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>The fleet console in a real browser against the co-hosted node; each test saves a screenshot.</summary>
[Collection(NodeCollection.Name)]
public sealed class ConsoleBrowserTests(NodeFixture node, ConsoleBrowser browser, ITestOutputHelper output) : IClassFixture<ConsoleBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{node.HttpPort}";

    [Fact]
    public async Task An_operator_signs_in_and_sees_the_fleet()
    {
        var page = await browser.NewPageAsync(BaseUrl);

        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/signin?return=*");
        await SignInAsync(page, NodeFixture.OperatorKey);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Fleet", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Devices by status" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Active alerts by severity" })).ToBeVisibleAsync();
        await Expect(page.Locator("#operator-name")).ToHaveTextAsync(NodeFixture.OperatorName);
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        await browser.SaveAsync(output, page, "fleet");
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_message()
    {
        var page = await browser.NewPageAsync(BaseUrl, width: 390);

        await page.GotoAsync(ConsoleSession.SignInPath);
        await SignInAsync(page, NodeFixture.OperatorKey + "x");

        await Expect(page.Locator("#message")).ToHaveTextAsync("Sign-in refused: the operator name or key is not valid.");
        Assert.EndsWith(ConsoleSession.SignInPath, page.Url);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), cookie => cookie.Name == ConsoleSession.CookieName);
        await browser.SaveAsync(output, page, "wrong-key");
    }

    [Fact]
    public async Task Signing_out_returns_to_sign_in_and_ends_the_session_for_the_api()
    {
        var page = await browser.NewPageAsync(BaseUrl);
        await page.GotoAsync(ConsoleSession.SignInPath);
        await SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Fleet", Exact = true })).ToBeVisibleAsync();
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == ConsoleSession.CookieName);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        using (var before = await GetFleetHealthAsync(cookie.Value))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var trace = PageTrace.Start(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await trace.WaitForPathAsync(ConsoleSession.SignInPath);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        using var after = await GetFleetHealthAsync(cookie.Value);
        await ApiClient.AssertProblemAsync(after, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await browser.SaveAsync(output, page, "signed-out");
    }

    [Fact]
    public async Task A_device_registered_over_mqtt_appears_in_the_list_without_a_reload()
    {
        var type = $"console-{Guid.NewGuid():N}";
        var page = await browser.NewPageAsync(BaseUrl);
        await page.GotoAsync($"/devices?type={type}");
        await SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.GetByText("No devices match.")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Type")).ToHaveValueAsync(type);
        await page.EvaluateAsync("() => { window.sameDocument = true; }");

        var (deviceId, _) = await node.RegisterDeviceAsync(type: type);

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = deviceId })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        await browser.SaveAsync(output, page, "devices");
    }

    [Fact]
    public async Task An_alert_raised_over_mqtt_appears_live_and_is_acknowledged_from_the_page()
    {
        var page = await browser.NewPageAsync(BaseUrl, width: 390, ColorScheme.Dark);
        await page.GotoAsync("/alerts?severity=high");
        await SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("Live: alerts appear here as they are raised or cleared.");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Alert rules" })).ToContainTextAsync("temperatureanyvalue > 80");

        // From here on the page's reads of the alerts show none, so only the event stream can show the new one.
        await page.RouteAsync(new Regex(@"/api/v1/alerts\?"), route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200,
            ContentType = "application/json",
            Body = """{"alerts":[]}""",
        }));
        await page.EvaluateAsync("() => { window.sameDocument = true; }");
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":91}""")).IsSuccess);

        var acknowledge = page.GetByRole(AriaRole.Button, new() { Name = $"Acknowledge the alert of {deviceId}" });
        await Expect(acknowledge).ToBeVisibleAsync(new() { Timeout = 20_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = deviceId });
        await Expect(row).ToContainTextAsync("highactiveAcknowledge9180temperature>80temperature");
        await browser.SaveAsync(output, page, "alerts-live-dark-390", close: false);

        await page.UnrouteAllAsync();
        await acknowledge.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(row).ToContainTextAsync($"by {NodeFixture.OperatorName}, ");
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Acknowledged the high alert of {deviceId}.");
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var stored = await AlertsApiFlow.OfDeviceAsync(api, "/api/v1/alerts?severity=high&limit=1000", deviceId);
        Assert.Equal((NodeFixture.OperatorName, "active"), (stored.Text("acknowledged_by"), stored.Text("state")));
        await Expect(row).ToContainTextAsync($"by {NodeFixture.OperatorName}, ");
        await browser.SaveAsync(output, page, "alerts-acknowledged-dark-390");
    }

    [Fact]
    public async Task A_refusal_and_an_unreachable_node_show_in_a_banner_never_a_blank_page()
    {
        var page = await browser.NewPageAsync(BaseUrl, width: 390, ColorScheme.Dark);
        await page.RouteAsync("**/api/v1/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 503,
            ContentType = "application/problem+json",
            Body = """{"type":"urn:orleans-iot:error:unavailable","title":"unavailable","status":503,"detail":"the device catalog cannot be reached","code":"unavailable"}""",
        }));
        await page.GotoAsync(ConsoleSession.SignInPath);
        await SignInAsync(page, NodeFixture.OperatorKey);

        await Expect(page.Locator("#banner")).ToHaveTextAsync("The node could not answer (503): the device catalog cannot be reached (unavailable)");
        await Expect(page.GetByText("The fleet could not be read.")).ToBeVisibleAsync();
        await browser.SaveAsync(output, page, "fleet-refused-dark-390", close: false);

        await page.UnrouteAllAsync();
        await page.RouteAsync("**/api/v1/**", route => route.AbortAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Devices" }).ClickAsync();

        await Expect(page.Locator("#banner")).ToContainTextAsync("The node cannot be reached");
        await Expect(page.GetByText("The devices could not be read.")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        await browser.SaveAsync(output, page, "devices-node-down-dark-390");
    }

    /// <summary>Signs in on the sign-in page the browser is on (or was sent to).</summary>
    internal static async Task SignInAsync(IPage page, string key)
    {
        await page.GetByLabel("Operator").FillAsync(NodeFixture.OperatorName);
        await page.GetByLabel("Key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    private async Task<HttpResponseMessage> GetFleetHealthAsync(string sessionCookie)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/fleet/health");
        request.Headers.Add("Cookie", $"{ConsoleSession.CookieName}={sessionCookie}");
        return await http.SendAsync(request);
    }
}
