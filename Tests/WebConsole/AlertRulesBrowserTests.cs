using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>
/// The Alerts page's rules editor in a real browser against the co-hosted node: a refusal shows and keeps the draft,
/// and a changed threshold is in force for the next reading, whose alert appears live. The node's rules are put back
/// afterwards, since the other tests of the node rely on them.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class AlertRulesBrowserTests(NodeFixture node, ConsoleBrowser browser, ITestOutputHelper output) : IClassFixture<ConsoleBrowser>
{
    private const string RuleId = "console-pressure";

    private string BaseUrl => $"http://127.0.0.1:{node.HttpPort}";

    [Fact]
    public async Task A_threshold_changed_on_the_page_raises_an_alert_for_the_next_reading_that_meets_it()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var original = await api.GetJsonAsync("/api/v1/alert-rules");
        try
        {
            var rules = JsonNode.Parse(original.GetProperty("rules").GetRawText())!.AsArray();
            rules.Add(new JsonObject
            {
                ["id"] = RuleId, ["sensor_type"] = "pressure", ["operator"] = ">", ["threshold"] = 500, ["severity"] = "medium",
            });
            await PutRulesAsync(api, rules);

            var page = await browser.NewPageAsync(BaseUrl);
            await ConsolePages.RefreshOnlyHourlyAsync(page);
            await page.GotoAsync("/alerts");
            await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
            await Expect(page.Locator("#live-status")).ToHaveTextAsync("Live: alerts appear here as they are raised or cleared.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Edit the rules" }).ClickAsync();
            var rule = page.Locator("fieldset.rule").Filter(new() { Has = page.Locator($"input[name='id'][value='{RuleId}']") });
            var threshold = rule.GetByLabel("Threshold", new() { Exact = true });
            await page.EvaluateAsync("() => { window.sameDocument = true; }");

            // Refused by the node: the banner and the editor say why, and the draft stays as the operator left it.
            await threshold.FillAsync("");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save the rules" }).ClickAsync();
            await Expect(page.Locator("#banner")).ToContainTextAsync("The API refused the request (400): 'rules[");
            var ruleNumber = await rule.Locator("legend").TextContentAsync();
            await Expect(page.Locator(".rules-editor .message")).ToContainTextAsync($"{ruleNumber!.ToLowerInvariant()}: 'threshold' is required (validation_failed)");
            await Expect(rule).ToBeVisibleAsync();
            await browser.SaveAsync(output, page, "alert-rules-refused", close: false);

            await threshold.FillAsync("50");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save the rules" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(new Regex("^Saved the alert rules: version \\d+ is in force\\.$"));
            await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Alert rules" })).ToContainTextAsync($"{RuleId}pressureanyvalue > 50");
            var inForce = await api.GetJsonAsync("/api/v1/alert-rules");
            Assert.Contains(inForce.GetProperty("rules").EnumerateArray(),
                r => r.GetProperty("id").GetString() == RuleId && r.GetProperty("threshold").GetDouble() == 50);

            var (deviceId, token) = await node.RegisterDeviceAsync();
            await using var device = await node.ConnectAsync(deviceId, token);
            Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/pressure", """{"value":60}""")).IsSuccess);

            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = deviceId });
            await Expect(row).ToContainTextAsync("mediumactive", new() { Timeout = 20_000 });
            await Expect(row).ToContainTextAsync($"6050{RuleId}pressure");
            Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded");
            await browser.SaveAsync(output, page, "alert-rules-saved-alert-live");
        }
        finally
        {
            await PutRulesAsync(api, JsonNode.Parse(original.GetProperty("rules").GetRawText())!.AsArray());
        }
    }

    [Fact]
    public async Task Rules_saved_by_someone_else_during_an_edit_are_not_replaced_unknowingly()
    {
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        var original = await api.GetJsonAsync("/api/v1/alert-rules");
        try
        {
            var page = await browser.NewPageAsync(BaseUrl);
            await ConsolePages.RefreshOnlyHourlyAsync(page);
            await page.GotoAsync("/alerts");
            await ConsoleBrowserTests.SignInAsync(page, NodeFixture.OperatorKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Edit the rules" }).ClickAsync();
            await page.Locator("fieldset.rule").First.GetByLabel("Threshold", new() { Exact = true }).FillAsync("81");

            // Another operator saves meanwhile (the page reads the rules only hourly here, so only the save can tell).
            var theirs = JsonNode.Parse(original.GetProperty("rules").GetRawText())!.AsArray();
            theirs.Add(new JsonObject { ["id"] = "theirs", ["sensor_type"] = "co2", ["operator"] = ">", ["threshold"] = 1500, ["severity"] = "low" });
            await PutRulesAsync(api, theirs);

            await page.GetByRole(AriaRole.Button, new() { Name = "Save the rules" }).ClickAsync();
            await Expect(page.Locator("#banner")).ToContainTextAsync("(412)");
            await Expect(page.Locator(".rules-editor .message")).ToContainTextAsync("someone saved other rules meanwhile");
            Assert.Contains((await api.GetJsonAsync("/api/v1/alert-rules")).GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == "theirs");
            await browser.SaveAsync(output, page, "alert-rules-conflict", close: false);

            // Saving again, knowingly, replaces theirs with the draft, which the refusal kept.
            await page.GetByRole(AriaRole.Button, new() { Name = "Save the rules" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync(new Regex("^Saved the alert rules: version \\d+ is in force\\.$"));
            var inForce = await api.GetJsonAsync("/api/v1/alert-rules");
            Assert.DoesNotContain(inForce.GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == "theirs");
            Assert.Equal(81, inForce.GetProperty("rules")[0].GetProperty("threshold").GetDouble());
            await page.Context.CloseAsync();
        }
        finally
        {
            await PutRulesAsync(api, JsonNode.Parse(original.GetProperty("rules").GetRawText())!.AsArray());
        }
    }

    private static async Task PutRulesAsync(ApiClient api, JsonArray rules)
    {
        using var response = await api.PutJsonAsync("/api/v1/alert-rules", new JsonObject { ["rules"] = rules.DeepClone() }.ToJsonString());
        await ApiClient.OkJsonAsync(response);
    }
}
