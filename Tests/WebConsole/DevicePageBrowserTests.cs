using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>The console's device page in a real browser against the co-hosted node, the device connected over MQTT.</summary>
[Collection(NodeCollection.Name)]
public sealed class DevicePageBrowserTests(NodeFixture node, ConsoleBrowser browser, ITestOutputHelper output) : IClassFixture<ConsoleBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{node.HttpPort}";

    [Fact]
    public async Task A_device_page_charts_the_last_hour_of_readings_sent_over_mqtt_and_adds_new_ones_from_the_event_stream()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        for (var i = 0; i < 12; i++)
        {
            await PublishReadingAsync(device, deviceId, "temperature", 20 + i % 4, now - (12 - i) * 240);
        }

        await PublishReadingAsync(device, deviceId, "humidity", 40, now - 7200);
        await PublishReadingAsync(device, deviceId, "humidity", 41, now - 30);
        var page = await browser.NewPageAsync(BaseUrl, width: 390);
        await ConsolePages.RefreshOnlyHourlyAsync(page);
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);

        var temperature = page.Locator("figure[data-sensor='temperature']");
        await Expect(temperature.Locator("svg[role='img'] circle.point")).ToHaveCountAsync(12);
        await Expect(temperature.Locator("path.line")).ToHaveCountAsync(1);
        await Expect(page.Locator("figure[data-sensor='humidity'] circle.point")).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "41 unit-x" })).ToBeVisibleAsync();
        await Expect(page.Locator(".facts")).ToContainTextAsync("online");
        await page.EvaluateAsync("() => { window.sameDocument = true; }");

        await PublishReadingAsync(device, deviceId, "temperature", 25.5, now + 1);

        await Expect(temperature.Locator("circle.point")).ToHaveCountAsync(13);
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "25.5 unit-x" })).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        await browser.SaveAsync(output, page, "device-charts-390");
    }

    [Fact]
    public async Task A_chart_is_read_point_by_point_by_keyboard_and_keeps_its_place_when_a_reading_redraws_it()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        for (var i = 0; i < 5; i++)
        {
            await PublishReadingAsync(device, deviceId, "pressure", 1000 + i, now - (5 - i) * 300);
        }

        var page = await browser.NewPageAsync(BaseUrl);
        await ConsolePages.RefreshOnlyHourlyAsync(page);
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
        var chart = page.Locator("figure[data-sensor='pressure']");
        await Expect(chart.Locator("circle.point")).ToHaveCountAsync(5);

        await chart.Locator("svg").FocusAsync();
        var readout = chart.Locator(".chart-readout");
        await Expect(readout).ToContainTextAsync("(point 5 of 5)");
        await page.Keyboard.PressAsync("Home");
        await Expect(readout).ToHaveTextAsync(new Regex(@"^1,?000 unit-x at .+ \(point 1 of 5\)$"));
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(readout).ToContainTextAsync("(point 2 of 5)");
        await Expect(chart.Locator("circle.point.chosen")).ToHaveCountAsync(1);

        await PublishReadingAsync(device, deviceId, "pressure", 1010, now + 1);

        await Expect(chart.Locator("circle.point")).ToHaveCountAsync(6);
        await Expect(readout).ToContainTextAsync("(point 2 of 6)");
        Assert.True(await chart.Locator("svg").EvaluateAsync<bool>("svg => document.activeElement === svg"), "the redrawn chart has the focus");
        await page.Keyboard.PressAsync("End");
        await Expect(readout).ToContainTextAsync("(point 6 of 6)");
        await browser.SaveAsync(output, page, "device-chart-keyboard");
    }

    [Fact]
    public async Task A_sensor_with_more_readings_than_a_chart_shows_is_charted_as_the_average_of_each_minute()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var now = Math.Floor(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        var times = Enumerable.Range(0, 301).Select(i => now - 1800 + i * 4.0).ToList();
        foreach (var time in times)
        {
            await PublishReadingAsync(device, deviceId, "vibration", time % 7, time);
        }

        var page = await browser.NewPageAsync(BaseUrl);
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);

        var chart = page.Locator("figure[data-sensor='vibration']");
        await Expect(chart.Locator("figcaption")).ToHaveTextAsync("vibration: average of each minute, 301 readings");
        await Expect(chart.Locator("circle.point")).ToHaveCountAsync(times.Select(t => Math.Floor(t / 60)).Distinct().Count());
        await browser.SaveAsync(output, page, "device-chart-minutes");
    }

    [Fact]
    public async Task The_chart_range_is_kept_in_the_address_and_a_long_range_is_charted_in_buckets_that_keep_the_points_few()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        var now = Math.Floor(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        var times = Enumerable.Range(0, 301).Select(i => now - 18_030 + i * 60.0).ToList();
        foreach (var time in times)
        {
            await PublishReadingAsync(device, deviceId, "vibration", time % 7, time);
        }

        var page = await browser.NewPageAsync(BaseUrl, width: 390);
        await page.GotoAsync($"/devices/{deviceId}?range=6h");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);

        var chart = page.Locator("figure[data-sensor='vibration']");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Last 6 hours" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "6 hours" })).ToHaveAttributeAsync("aria-current", "true");
        await Expect(chart.Locator("figcaption")).ToHaveTextAsync("vibration: average of each 5 minutes, 301 readings");
        await Expect(chart.Locator("circle.point")).ToHaveCountAsync(times.Select(t => Math.Floor(t / 300)).Distinct().Count());
        await browser.SaveAsync(output, page, "device-chart-6h-390", close: false);

        await page.GetByRole(AriaRole.Link, new() { Name = "15 min" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new Regex(@"\?range=15m$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Last 15 minutes" })).ToBeVisibleAsync();
        // 15 readings were sent within the last 15 minutes, the oldest 30 s from its start when the test began.
        await Expect(chart.Locator("figcaption")).ToHaveTextAsync(new Regex("^vibration: 1[45] readings$"));
        await browser.SaveAsync(output, page, "device-chart-15m-390");
    }

    [Fact]
    public async Task A_command_sent_from_the_page_reaches_the_device_over_mqtt_and_its_result_shows_from_the_event_stream()
    {
        var page = await browser.NewPageAsync(BaseUrl, colorScheme: ColorScheme.Dark);
        await ConsolePages.RefreshOnlyHourlyAsync(page);
        await SendCommandAndAnswerAsync(page);
        await browser.SaveAsync(output, page, "device-command-dark");
    }

    [Fact]
    public async Task Without_the_event_stream_the_periodic_refresh_still_shows_a_commands_result()
    {
        var page = await browser.NewPageAsync(BaseUrl, width: 390);
        var streams = 0;
        await page.RouteAsync("**/api/v1/events?*", route =>
        {
            streams++;
            return route.AbortAsync();
        });
        await SendCommandAndAnswerAsync(page);
        Assert.True(streams > 0, "the page opened no event stream");
        await browser.SaveAsync(output, page, "device-command-no-stream-390");
    }

    /// <summary>
    /// Opens a new device's page, sends it a command from the form, has the device (connected over MQTT) receive it and
    /// publish its success, and waits for the page to show it.
    /// </summary>
    private async Task SendCommandAndAnswerAsync(IPage page)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.GetByText("No commands have been sent to this device.")).ToBeVisibleAsync();

        await page.GetByLabel("Command", new() { Exact = true }).FillAsync("set_interval");
        await page.GetByLabel("Parameters (JSON object, optional)").FillAsync("""{"seconds": 30}""");
        await page.GetByLabel("Command", new() { Exact = true }).PressAsync("Enter");

        var listed = await api.GetUntilAsync(
            $"/api/v1/devices/{deviceId}/commands", l => l.Items("commands").Any(), "the command is listed");
        var commandId = Assert.Single(listed.Items("commands")).Text("command_id");
        var received = await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/{commandId}");
        Assert.Equal(("set_interval", 30), (received.Text("command"), received.GetProperty("parameters").GetProperty("seconds").GetInt32()));
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = commandId })).ToBeVisibleAsync();

        var published = await device.PublishAsync(
            $"iot/devices/control/{deviceId}/command/{commandId}/result", """{"status":"succeeded","result":{"applied":true}}""");
        Assert.True(published.IsSuccess);

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = commandId });
        await Expect(row).ToContainTextAsync("succeeded");
        await Expect(row).ToContainTextAsync("""{"applied":true}""");
    }

    [Fact]
    public async Task Parameters_that_are_not_json_are_refused_in_the_banner_and_nothing_is_sent()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var page = await browser.NewPageAsync(BaseUrl, width: 390, ColorScheme.Dark);
        await page.GotoAsync($"/devices/{deviceId}");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.GetByText("No commands have been sent to this device.")).ToBeVisibleAsync();

        await page.GetByLabel("Command", new() { Exact = true }).FillAsync("reboot");
        await page.GetByLabel("Parameters (JSON object, optional)").FillAsync("{seconds: 30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send command" }).ClickAsync();

        await Expect(page.Locator("#banner")).ToContainTextAsync("The parameters are not JSON");
        await Expect(page.GetByLabel("Parameters (JSON object, optional)")).ToBeFocusedAsync();
        Assert.Empty((await api.GetJsonAsync($"/api/v1/devices/{deviceId}/commands")).Items("commands"));
        await browser.SaveAsync(output, page, "device-command-refused-dark-390");
    }

    internal static async Task PublishReadingAsync(TestMqttClient device, string deviceId, string sensorType, double value, double timestamp)
    {
        var payload = string.Create(CultureInfo.InvariantCulture,
            $$"""{"value":{{value:R}},"unit":"unit-x","quality":"good","timestamp":{{timestamp:R}}}""");
        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/{sensorType}", payload, qos: 1);
        Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
    }
}
