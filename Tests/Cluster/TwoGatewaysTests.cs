using System.Net;
using Orleans.IoT.Tests.Api;
using Orleans.IoT.Tests.EndToEnd;
using Orleans.IoT.Tests.WebConsole;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// DESIGN §1 "Messages to a device find its gateway" across a standalone gateway (A, its own process) and a silo's
/// co-hosted gateway (B): a device's messages reach the gateway holding its connection, fleet events reach the
/// operators of both, and a dead gateway leaves the directory.
/// </summary>
[Collection(TwoGatewaysCollection.Name)]
public sealed class TwoGatewaysTests(TwoGatewaysFixture cluster)
{
    private int PortA => cluster.GatewayA.MqttPort;

    private int PortB => cluster.SiloB.MqttPort;

    [Fact]
    public async Task A_device_on_the_standalone_gateway_stores_its_reading_and_receives_commands_sent_through_the_other()
    {
        var (deviceId, token) = await RegisterAsync(PortA);
        await using var device = await TestMqttClient.ConnectAsync(PortA, deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":21.5,"timestamp":1741593613}""");
        Assert.True(ack.IsSuccess, ack.ReasonString);
        using var apiA = new ApiClient(cluster.GatewayA.HttpPort, NodeFixture.OperatorKey);
        var history = await apiA.GetJsonAsync($"/api/v1/devices/{deviceId}/telemetry/temperature?from=1741593600&to=1741593700");
        Assert.Equal(21.5, Assert.Single(history.Items("readings")).GetProperty("value").GetDouble());

        await using var operatorB = await TestMqttClient.ConnectAsync(PortB, NodeFixture.OperatorName, NodeFixture.OperatorKey);
        var sent = await operatorB.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"by-mqtt"}""", qos: 2);
        Assert.True(sent.IsSuccess, sent.ReasonString);
        Assert.Equal("reboot", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/by-mqtt")).Text("command"));

        using var apiB = new ApiClient(cluster.SiloB.HttpPort, NodeFixture.OperatorKey);
        var created = await ApiClient.OkJsonAsync(await apiB.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"calibrate","command_id":"by-http"}"""));
        Assert.Equal("sent", created.Text("status"));
        Assert.Equal("calibrate", (await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/by-http")).Text("command"));
    }

    [Fact]
    public async Task Operators_on_either_gateway_see_the_presence_and_alerts_of_a_device_on_the_standalone_one()
    {
        await using var operatorA = await ConnectOperatorAsync(PortA);
        await using var operatorB = await ConnectOperatorAsync(PortB);
        // A's operator made A interested: wait until the cluster knows, as a silo sends A those events only then.
        await cluster.WaitForGatewaysAsync(
            gateways => gateways.Any(g => g.Id == cluster.GatewayAId && g.Interest.HasFlag(FleetInterest.Events | FleetInterest.Alerts)),
            "gateway A's interest in events and alerts");
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // the silo reads the directory every 200 ms

        var (deviceId, token) = await RegisterAsync(PortA);
        await using var device = await TestMqttClient.ConnectAsync(PortA, deviceId, token);
        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":95}""");
        Assert.True(ack.IsSuccess, ack.ReasonString);

        foreach (var observer in new[] { operatorA, operatorB })
        {
            Assert.Equal("online", (await observer.WaitForJsonAsync($"iot/events/presence/{deviceId}")).Text("status"));
            Assert.Equal("active", (await observer.WaitForJsonAsync($"iot/alerts/high/{deviceId}")).Text("state"));
        }
    }

    [Fact]
    public async Task A_device_that_left_its_gateway_is_sent_what_waited_through_the_gateway_it_comes_back_through()
    {
        var (deviceId, token) = await RegisterAsync(PortA);
        var onA = await TestMqttClient.ConnectAsync(PortA, deviceId, token);
        await onA.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        await onA.DisposeAsync(); // a clean DISCONNECT: offline, and A is no longer its gateway
        var grain = cluster.SiloB.Grains.GetGrain<IDeviceGrain>(deviceId);
        await WaitAsync(async () => (await grain.GetSnapshot()).Presence == "offline", "the device went offline");

        using var apiB = new ApiClient(cluster.SiloB.HttpPort, NodeFixture.OperatorKey);
        var created = await ApiClient.OkJsonAsync(await apiB.PostJsonAsync($"/api/v1/devices/{deviceId}/commands", """{"command":"reboot","command_id":"waited"}"""));
        Assert.Equal("queued", created.Text("status"));

        await using var onB = await TestMqttClient.ConnectAsync(PortB, deviceId, token);
        await onB.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        Assert.True((await onB.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);

        Assert.Equal("reboot", (await onB.WaitForJsonAsync($"iot/devices/{deviceId}/commands/waited")).Text("command"));
    }

    [Fact]
    public async Task A_gateway_that_dies_expires_from_the_directory_and_one_that_stops_leaves_it_at_once()
    {
        var dying = $"gateway-c-{Guid.NewGuid():N}";
        await using (var gateway = await cluster.StartGatewayAsync(dying))
        {
            await gateway.KillAsync();
        }

        var killedAt = DateTime.UtcNow;
        await cluster.WaitForGatewaysAsync(gateways => gateways.All(g => g.Id != dying), "the killed gateway expired", TimeSpan.FromSeconds(TwoGatewaysFixture.ExpirySeconds + 10));
        Assert.True(DateTime.UtcNow - killedAt >= TimeSpan.FromSeconds(TwoGatewaysFixture.ExpirySeconds - 1), "it stayed until its registration expired");

        var stopping = $"gateway-d-{Guid.NewGuid():N}";
        await using (var gateway = await cluster.StartGatewayAsync(stopping))
        {
            gateway.Interrupt();
            Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)), "the gateway stops on Ctrl-C");
        }

        await cluster.WaitForGatewaysAsync(gateways => gateways.All(g => g.Id != stopping), "the stopped gateway left", TimeSpan.FromSeconds(TwoGatewaysFixture.ExpirySeconds - 1));
        await cluster.WaitForGatewaysAsync(gateways => gateways.Any(g => g.Id == cluster.GatewayAId), "gateway A is still there", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task The_standalone_gateway_is_ready_and_exports_its_metrics()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{cluster.GatewayA.HttpPort}") };

        Assert.True((await http.GetAsync("/health/live")).IsSuccessStatusCode);
        var ready = await http.GetAsync("/health/ready");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());
        Assert.Contains("orleans_iot", await http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task The_standalone_gateway_serves_the_console_whose_session_opens_its_api()
    {
        using var http = ConsoleHttp.NewClient(cluster.GatewayA.HttpPort);

        using var signIn = await ConsoleHttp.PostSignInAsync(http, NodeFixture.OperatorKey);
        using var page = await http.GetAsync("/");
        using var health = await http.GetAsync("/api/v1/fleet/health");

        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task The_standalone_gateway_reads_the_devices_online_that_the_silos_sample()
    {
        using var api = new ApiClient(cluster.GatewayA.HttpPort, NodeFixture.OperatorKey);

        var online = await api.GetJsonAsync("/api/v1/fleet/online?minutes=5");

        Assert.NotEmpty(online.GetProperty("samples").EnumerateArray());
    }

    private static async Task<(string DeviceId, string Token)> RegisterAsync(int port)
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var provisioning = await TestMqttClient.ConnectAsync(port);
        await provisioning.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        var ack = await provisioning.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"n","type":"sensor"}""");
        Assert.True(ack.IsSuccess, ack.ReasonString);
        return (deviceId, (await provisioning.WaitForJsonAsync($"iot/devices/{deviceId}/register/response")).Text("auth_token"));
    }

    private static async Task<TestMqttClient> ConnectOperatorAsync(int port)
    {
        var client = await TestMqttClient.ConnectAsync(port, NodeFixture.OperatorName, NodeFixture.OperatorKey);
        await client.SubscribeAsync("iot/events/presence/+");
        await client.SubscribeAsync("iot/alerts/#");
        return client;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }
}
