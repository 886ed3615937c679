using System.Net;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Orleans.IoT.Tests.WebConsole;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// A console session belongs to the cluster, not to the gateway that signed it in: behind a load balancer an operator's
/// requests reach any gateway, and a sign-out on one ends the session on all.
/// </summary>
[Collection(TwoGatewaysCollection.Name)]
public sealed class TwoGatewaysConsoleSessionTests(TwoGatewaysFixture cluster)
{
    [Fact]
    public async Task A_session_signed_in_on_the_standalone_gateway_holds_on_the_co_hosted_one_until_signed_out_there()
    {
        using var gatewayA = ConsoleHttp.NewClient(cluster.GatewayA.HttpPort);
        string sessionCookie;
        using (var signIn = await ConsoleHttp.PostSignInAsync(gatewayA, NodeFixture.OperatorKey))
        {
            Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
            sessionCookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie")).Split(';')[0];
        }

        using var siloB = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{cluster.SiloB.HttpPort}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        siloB.DefaultRequestHeaders.Add("Cookie", sessionCookie);

        using (var onB = await siloB.GetAsync("/api/v1/fleet/health"))
        {
            Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
        }

        using (var signOut = await siloB.SendAsync(new HttpRequestMessage(HttpMethod.Delete, FleetConsole.SessionPath)
        {
            Headers = { { ConsoleSession.HeaderName, "1" } },
        }))
        {
            Assert.True(signOut.IsSuccessStatusCode, $"sign-out on the co-hosted gateway: {signOut.StatusCode}");
        }

        using var onA = await gatewayA.GetAsync("/api/v1/fleet/health");
        await ApiClient.AssertProblemAsync(onA, HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }
}
