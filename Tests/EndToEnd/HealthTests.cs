using System.Net;
using Orleans.IoT.Tests.Durable;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary><c>/health/live</c> and <c>/health/ready</c> of the co-hosted node in the embedded default.</summary>
[Collection(NodeCollection.Name)]
public sealed class HealthTests(NodeFixture node)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task The_node_is_live_and_ready(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}") };

        var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}

/// <summary>Readiness in the durable profile follows PostgreSQL; liveness does not.</summary>
[Collection(DurableCollection.Name)]
public sealed class DurableHealthTests(DurableNodeFixture node)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Readiness_flips_when_postgresql_is_cut_and_back_when_it_returns()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.HttpPort}"), Timeout = TimeSpan.FromSeconds(15) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);

        node.PostgresProxy.Cut();
        try
        {
            await WaitForAsync(http, "/health/ready", HttpStatusCode.ServiceUnavailable);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            node.PostgresProxy.Restore();
        }

        await WaitForAsync(http, "/health/ready", HttpStatusCode.OK);
    }

    private static async Task WaitForAsync(HttpClient http, string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        HttpStatusCode status;
        while ((status = (await http.GetAsync(path)).StatusCode) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(expected, status);
    }
}
