using Microsoft.Playwright;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>What the console's browser tests do to a page before opening it.</summary>
internal static class ConsolePages
{
    /// <summary>Tells the page to refresh only hourly, so that what changes within a test reaches it by the event stream.</summary>
    public static Task RefreshOnlyHourlyAsync(IPage page) =>
        page.RouteAsync("**" + FleetConsole.SessionPath, route => route.Request.Method == "GET"
            ? route.FulfillAsync(new RouteFulfillOptions
            {
                ContentType = "application/json",
                Body = $$"""{"operator":"{{NodeFixture.OperatorName}}","refresh_seconds":3600}""",
            })
            : route.ContinueAsync());
}
