using MQTTnet.Formatter;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Registration over MQTT, in either broker mode (<see cref="NodeFixture"/> says how a client proves itself there).</summary>
public abstract class RegistrationFlows(NodeFixture node)
{
    private const string SeedRegistration = """
        {"name":"Temperature Sensor 001","type":"temperature_sensor","firmware_version":"1.2.3","hardware_version":"2.1",
         "location":"Building A, Room 101","capabilities":["temperature","humidity","battery_monitoring"]}
        """;

    protected NodeFixture Node => node;

    [Fact]
    public async Task A_seed_device_registers_then_sends_data_with_its_payload_token()
    {
        var deviceId = $"device_{Guid.NewGuid():N}";
        await using var device = await node.ConnectProvisioningAsync(deviceId);
        await using var analytics = await node.ConnectOperatorAsync();
        await analytics.SubscribeAsync("analytics/sensor_data/temperature");
        await device.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        await node.AcceptedAsync(device, $"iot/devices/register/{deviceId}", SeedRegistration);
        var response = await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        Assert.Equal("registered", response.GetProperty("status").GetString());
        Assert.Equal(deviceId, response.GetProperty("device_id").GetString());
        Assert.Equal(60, response.GetProperty("server_config").GetProperty("heartbeat_interval").GetInt32());
        Assert.Equal(300, response.GetProperty("server_config").GetProperty("data_reporting_interval").GetInt32());
        Assert.Equal(3, response.GetProperty("server_config").GetProperty("max_retry_attempts").GetInt32());
        Assert.True(response.GetProperty("timestamp").GetDouble() > 1_700_000_000);
        var token = response.GetProperty("auth_token").GetString();

        await node.AcceptedAsync(
            device,
            $"iot/devices/data/{deviceId}/temperature",
            $$"""{"value":23.5,"unit":"celsius","quality":"good","timestamp":1694678400,"auth_token":"{{token}}"}""");

        var reading = await analytics.WaitForJsonAsync("analytics/sensor_data/temperature");
        while (reading.GetProperty("device_id").GetString() != deviceId)
        {
            reading = await analytics.WaitForJsonAsync("analytics/sensor_data/temperature");
        }

        Assert.Equal("temperature", reading.GetProperty("sensor_type").GetString());
        Assert.Equal(23.5, reading.GetProperty("value").GetDouble());
        Assert.Equal("celsius", reading.GetProperty("unit").GetString());
        Assert.Equal(1694678400, reading.GetProperty("timestamp").GetDouble());
        Assert.Equal("good", reading.GetProperty("quality").GetString());
        Assert.False(reading.TryGetProperty("auth_token", out _), "the token is never republished");
    }

    [Fact]
    public async Task An_invalid_registration_is_refused_on_register_error()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var client = await node.ConnectProvisioningAsync(deviceId);
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/error");

        var refusal = await node.RefusedAsync(client, $"iot/devices/register/{deviceId}", """{"type":"sensor"}""");

        Assert.Equal("validation_failed", refusal.Code);
        var error = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/error");
        Assert.Equal("error", error.GetProperty("status").GetString());
        Assert.Equal("validation_failed", error.GetProperty("code").GetString());
        Assert.Contains("name", error.GetProperty("message").GetString());
        Assert.True(error.GetProperty("timestamp").GetDouble() > 1_700_000_000);
    }

    [Fact]
    public async Task Registering_an_active_device_again_needs_its_token_and_rotates_it()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var client = await node.ConnectProvisioningAsync(deviceId);
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/error");
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        var stolen = await node.RefusedAsync(client, $"iot/devices/register/{deviceId}", """{"name":"Impostor","type":"sensor"}""");
        Assert.Equal("already_registered", stolen.Code);
        var error = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/error");
        Assert.Equal("already_registered", error.GetProperty("code").GetString());

        await node.AcceptedAsync(client, $"iot/devices/register/{deviceId}", $$"""{"name":"Renamed","type":"sensor","auth_token":"{{token}}"}""");
        var response = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        var newToken = response.GetProperty("auth_token").GetString()!;
        Assert.NotEqual(token, newToken);

        Assert.False(await node.TokenAcceptedAsync(deviceId, token), "the old token is refused");
        Assert.True(await node.TokenAcceptedAsync(deviceId, newToken), "the new token is accepted");
    }

    [Fact]
    public async Task Unregistering_revokes_the_token()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using (var device = await node.ConnectDeviceAsync(deviceId, token))
        {
            await device.SubscribeAsync($"iot/devices/{deviceId}/unregister/response");
            await node.AcceptedAsync(device, $"iot/devices/unregister/{deviceId}", "{}");
            var response = await device.WaitForJsonAsync($"iot/devices/{deviceId}/unregister/response");
            Assert.Equal("unregistered", response.GetProperty("status").GetString());
            Assert.Equal(deviceId, response.GetProperty("device_id").GetString());

            var after = await node.RefusedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");
            Assert.Equal("not_registered", after.Code);
        }

        Assert.False(await node.TokenAcceptedAsync(deviceId, token));
    }

    [Fact]
    public async Task An_operator_may_unregister_any_device()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();

        await node.AcceptedAsync(operatorClient, $"iot/devices/unregister/{deviceId}", "{}");

        Assert.False(await node.TokenAcceptedAsync(deviceId, token));
    }
}

[Collection(NodeCollection.Name)]
public sealed class RegistrationTests(NodeFixture node) : RegistrationFlows(node)
{
    // Embedded only: how the broker takes a client's CONNECT is Mosquitto's part in the external mode.
    [Fact]
    public async Task A_mqtt_3_client_without_a_client_id_can_register()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var client = await TestMqttClient.ConnectAsync(Node.MqttPort, clientId: string.Empty, protocol: MqttProtocolVersion.V311);
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        await client.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"Old client","type":"sensor"}""");

        var response = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        Assert.Equal("registered", response.GetProperty("status").GetString());
    }
}

[Collection(ExternalNodeCollection.Name)]
public sealed class ExternalRegistrationTests(ExternalNodeFixture node) : RegistrationFlows(node);
