namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// The co-hosted node in the embedded default profile with <c>Mqtt:Mode=External</c>: its gateway is a client of a
/// throw-away Mosquitto running the shipped configuration and ACL, where devices and operators connect. Every device
/// has a broker account named by its id (deploy/mosquitto/README.md).
/// </summary>
public sealed class ExternalNodeFixture : NodeFixture
{
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
