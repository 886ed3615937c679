using System.Net;
using System.Net.Sockets;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Cluster;

/// <summary><c>Gateway:CoHosted=false</c>: a silo for standalone gateways, with no broker and no API, keeping health and metrics.</summary>
public sealed class SiloWithoutGatewayTests : IAsyncLifetime
{
    private readonly SiloOnly _silo = new();

    public Task InitializeAsync() => _silo.InitializeAsync();

    public Task DisposeAsync() => _silo.DisposeAsync();

    [Fact]
    public async Task It_answers_health_and_metrics_and_neither_mqtt_nor_the_api()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_silo.HttpPort}") };

        var ready = await http.GetAsync("/health/ready");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/devices")).StatusCode);
        using var mqtt = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => mqtt.ConnectAsync(IPAddress.Loopback, _silo.MqttPort));
    }

    private sealed class SiloOnly : NodeFixture
    {
        protected override IEnumerable<string> ExtraArguments => ["--Gateway:CoHosted=false"];
    }
}
