using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The co-hosted node (silo + gateway + embedded broker) in the embedded default profile, on free loopback ports.</summary>
public class NodeFixture : IAsyncLifetime
{
    public const string OperatorName = "ops";
    public const string OperatorKey = "ops-test-key";
    public const int MaxPayloadBytes = 4096;

    private WebApplication? _app;

    /// <summary>Where devices connect: the embedded broker's port, or the external broker's.</summary>
    public virtual int MqttPort { get; } = FreePort();

    /// <summary>The node's HTTP port (health, metrics).</summary>
    public int HttpPort { get; } = FreePort();

    /// <summary>The running node's grains, for looking at device state directly.</summary>
    public IGrainFactory Grains => _app!.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The running node's services, for looking at its in-memory stores.</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>Settings a derived fixture adds on top of the common ones.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    private string[] _arguments = [];

    public virtual async Task InitializeAsync()
    {
        _arguments =
        [
            $"--Mqtt:Port={MqttPort}",
            "--Mqtt:BindAddress=127.0.0.1",
            $"--Mqtt:MaxPayloadBytes={MaxPayloadBytes}",
            $"--Orleans:SiloPort={FreePort()}",
            $"--Orleans:GatewayPort={FreePort()}",
            $"--Urls=http://127.0.0.1:{HttpPort}",
            $"--Auth:Operators:{OperatorName}={OperatorKey}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Orleans.IoT=Warning",
            .. ExtraArguments,
        ];
        await StartAsync();
    }

    public virtual Task DisposeAsync() => StopAsync();

    /// <summary>Stops the node and starts it again with the same settings and ports.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    private async Task StartAsync()
    {
        _app = await IoTNode.BuildAsync(_arguments);
        await _app.StartAsync();
    }

    private async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public Task<TestMqttClient> ConnectAsync(string? user = null, string? password = null, string? clientId = null) =>
        TestMqttClient.ConnectAsync(MqttPort, user, password, clientId);

    public Task<TestMqttClient> ConnectOperatorAsync() => ConnectAsync(OperatorName, OperatorKey);

    /// <summary>Registers a new device over MQTT as a provisioning client would; returns its id and token.</summary>
    public Task<(string DeviceId, string Token)> RegisterDeviceAsync(string? deviceId = null, string type = "sensor") =>
        RegisterDeviceAsync(MqttPort, deviceId, type);

    /// <summary>Registers a new device over MQTT through the broker on <paramref name="mqttPort"/>; returns its id and token.</summary>
    public static async Task<(string DeviceId, string Token)> RegisterDeviceAsync(int mqttPort, string? deviceId = null, string type = "sensor")
    {
        deviceId ??= $"dev-{Guid.NewGuid():N}";
        await using var client = await TestMqttClient.ConnectAsync(mqttPort);
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        var ack = await client.PublishAsync($"iot/devices/register/{deviceId}", $$"""{"name":"Test device","type":"{{type}}"}""");
        Assert.True(ack.IsSuccess, $"registration was refused: {ack.ReasonCode} {ack.ReasonString}");
        var response = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        return (deviceId, response.GetProperty("auth_token").GetString()!);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "node";
}
