using System.Net;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>The console's session over plain HTTP: sign-in, the cookie's reach over the API, and the header that keeps other sites out.</summary>
[Collection(NodeCollection.Name)]
public sealed class ConsoleSessionTests(NodeFixture node)
{
    [Fact]
    public async Task A_console_page_without_a_session_leads_to_sign_in_and_the_api_stays_401()
    {
        using var http = ConsoleHttp.NewClient(node.HttpPort);

        using var page = await http.GetAsync("/devices?type=x");
        using var api = await http.GetAsync("/api/v1/devices");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/signin?return=%2Fdevices%3Ftype%3Dx", page.Headers.Location?.OriginalString.Replace($"http://127.0.0.1:{node.HttpPort}", ""));
        await ApiClient.AssertProblemAsync(api, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public async Task Sign_in_takes_the_console_header_and_a_valid_key_and_issues_a_strict_http_only_cookie()
    {
        using var http = ConsoleHttp.NewClient(node.HttpPort);

        using var withoutHeader = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey, consoleHeader: false);
        using var wrongKey = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey + "x");
        using var signedIn = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey);

        await ApiClient.AssertProblemAsync(withoutHeader, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        var refusal = await ApiClient.AssertProblemAsync(wrongKey, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        Assert.Equal("the operator name or key is not valid", refusal.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NoContent, signedIn.StatusCode);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(ConsoleSession.CookieName + "=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_change_authenticated_by_the_cookie_needs_the_console_header()
    {
        using var http = ConsoleHttp.NewClient(node.HttpPort);
        using (var signIn = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        }

        using var read = await http.GetAsync("/api/v1/fleet/health");
        using var forged = await http.DeleteAsync("/api/v1/devices/console-never-registered");
        using var fromConsole = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/api/v1/devices/console-never-registered")
        {
            Headers = { { ConsoleSession.HeaderName, "1" } },
        });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var problem = await ApiClient.AssertProblemAsync(forged, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Contains(ConsoleSession.HeaderName, problem.GetProperty("detail").GetString());
        await ApiClient.AssertProblemAsync(fromConsole, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
    }

    [Fact]
    public async Task The_cookie_holds_only_a_random_session_key_and_a_forged_one_opens_nothing()
    {
        using var http = ConsoleHttp.NewClient(node.HttpPort);
        using var signIn = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey);
        var value = Assert.Single(signIn.Headers.GetValues("Set-Cookie")).Split(';')[0][(ConsoleSession.CookieName.Length + 1)..];
        Assert.Matches("^[A-Za-z0-9_-]{43}$", value);

        foreach (var forged in (string[])[ConsoleSessionTickets.NewKey(), value[..^1] + (value[^1] == 'A' ? 'B' : 'A'), "not-a-session", ""])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/fleet/health") { Headers = { { "Cookie", $"{ConsoleSession.CookieName}={forged}" } } };
            using var stranger = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = http.BaseAddress };
            using var response = await stranger.SendAsync(request);
            await ApiClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }
    }
}
