using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// The whole story on a node of its own with a small fleet: an operator with a browser and an operator key finds
/// an offline device, reads its history as a chart, sends it a command and watches it finish once the device is back,
/// and acknowledges its alert. Its screenshots of the fleet and device pages are the README's.
/// </summary>
public sealed class OperatorJourneyBrowserTests(OperatorJourneyBrowserTests.Node node, ConsoleBrowser browser, ITestOutputHelper output)
    : IClassFixture<OperatorJourneyBrowserTests.Node>, IClassFixture<ConsoleBrowser>
{
    private const string Lost = "cold-store-2";

    private static readonly (string Id, string Name, string Type, string Location)[] Fleet =
    [
        ("boiler-1", "Boiler room", "thermometer", "plant-a"),
        ("cold-store-1", "Cold store 1", "thermometer", "plant-a"),
        (Lost, "Cold store 2", "thermometer", "plant-b"),
        ("meter-11", "Main meter", "meter", "plant-a"),
        ("meter-12", "Line 2 meter", "meter", "plant-b"),
        ("hall-humidity", "Hall humidity", "hygrometer", "plant-b"),
    ];

    /// <summary>A node of its own, so that its fleet is the story's only.</summary>
    public sealed class Node : NodeFixture;

    [Fact]
    public async Task An_operator_finds_an_offline_device_reads_its_history_commands_it_and_acknowledges_its_alert()
    {
        var connected = new List<TestMqttClient>();
        try
        {
            var tokens = new Dictionary<string, string>();
            foreach (var (id, name, type, location) in Fleet)
            {
                tokens[id] = await RegisterAsync(id, name, type, location);
                var device = await node.ConnectAsync(id, tokens[id]);
                connected.Add(device);
                await Publish(device, $"iot/devices/heartbeat/{id}", """{"battery_level":87,"signal_strength":-61,"memory_usage":42,"cpu_usage":7}""");
            }

            // The lost cold store's last hour: slowly warming, then over 80 (an alert), then silent.
            var lost = connected[2];
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            for (var i = 0; i < 30; i++)
            {
                var value = i < 29 ? 4 + i * 0.5 + (i % 3) * 0.4 : 85;
                await Publish(lost, $"iot/devices/data/{Lost}/temperature", string.Create(
                    CultureInfo.InvariantCulture, $$"""{"value":{{value:R}},"unit":"°C","timestamp":{{now - (30 - i) * 110:R}}}"""));
            }

            await lost.DisposeAsync();
            connected.Remove(lost);

            var page = await browser.NewPageAsync($"http://127.0.0.1:{node.HttpPort}");
            await page.GotoAsync("/");
            await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
            var offlineTile = page.Locator("li.tile.status-offline .count");
            await Expect(offlineTile).ToHaveTextAsync("1");
            await Expect(page.Locator("li.tile.severity-high .count")).ToHaveTextAsync("1");
            await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Registered offline devices, silent longest first" })).ToContainTextAsync(Lost);
            await browser.SaveAsync(output, page, "console-fleet", close: false);

            await page.GetByRole(AriaRole.Link, new() { Name = "Devices", Exact = true }).ClickAsync();
            await page.GetByLabel("Status").SelectOptionAsync("offline");
            await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Devices" }).GetByRole(AriaRole.Row)).ToHaveCountAsync(2); // its header and the one offline
            await page.GetByRole(AriaRole.Link, new() { Name = Lost }).ClickAsync();

            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = Lost })).ToBeVisibleAsync();
            await Expect(page.Locator("#live-status")).ToHaveTextAsync(new Regex("^Live: this page follows the device's"));
            await Expect(page.Locator(".facts")).ToContainTextAsync("offline");
            await Expect(page.Locator("figure[data-sensor='temperature'] circle.point")).ToHaveCountAsync(30);

            await page.GetByLabel("Command", new() { Exact = true }).FillAsync("defrost");
            await page.GetByLabel("Parameters (JSON object, optional)").FillAsync("""{"minutes": 20}""");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send command" }).ClickAsync();
            var command = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "defrost" });
            await Expect(command).ToContainTextAsync("queued");
            using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
            var listed = await api.GetUntilAsync($"/api/v1/devices/{Lost}/commands", l => l.Items("commands").Any(), "the command is listed");
            var commandId = Assert.Single(listed.Items("commands")).Text("command_id");

            // The device comes back: it is sent the command that waited for it, and answers.
            await using var back = await node.ConnectAsync(Lost, tokens[Lost]);
            await back.SubscribeAsync($"iot/devices/{Lost}/commands/+");
            await Publish(back, $"iot/devices/heartbeat/{Lost}", """{"battery_level":64,"signal_strength":-72}""");
            Assert.Equal("defrost", (await back.WaitForJsonAsync($"iot/devices/{Lost}/commands/{commandId}")).Text("command"));
            await Publish(back, $"iot/devices/control/{Lost}/command/{commandId}/result", """{"status":"succeeded","result":{"defrosted":true}}""");
            await Expect(command).ToContainTextAsync("succeeded");
            await Expect(page.Locator(".facts")).ToContainTextAsync("online");

            await page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge the high alert of rule temperature>80" }).ClickAsync();
            await Expect(page.Locator("section[aria-labelledby='device-alerts']")).ToContainTextAsync($"by {NodeFixture.OperatorName}");
            await Expect(page.Locator("#banner")).ToBeHiddenAsync();
            await browser.SaveAsync(output, page, "console-device");
        }
        finally
        {
            foreach (var device in connected)
            {
                await device.DisposeAsync();
            }
        }
    }

    private async Task<string> RegisterAsync(string id, string name, string type, string location)
    {
        await using var provisioning = await node.ConnectProvisioningAsync(id);
        await provisioning.SubscribeAsync($"iot/devices/{id}/register/response");
        await Publish(provisioning, $"iot/devices/register/{id}", $$"""{"name":"{{name}}","type":"{{type}}","location":"{{location}}","firmware_version":"2.4.1","capabilities":["temperature"]}""");
        return (await provisioning.WaitForJsonAsync($"iot/devices/{id}/register/response")).GetProperty("auth_token").GetString()!;
    }

    private static async Task Publish(TestMqttClient client, string topic, string payload)
    {
        var ack = await client.PublishAsync(topic, payload, qos: 1);
        Assert.True(ack.IsSuccess, $"{topic}: {ack.ReasonCode} {ack.ReasonString}");
    }
}
