using Microsoft.Playwright;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// The device page's configuration, firmware and alerts in a real browser against the co-hosted node: changes made from
/// the page reach the device over MQTT, and what the device answers shows without a reload.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class DeviceLifecycleBrowserTests(NodeFixture node, ConsoleBrowser browser, ITestOutputHelper output) : IClassFixture<ConsoleBrowser>
{
    private const string Checksum = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private string BaseUrl => $"http://127.0.0.1:{node.HttpPort}";

    [Fact]
    public async Task A_config_change_shows_its_difference_until_the_device_reports_it()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/config/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var page = await OpenAsync(deviceId, width: 1280, ColorScheme.Light);
        await Expect(page.Locator(".config-summary")).ToHaveTextAsync("No configuration has been set for this device.");

        await page.GetByLabel("Change (JSON object)").FillAsync("""{"interval": 30, "mode": "eco"}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Push change" }).ClickAsync();

        var difference = page.GetByRole(AriaRole.Region, new() { Name = "Settings that differ" });
        await Expect(difference.GetByRole(AriaRole.Row).Filter(new() { HasText = "interval" })).ToContainTextAsync("30not setpending");
        await Expect(difference.GetByRole(AriaRole.Row).Filter(new() { HasText = "mode" })).ToContainTextAsync("\"eco\"not setpending");
        await Expect(page.Locator(".config-summary")).ToContainTextAsync("Pending: 2 settings differ until the device reports them");
        await Expect(page.GetByLabel("Change (JSON object)")).ToHaveValueAsync("");
        await browser.SaveAsync(output, page, "device-config-pending", close: false);

        var twin = await api.GetUntilAsync($"/api/v1/devices/{deviceId}/config", t => t.Items("updates").Any(), "the update is listed");
        var configId = Assert.Single(twin.Items("updates")).Text("config_id");
        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/config/{configId}");
        Assert.Equal((30, "eco"), (received.GetProperty("updates").GetProperty("interval").GetInt32(), received.GetProperty("updates").Text("mode")));
        var answered = await device.PublishAsync(
            $"iot/devices/control/{deviceId}/config/{configId}/result", """{"status":"applied","reported":{"interval":30,"mode":"eco","uptime":12}}""");
        Assert.True(answered.IsSuccess, answered.ReasonString);

        await Expect(page.Locator(".config-summary")).ToContainTextAsync("In step: the device reports every desired setting");
        await Expect(difference.GetByRole(AriaRole.Row).Filter(new() { HasText = "uptime" })).ToContainTextAsync("not set12reported only");
        await Expect(difference.GetByRole(AriaRole.Row).Filter(new() { HasText = "pending" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Configuration updates, newest first" })).ToContainTextAsync("1applied");
        await AssertSameDocumentAsync(page);
        await browser.SaveAsync(output, page, "device-config-applied");
    }

    [Fact]
    public async Task A_config_change_that_is_not_a_json_object_is_refused_in_the_banner_and_nothing_is_sent()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        var page = await OpenAsync(deviceId, width: 390, ColorScheme.Dark);
        await Expect(page.Locator(".config-summary")).ToHaveTextAsync("No configuration has been set for this device.");
        var editor = page.GetByLabel("Change (JSON object)");

        await editor.FillAsync("[1, 2]");
        await editor.PressAsync("Tab");
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.Locator("#banner")).ToHaveTextAsync("The change must be a JSON object with at least one setting, such as {\"interval\": 30}.");
        await Expect(editor).ToBeFocusedAsync();
        await Expect(editor).ToHaveValueAsync("[1, 2]");
        await editor.FillAsync("{interval: 30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Push change" }).ClickAsync();
        await Expect(page.Locator("#banner")).ToContainTextAsync("The change is not JSON");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        Assert.Equal(0, (await api.GetJsonAsync($"/api/v1/devices/{deviceId}/config")).GetProperty("desired_version").GetInt32());
        await browser.SaveAsync(output, page, "device-config-refused-dark-390");
    }

    [Fact]
    public async Task A_firmware_update_started_from_the_page_shows_the_progress_the_device_reports_over_mqtt()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/firmware/update/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var page = await OpenAsync(deviceId, width: 390, ColorScheme.Light);
        await Expect(page.GetByText("No firmware updates have been started on this device.")).ToBeVisibleAsync();

        await page.GetByLabel("Version").FillAsync("2.0.0");
        await page.GetByLabel("Download URL").FillAsync("https://fw.example/2.0.0.bin");
        await page.GetByLabel("Checksum (SHA-256)").FillAsync("not-a-checksum");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start update" }).ClickAsync();
        await Expect(page.Locator("#banner")).ToContainTextAsync("The API refused the request (400): 'checksum' must be sha256:<64 hex digits> or 64 hex digits");

        await page.GetByLabel("Checksum (SHA-256)").FillAsync(Checksum);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start update" }).ClickAsync();
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        var details = await api.GetUntilAsync(
            $"/api/v1/devices/{deviceId}", d => d.GetProperty("firmware").GetProperty("in_flight").ValueKind == System.Text.Json.JsonValueKind.Object, "the update is in flight");
        var updateId = details.GetProperty("firmware").GetProperty("in_flight").Text("update_id");
        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/firmware/update/{updateId}");
        Assert.Equal(("2.0.0", "https://fw.example/2.0.0.bin", Checksum), (received.Text("version"), received.Text("url"), received.Text("checksum")));
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = updateId });
        await Expect(row).ToContainTextAsync("2.0.0sent");

        var progress = $"iot/devices/firmware/{deviceId}/update/{updateId}/progress";
        Assert.True((await device.PublishAsync(progress, """{"state":"downloading","progress":40}""")).IsSuccess);
        await Expect(row).ToContainTextAsync("downloading");
        await Expect(row.Locator("progress")).ToHaveAttributeAsync("value", "40");
        await Expect(row).ToContainTextAsync("40 %");
        await browser.SaveAsync(output, page, "device-firmware-progress-390", close: false);

        Assert.True((await device.PublishAsync(progress, """{"state":"updated","progress":100}""")).IsSuccess);
        await Expect(row).ToContainTextAsync("updated");
        await Expect(row.Locator("progress")).ToHaveAttributeAsync("value", "100");
        await Expect(page.Locator(".facts")).ToContainTextAsync("Firmware2.0.0");
        await AssertSameDocumentAsync(page);
        await browser.SaveAsync(output, page, "device-firmware-updated-390");
    }

    [Fact]
    public async Task A_device_alert_appears_live_on_its_page_and_is_acknowledged_there()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var page = await OpenAsync(deviceId, width: 1280, ColorScheme.Dark);
        await Expect(page.GetByText("This device has raised no alerts.")).ToBeVisibleAsync();

        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":91}""")).IsSuccess);

        var acknowledge = page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge the high alert of rule temperature>80" });
        await Expect(acknowledge).ToBeVisibleAsync();
        var alerts = page.GetByRole(AriaRole.Region, new() { Name = "The device's alerts, active first, newest raised first" });
        await Expect(alerts).ToContainTextAsync("highactiveAcknowledge9180temperature>80temperature");
        await acknowledge.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(alerts).ToContainTextAsync($"by {NodeFixture.OperatorName}, ");
        await Expect(page.GetByText("Acknowledged the high alert of rule temperature>80.")).ToBeVisibleAsync();
        await Expect(alerts).ToBeFocusedAsync();
        await AssertSameDocumentAsync(page);
        await browser.SaveAsync(output, page, "device-alerts-dark");
    }

    [Fact]
    public async Task A_periodic_refresh_neither_takes_the_focus_nor_wipes_a_change_being_typed()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var page = await browser.NewPageAsync(BaseUrl, width: 390);
        await page.RouteAsync("**" + FleetConsole.SessionPath, route => route.Request.Method == "GET"
            ? route.FulfillAsync(new RouteFulfillOptions
            {
                ContentType = "application/json",
                Body = $$"""{"operator":"{{NodeFixture.OperatorName}}","refresh_seconds":1}""",
            })
            : route.ContinueAsync());
        var configReads = 0;
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith($"/devices/{deviceId}/config", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref configReads);
            }
        };
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
        var editor = page.GetByLabel("Change (JSON object)");
        await editor.FillAsync("""{"interval": 30}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Push change" }).ClickAsync();
        var updates = page.GetByRole(AriaRole.Region, new() { Name = "Configuration updates, newest first" });
        await Expect(updates).ToContainTextAsync("sent");

        await editor.FocusAsync();
        await page.Keyboard.TypeAsync("""{"mode": "ec""");
        await WaitForReadsAsync(() => Volatile.Read(ref configReads), 3);
        await Expect(editor).ToBeFocusedAsync();
        await Expect(editor).ToHaveValueAsync("""{"mode": "ec""");

        await updates.FocusAsync();
        await WaitForReadsAsync(() => Volatile.Read(ref configReads), 3);
        await Expect(updates).ToBeFocusedAsync();
        await browser.SaveAsync(output, page, "device-refresh-keeps-focus-390");
    }

    /// <summary>Waits until the page has read <paramref name="more"/> more times than it had.</summary>
    private static async Task WaitForReadsAsync(Func<int> reads, int more)
    {
        var target = reads() + more;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (reads() < target)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the page read the configuration {reads()} times, not {target}, within 15 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Signs in on the device's page, refreshed only hourly so that what changes in a test comes by the event stream.</summary>
    private async Task<IPage> OpenAsync(string deviceId, int width, ColorScheme colorScheme)
    {
        var page = await browser.NewPageAsync(BaseUrl, width, colorScheme);
        await ConsolePages.RefreshOnlyHourlyAsync(page);
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.Locator(".facts")).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.sameDocument = true; }");
        return page;
    }

    private static async Task AssertSameDocumentAsync(IPage page)
    {
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
    }
}
