using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Gateway.Transport;
using Orleans.IoT.Silo;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// The co-hosted node (silo + gateway + embedded broker) in the embedded default profile, on free loopback ports.
/// Its virtual members say how devices and operators reach the node and learn what became of their messages in this
/// broker mode, so that the flow tests written against them run in both (<see cref="ExternalNodeFixture"/>).
/// </summary>
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
            // Every test client is 127.0.0.1, and many tests present wrong keys on purpose (OperatorKeyAttemptsTests has its own node).
            "--RateLimit:MaxFailedOperatorKeysPerAddress=1000000",
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

    /// <summary>An operator's connection, proven by its key.</summary>
    public virtual Task<TestMqttClient> ConnectOperatorAsync() => ConnectAsync(OperatorName, OperatorKey);

    /// <summary>An operator on the oldest protocol the mode serves operators on: MQTT 3.1.1 here, with its own client id.</summary>
    public virtual Task<TestMqttClient> ConnectLegacyOperatorAsync() =>
        TestMqttClient.ConnectAsync(MqttPort, OperatorName, OperatorKey, clientId: $"ops-{Guid.NewGuid():N}", protocol: MQTTnet.Formatter.MqttProtocolVersion.V311);

    /// <summary>A connection that may register <paramref name="deviceId"/>: anonymous here, under open registration.</summary>
    public virtual Task<TestMqttClient> ConnectProvisioningAsync(string deviceId) => ConnectAsync();

    /// <summary>The registered device's connection, proven by its token: here its CONNECT password.</summary>
    public virtual Task<TestMqttClient> ConnectDeviceAsync(string deviceId, string token) => ConnectAsync(deviceId, token);

    /// <summary>Whether <paramref name="token"/> proves <paramref name="deviceId"/> now: here, whether the broker lets it connect.</summary>
    public virtual async Task<bool> TokenAcceptedAsync(string deviceId, string token)
    {
        await using var client = await TestMqttClient.ConnectAsync(MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Contains(client.ConnectResult.ResultCode, new[] { MqttClientConnectResultCode.Success, MqttClientConnectResultCode.BadUserNameOrPassword });
        return client.ConnectResult.ResultCode == MqttClientConnectResultCode.Success;
    }

    /// <summary>Publishes (QoS 1) and asserts that the node accepted it.</summary>
    public Task AcceptedAsync(TestMqttClient client, string topic, string payload, Action<MqttApplicationMessageBuilder>? configure = null) =>
        AcceptedAsync(client, topic, System.Text.Encoding.UTF8.GetBytes(payload), configure);

    /// <summary>Publishes (QoS 1) and asserts that the node accepted it: here, the broker's acknowledgement says so.</summary>
    public virtual async Task AcceptedAsync(TestMqttClient client, string topic, byte[] payload, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var ack = await client.PublishAsync(topic, payload, configure: configure);
        Assert.True(ack.IsSuccess, $"{topic}: {ack.ReasonCode} {ack.ReasonString}");
    }

    /// <summary>Publishes (QoS 1) and returns why the node refused it.</summary>
    public Task<Refusal> RefusedAsync(TestMqttClient client, string topic, string payload, Action<MqttApplicationMessageBuilder>? configure = null) =>
        RefusedAsync(client, topic, System.Text.Encoding.UTF8.GetBytes(payload), configure);

    /// <summary>
    /// Publishes (QoS 1) and returns why the node refused it: here, from the broker's acknowledgement, whose reason code
    /// must be the one for the error code in its reason string.
    /// </summary>
    public virtual async Task<Refusal> RefusedAsync(TestMqttClient client, string topic, byte[] payload, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var ack = await client.PublishAsync(topic, payload, configure: configure);
        Assert.False(ack.IsSuccess, $"{topic} was accepted");
        Assert.False(string.IsNullOrEmpty(ack.ReasonString), $"{topic}: {ack.ReasonCode} without a reason string");
        var parts = ack.ReasonString.Split(": ", 2);
        Assert.Equal(AckReasonCodes.For(parts[0]), (MQTTnet.Protocol.MqttPubAckReasonCode)(int)ack.ReasonCode);
        return new Refusal(parts[0], parts.Length > 1 ? parts[1] : null, ack.ReasonCode);
    }

    /// <summary>Asserts the reason code the sender of a refused message was acknowledged with: here, <paramref name="expected"/>.</summary>
    public virtual void AssertRefusalAck(Refusal refusal, MqttClientPublishReasonCode expected) => Assert.Equal(expected, refusal.Ack);

    /// <summary>The code a message on a topic no route takes is refused with: here the gateway's.</summary>
    public virtual string UnroutedTopicCode => "unknown_route";

    /// <summary>
    /// Asserts what the broker acknowledged to an operator whose message (QoS 2, so without a reason string) the node
    /// refused with <paramref name="code"/>: here, the reason code for that error; the reply says the rest.
    /// </summary>
    public virtual void AssertRefusedAck(MqttClientPublishResult ack, string code) =>
        Assert.Equal(AckReasonCodes.For(code), (MQTTnet.Protocol.MqttPubAckReasonCode)(int)ack.ReasonCode);

    /// <summary>Registers a new device over MQTT as a provisioning client would; returns its id and token.</summary>
    public async Task<(string DeviceId, string Token)> RegisterDeviceAsync(string? deviceId = null, string type = "sensor")
    {
        deviceId ??= $"dev-{Guid.NewGuid():N}";
        await using var client = await ConnectProvisioningAsync(deviceId);
        return await RegisterAsync(client, deviceId, type);
    }

    /// <summary>Registers a new device through the embedded broker on <paramref name="mqttPort"/>; returns its id and token.</summary>
    public static async Task<(string DeviceId, string Token)> RegisterDeviceAsync(int mqttPort, string? deviceId = null, string type = "sensor")
    {
        deviceId ??= $"dev-{Guid.NewGuid():N}";
        await using var client = await TestMqttClient.ConnectAsync(mqttPort);
        return await RegisterAsync(client, deviceId, type);
    }

    private static async Task<(string DeviceId, string Token)> RegisterAsync(TestMqttClient client, string deviceId, string type)
    {
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");
        var ack = await client.PublishAsync($"iot/devices/register/{deviceId}", $$"""{"name":"Test device","type":"{{type}}"}""");
        Assert.True(ack.IsSuccess, $"registration was refused: {ack.ReasonCode} {ack.ReasonString}");
        var response = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        return (deviceId, response.GetProperty("auth_token").GetString()!);
    }

    /// <summary>
    /// A free loopback port for a node or broker to listen on, never handed out twice in a run. Taken below the
    /// ephemeral range (32768 up on Linux), from 10000 to 19999: a port the system picks there may be taken by another
    /// test's outgoing connection between this check and the node binding it. 20000 up is deploy/cluster.sh's
    /// (<see cref="Cluster.ProcessClusterFixture"/>).
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < PortRange; attempt++)
        {
            var port = FirstPort + (int)((uint)Interlocked.Increment(ref _nextPort) % PortRange);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try the next.
            }
        }

        throw new InvalidOperationException($"no free loopback port between {FirstPort} and {FirstPort + PortRange - 1}");
    }

    private const int FirstPort = 10_000;
    private const int PortRange = 10_000;
    private static int _nextPort = Random.Shared.Next(PortRange);
}

/// <summary>Why the node refused a message, as its sender learns it: the contract's error code and its message, and the broker's acknowledgement.</summary>
public sealed record Refusal(string Code, string? Message, MqttClientPublishReasonCode Ack);

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "node";
}
