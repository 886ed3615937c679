using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// The co-hosted node in the embedded default profile with <c>Mqtt:Mode=External</c>: its gateway is a client of a
/// throw-away Mosquitto running the shipped configuration and ACL, where devices and operators connect. Every device
/// has a broker account named by its id (deploy/mosquitto/README.md). Here the broker authenticates connections and
/// its ACL decides who may publish where; devices and operators prove themselves to the node by the token or key every
/// message carries, and learn of a refusal on their errors topic, as the broker's acknowledgement is its own.
/// <para>
/// Not run on it, as they test what Mosquitto does in this mode: the embedded broker's own connection handling
/// (PacketLimitTests, SessionTests, ConnectRateTests, TlsTransportTests, ClientCertificateTests), the per-client
/// registration limit of RateLimitTests (the broker hides the client), the bad-input corpus (it asserts each case's
/// PUBACK and sends malformed packets), and presence by connections (PresenceFlowTests, FleetHealthFlowTests: the
/// gateway holds no device's connection here).
/// </para>
/// </summary>
public class ExternalNodeFixture : NodeFixture
{
    /// <summary>How long an accepted message's sender waits to be sure no refusal follows.</summary>
    private static readonly TimeSpan NoRefusalWithin = TimeSpan.FromMilliseconds(300);

    /// <summary>How long a refusal may take to reach the errors topic.</summary>
    private static readonly TimeSpan RefusalWithin = TimeSpan.FromSeconds(5);

    /// <summary>How long a token check waits for a refusal before taking the token as good.</summary>
    private static readonly TimeSpan TokenRefusalWithin = TimeSpan.FromSeconds(1.5);

    private readonly ConcurrentDictionary<string, bool> _accounts = new(StringComparer.Ordinal);
    private MosquittoBroker? _broker;

    public MosquittoBroker Broker => _broker ?? throw new InvalidOperationException("the broker is not started");

    public override int MqttPort => Broker.Port;

    protected override IEnumerable<string> ExtraArguments => GatewayArguments(Broker, "gateway-test");

