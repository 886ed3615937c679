using System.Net;
using Orleans.IoT.Gateway.WebConsole;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.WebConsole;

/// <summary><c>Console:Enabled=false</c>: no console and no sign-in; the API's keys work as ever.</summary>
public sealed class ConsoleDisabledTests(ConsoleDisabledTests.Node node) : IClassFixture<ConsoleDisabledTests.Node>
{
    public sealed class Node : NodeFixture
    {
        protected override IEnumerable<string> ExtraArguments => ["--Console:Enabled=false"];
    }

    [Fact]
    public async Task The_gateway_serves_neither_the_console_nor_its_sign_in()
    {
        using var http = ConsoleHttp.NewClient(node.HttpPort);
        using var api = new ApiClient(node.HttpPort, NodeFixture.OperatorKey);

        using var page = await http.GetAsync("/");
        using var signInPage = await http.GetAsync(ConsoleSession.SignInPath);
        using var signIn = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey);
        using var health = await api.GetAsync("/api/v1/fleet/health");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, signInPage.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
