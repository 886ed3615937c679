using System.Net;
using System.Text;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary>The console's session over plain HTTP, as its sign-in page's script uses it.</summary>
public static class ConsoleHttp
{
    /// <summary>A client of the gateway on <paramref name="httpPort"/> that keeps cookies and does not follow redirects.</summary>
    public static HttpClient NewClient(int httpPort) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Posts the test operator's name and <paramref name="key"/> to sign in, with the console header unless told not to.</summary>
    public static Task<HttpResponseMessage> PostSignInAsync(HttpClient http, string key, bool consoleHeader = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, FleetConsole.SessionPath)
        {
            Content = new StringContent($$"""{"operator":"{{NodeFixture.OperatorName}}","key":"{{key}}"}""", Encoding.UTF8, "application/json"),
        };
        if (consoleHeader)
        {
            request.Headers.Add(ConsoleSession.HeaderName, "1");
        }

        return http.SendAsync(request);
    }
}