    public override async Task InitializeAsync()
    {
        _broker = await MosquittoBroker.StartAsync((OperatorName, OperatorKey));
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    public override async Task<TestMqttClient> ConnectOperatorAsync()
    {
        // A client id of its own: Mosquitto lets one connection per client id live, and tests hold several operators.
        var client = await TestMqttClient.ConnectAsync(Broker.Port, OperatorName, OperatorKey, clientId: $"ops-{Guid.NewGuid():N}");
        client.AttachedToken = OperatorKey;
        return client;
    }

    /// <summary>MQTT 5 as well: MQTT 3.1.1 has no user properties, and only the auth_token one carries an operator's key here.</summary>
    public override Task<TestMqttClient> ConnectLegacyOperatorAsync() => ConnectOperatorAsync();

    /// <summary>The device's own broker account: open registration lets whoever the broker lets publish there register.</summary>
    public override async Task<TestMqttClient> ConnectProvisioningAsync(string deviceId)
    {
        await EnsureAccountAsync(deviceId);
        return await TestMqttClient.ConnectAsync(Broker.Port, deviceId, $"broker-{deviceId}");
    }

    /// <summary>The device's broker account, and its token on every message.</summary>
    public override async Task<TestMqttClient> ConnectDeviceAsync(string deviceId, string token)
    {
        var client = await ConnectProvisioningAsync(deviceId);
        client.AttachedToken = token;
        return client;
    }

    /// <summary>Whether a heartbeat carrying the token is refused on the device's errors topic (unauthorized, or not registered any more).</summary>
    public override async Task<bool> TokenAcceptedAsync(string deviceId, string token)
    {
        await using var client = await ConnectDeviceAsync(deviceId, token);
        var topic = $"iot/devices/heartbeat/{deviceId}";
        var (refusals, _) = await WatchRefusalsAsync(client, topic, null);
        var before = client.UnclaimedOn(refusals);
        var ack = await client.PublishAsync(topic, "{}");
        Assert.True(ack.IsSuccess, $"the broker refused the heartbeat: {ack.ReasonCode}");
        try
        {
            var error = await client.PeekJsonAsync(refusals, before, TokenRefusalWithin);
            Assert.Contains(error.GetProperty("code").GetString(), new[] { "unauthorized", "not_registered" });
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    /// <summary>
    /// The broker acknowledges, and no refusal reaches the sender: on a device's route none reaches its errors topic for
    /// a moment; on a route that names no device the reply on the Response Topic is no error.
    /// </summary>
    public override async Task AcceptedAsync(TestMqttClient client, string topic, byte[] payload, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var (refusals, publishing) = await WatchRefusalsAsync(client, topic, configure);
        var before = client.UnclaimedOn(refusals);
        var ack = await client.PublishAsync(topic, payload, configure: publishing);
        Assert.True(ack.IsSuccess, $"the broker refused {topic}: {ack.ReasonCode}");
        if (!IsErrorsTopic(refusals))
        {
            var reply = await client.PeekJsonAsync(refusals, before, RefusalWithin);
            Assert.False(reply.ValueKind == JsonValueKind.Object && reply.TryGetProperty("code", out _), $"{topic} was refused: {reply}");
            return;
        }

        await Task.Delay(NoRefusalWithin);
        Assert.True(client.UnclaimedOn(refusals) == before, $"{topic} was refused: {(before < client.UnclaimedOn(refusals) ? await client.PeekJsonAsync(refusals, before, TimeSpan.Zero) : default)}");
    }

    /// <summary>
    /// The refusal where the gateway reports it (<see cref="WatchRefusalsAsync"/>), left there for the test to read as
    /// well; or the broker's own, for a topic its ACL does not let the sender publish on, which is what the gateway
    /// refuses as <c>forbidden</c> in the embedded mode and here never sees.
    /// </summary>
    public override async Task<Refusal> RefusedAsync(TestMqttClient client, string topic, byte[] payload, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var (refusals, publishing) = await WatchRefusalsAsync(client, topic, configure);
        var before = client.UnclaimedOn(refusals);
        var ack = await client.PublishAsync(topic, payload, configure: publishing);
        if (ack.ReasonCode == MqttClientPublishReasonCode.NotAuthorized)
        {
            return new Refusal("forbidden", null, ack.ReasonCode);
        }

        Assert.True(ack.IsSuccess, $"the broker refused {topic}: {ack.ReasonCode}");
        var error = await client.PeekJsonAsync(refusals, before, RefusalWithin);
        Assert.True(error.TryGetProperty("code", out var code), $"{topic} was accepted: {error}");
        return new Refusal(code.GetString()!, error.GetProperty("message").GetString(), ack.ReasonCode);
    }

    /// <summary>The broker's acknowledgement is its own: it took the message, which the gateway then refused.</summary>
    public override void AssertRefusalAck(Refusal refusal, MqttClientPublishReasonCode expected) =>
        Assert.Equal(MqttClientPublishReasonCode.Success, refusal.Ack);

    /// <summary>The gateway subscribes only to its routes, and the ACL lets devices publish only there: the broker refuses the rest.</summary>
    public override string UnroutedTopicCode => "forbidden";

    /// <summary>The broker acknowledges the operator's message: the gateway's refusal goes to the broker, and the reply says it.</summary>
    public override void AssertRefusedAck(MqttClientPublishResult ack, string code) =>
        Assert.True(ack.IsSuccess, $"the broker refused the operator's message: {ack.ReasonCode}");

    private async Task EnsureAccountAsync(string deviceId)
    {
        if (_accounts.TryAdd(deviceId, true))
        {
            await Broker.AddAccountsAsync((deviceId, $"broker-{deviceId}"));
        }
    }

    /// <summary>
    /// Subscribes the sender to where the gateway tells it of a refusal of a message on <paramref name="topic"/>, and
    /// returns that topic and how to publish: the errors topic of the device the route names (<c>register/error</c> for a
    /// registration); for a route that names none (the operators' alert routes), only the Response Topic, the sender's own
    /// or, when it names none, one added here.
    /// </summary>
    private async Task<(string Topic, Action<MqttApplicationMessageBuilder>? Configure)> WatchRefusalsAsync(
        TestMqttClient client, string topic, Action<MqttApplicationMessageBuilder>? configure)
    {
        var match = Services.GetRequiredService<TopicRouter>().Match(topic);
        string refusals;
        if (match.Values["device_id"] is { } deviceId)
        {
            refusals = match.Route?.Name == DeviceRoutes.Register ? $"iot/devices/{deviceId}/register/error" : $"iot/devices/{deviceId}/errors";
        }
        else
        {
            var probe = new MqttApplicationMessageBuilder().WithTopic(topic);
            configure?.Invoke(probe);
            if (probe.Build().ResponseTopic is { Length: > 0 } named)
            {
                refusals = named;
            }
            else
            {
                refusals = $"test-replies/{Guid.NewGuid():N}";
                var callers = configure;
                configure = b =>
                {
                    b.WithResponseTopic(refusals);
                    callers?.Invoke(b);
                };
            }
        }

        await client.SubscribeAsync(refusals);
        return (refusals, configure);
    }

    private static bool IsErrorsTopic(string topic) => topic.StartsWith("iot/devices/", StringComparison.Ordinal);

    /// <summary>The settings that make a node's gateway a client of <paramref name="broker"/> under <paramref name="clientId"/>.</summary>
    public static string[] GatewayArguments(MosquittoBroker broker, string clientId) =>
    [
        "--Mqtt:Mode=External",
        "--Mqtt:External:Host=127.0.0.1",
        $"--Mqtt:External:Port={broker.Port}",
        $"--Mqtt:External:ClientId={clientId}",
        $"--Mqtt:External:Username={MosquittoBroker.GatewayUser}",
        $"--Mqtt:External:Password={MosquittoBroker.GatewayPassword}",
        "--Mqtt:External:ReconnectDelaySeconds=0.1",
        "--Mqtt:External:MaxReconnectDelaySeconds=1",
    ];

    /// <summary>A new device's broker account (user name = its id), and a connection under it.</summary>
    public static async Task<TestMqttClient> ConnectNewDeviceAsync(MosquittoBroker broker, string deviceId)
    {
        var password = $"broker-{deviceId}";
        await broker.AddAccountsAsync((deviceId, password));
        return await TestMqttClient.ConnectAsync(broker.Port, deviceId, password);
    }

    /// <summary>
    /// A new device connects under its broker account and registers itself; returns its connection and the token the
    /// gateway sent it on <c>register/response</c>.
    /// </summary>
    public Task<(string DeviceId, TestMqttClient Device, string Token)> RegisterExternalDeviceAsync() => RegisterExternalDeviceAsync(Broker);

    /// <inheritdoc cref="RegisterExternalDeviceAsync()"/>
    public static async Task<(string DeviceId, TestMqttClient Device, string Token)> RegisterExternalDeviceAsync(MosquittoBroker broker)
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        var device = await ConnectNewDeviceAsync(broker, deviceId);
        await device.SubscribeAsync($"iot/devices/{deviceId}/#");
        var ack = await device.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"Test device","type":"sensor"}""");
        Assert.True(ack.IsSuccess, $"the broker refused the registration: {ack.ReasonCode} {ack.ReasonString}");
        var response = await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        return (deviceId, device, response.GetProperty("auth_token").GetString()!);
    }
}

[CollectionDefinition(Name)]
public sealed class ExternalNodeCollection : ICollectionFixture<ExternalNodeFixture>
{
    public const string Name = "external-node";
}
