using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Security;
using Orleans.IoT.Tests.EndToEnd;
using Orleans.IoT.Tests.WebConsole;

namespace Orleans.IoT.Tests.Api;

/// <summary>
/// Wrong operator keys over HTTP, counted per client address: past the limit every key from that address is refused
/// 429 until the window ends, the right one included, on the API and the console's sign-in alike.
/// </summary>
public sealed class OperatorKeyAttemptsTests(OperatorKeyAttemptsTests.Node node) : IClassFixture<OperatorKeyAttemptsTests.Node>
{
    private const int Limit = 3;

    public sealed class Node : NodeFixture
    {
        protected override IEnumerable<string> ExtraArguments => [$"--RateLimit:MaxFailedOperatorKeysPerAddress={Limit}", "--RateLimit:WindowSeconds=600"];
    }

    [Fact]
    public async Task Past_the_limit_of_wrong_keys_an_address_presents_no_key_until_its_window_ends()
    {
        using var wrong = new ApiClient(node.HttpPort, NodeFixture.OperatorKey + "-wrong");
        using var right = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);
        using (var before = await right.GetAsync("/api/v1/fleet/health"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        for (var i = 0; i < Limit; i++)
        {
            using var refused = await wrong.GetAsync("/api/v1/fleet/health");
            await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }

        using var rightKey = await right.GetAsync("/api/v1/fleet/health");
        var problem = await ApiClient.AssertProblemAsync(rightKey, (HttpStatusCode)429, ErrorCodes.RateLimited);
        Assert.Contains("too many wrong operator keys", problem.GetProperty("detail").GetString());
        Assert.InRange(rightKey.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 600);

        using var console = ConsoleHttp.NewClient(node.HttpPort);
        using var signIn = await ConsoleHttp.PostSignInAsync(console, NodeFixture.OperatorKey);
        await ApiClient.AssertProblemAsync(signIn, (HttpStatusCode)429, ErrorCodes.RateLimited);
    }

    [Fact]
    public void Addresses_are_counted_apart_an_IPv6_host_by_its_64_and_a_window_ends()
    {
        var clock = new FakeTimeProvider();
        var attempts = new OperatorKeyAttempts(
            Options.Create(new GatewayRateLimitOptions { MaxFailedOperatorKeysPerAddress = 2, WindowSeconds = 60 }), clock, NullLogger<OperatorKeyAttempts>.Instance);
        var host = IPAddress.Parse("2001:db8:1:2::10");

        attempts.Failed(host);
        Assert.Null(attempts.RefusedFor(host));
        attempts.Failed(IPAddress.Parse("2001:db8:1:2:ffff::1"));

        Assert.Equal(60, attempts.RefusedFor(host));
        Assert.NotNull(attempts.RefusedFor(IPAddress.Parse("2001:db8:1:2::99")));
        Assert.Null(attempts.RefusedFor(IPAddress.Parse("2001:db8:1:3::10")));
        Assert.Null(attempts.RefusedFor(IPAddress.Parse("192.0.2.1")));

        attempts.Failed(IPAddress.Parse("192.0.2.1"));
        attempts.Failed(IPAddress.Parse("::ffff:192.0.2.1"));
        Assert.NotNull(attempts.RefusedFor(IPAddress.Parse("192.0.2.1")));

        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Null(attempts.RefusedFor(host));
        Assert.Null(attempts.RefusedFor(IPAddress.Parse("192.0.2.1")));
    }
}
