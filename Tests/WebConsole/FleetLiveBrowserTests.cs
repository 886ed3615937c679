using Microsoft.Playwright;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// The Fleet page's chart of devices online and the Devices page's live presence, in a real browser against the
/// co-hosted node. The pages are told to refresh only hourly, so that a change within a test reaches them by the event stream.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class FleetLiveBrowserTests(NodeFixture node, ConsoleBrowser browser, ITestOutputHelper output) : IClassFixture<ConsoleBrowser>
{
    private string BaseUrl => $"http://127.0.0.1:{node.HttpPort}";

    [Fact]
    public async Task The_fleet_page_charts_the_devices_online_over_the_last_hour()
    {
        var page = await browser.NewPageAsync(BaseUrl, width: 390);
        await page.GotoAsync("/");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);

        var chart = page.GetByRole(AriaRole.Img, new() { Name = "Devices online, last hour" });
        await Expect(chart).ToBeVisibleAsync();
        Assert.True(await chart.Locator("circle.point").CountAsync() >= 1, "the chart has no sample");
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("Live: the counts follow devices coming online and going offline.");
        await Expect(page.Locator("#banner")).ToBeHiddenAsync();
        await browser.SaveAsync(output, page, "fleet-online-chart-390");
    }

    [Fact]
    public async Task A_device_registered_over_mqtt_is_counted_on_the_fleet_page_without_a_reload()
    {
        var type = $"fleet-live-{Guid.NewGuid():N}"[..24];
        var page = await browser.NewPageAsync(BaseUrl);
        await ConsolePages.RefreshOnlyHourlyAsync(page);
        await page.GotoAsync("/");
        await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("Live: the counts follow devices coming online and going offline.");
        await page.EvaluateAsync("() => { window.sameDocument = true; }");

        await node.RegisterDeviceAsync(type: type);

        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = type }) });
        await Expect(row).ToContainTextAsync($"{type}100", new() { Timeout = 10_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
        await browser.SaveAsync(output, page, "fleet-live-registered");
    }

    [Fact]
    public async Task A_device_that_disconnects_shows_offline_on_the_devices_page_without_a_reload()
    {
        var type = $"live-{Guid.NewGuid():N}"[..20];
        var (deviceId, token) = await node.RegisterDeviceAsync(type: type);
        var device = await node.ConnectAsync(deviceId, token);
        await using (device)
        {
            Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", """{"battery_level":80}""")).IsSuccess);
            var page = await browser.NewPageAsync(BaseUrl);
            await ConsolePages.RefreshOnlyHourlyAsync(page);
            await page.GotoAsync($"/devices?type={type}");
            await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = deviceId });
            await Expect(row).ToContainTextAsync("online");
            await Expect(page.Locator("#live-status")).ToHaveTextAsync("Live: a device's status changes here as it comes online or goes offline.");
            await page.EvaluateAsync("() => { window.sameDocument = true; }");

            // A clean MQTT DISCONNECT: the embedded node marks the device offline at once (Presence:OfflineOnDisconnect).
            await device.DisposeAsync();

            await Expect(row).ToContainTextAsync("offline", new() { Timeout = 10_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
            await browser.SaveAsync(output, page, "devices-live-offline");
        }
    }
}
