using MQTTnet;
using MQTTnet.Formatter;

namespace Orleans.IoT.Tests.EndToEnd;

[Collection(NodeCollection.Name)]
public sealed class RegistrationTests(NodeFixture node)
{
    private const string SeedRegistration = """
        {"name":"Temperature Sensor 001","type":"temperature_sensor","firmware_version":"1.2.3","hardware_version":"2.1",
         "location":"Building A, Room 101","capabilities":["temperature","humidity","battery_monitoring"]}
        """;

    [Fact]
    public async Task A_seed_device_registers_then_sends_data_with_its_payload_token()
    {
        var deviceId = $"device_{Guid.NewGuid():N}";
        await using var device = await node.ConnectAsync();
        await using var analytics = await node.ConnectOperatorAsync();
        await analytics.SubscribeAsync("analytics/sensor_data/temperature");
        await device.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        var registered = await device.PublishAsync($"iot/devices/register/{deviceId}", SeedRegistration);
        Assert.True(registered.IsSuccess, registered.ReasonString);
        var response = await device.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        Assert.Equal("registered", response.GetProperty("status").GetString());
        Assert.Equal(deviceId, response.GetProperty("device_id").GetString());
        Assert.Equal(60, response.GetProperty("server_config").GetProperty("heartbeat_interval").GetInt32());
        Assert.Equal(300, response.GetProperty("server_config").GetProperty("data_reporting_interval").GetInt32());
        Assert.Equal(3, response.GetProperty("server_config").GetProperty("max_retry_attempts").GetInt32());
        Assert.True(response.GetProperty("timestamp").GetDouble() > 1_700_000_000);
        var token = response.GetProperty("auth_token").GetString();

        var sent = await device.PublishAsync(
            $"iot/devices/data/{deviceId}/temperature",
            $$"""{"value":23.5,"unit":"celsius","quality":"good","timestamp":1694678400,"auth_token":"{{token}}"}""");
        Assert.True(sent.IsSuccess, sent.ReasonString);

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
        await using var client = await node.ConnectAsync();
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/error");

        var ack = await client.PublishAsync($"iot/devices/register/{deviceId}", """{"type":"sensor"}""");

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, ack.ReasonCode);
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
        await using var client = await node.ConnectAsync();
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/error");
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        var stolen = await client.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"Impostor","type":"sensor"}""");
        Assert.False(stolen.IsSuccess);
        var error = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/error");
        Assert.Equal("already_registered", error.GetProperty("code").GetString());

        var renewed = await client.PublishAsync($"iot/devices/register/{deviceId}", $$"""{"name":"Renamed","type":"sensor","auth_token":"{{token}}"}""");
        Assert.True(renewed.IsSuccess, renewed.ReasonString);
        var response = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        var newToken = response.GetProperty("auth_token").GetString();
        Assert.NotEqual(token, newToken);

        await using var withOldToken = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, withOldToken.ConnectResult.ResultCode);
        await using var withNewToken = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, newToken, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.Success, withNewToken.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task Unregistering_revokes_the_token()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using (var device = await node.ConnectAsync(deviceId, token))
        {
            await device.SubscribeAsync($"iot/devices/{deviceId}/unregister/response");
            var ack = await device.PublishAsync($"iot/devices/unregister/{deviceId}", "{}");
            Assert.True(ack.IsSuccess, ack.ReasonString);
            var response = await device.WaitForJsonAsync($"iot/devices/{deviceId}/unregister/response");
            Assert.Equal("unregistered", response.GetProperty("status").GetString());
            Assert.Equal(deviceId, response.GetProperty("device_id").GetString());

            var after = await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}");
            Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, after.ReasonCode);
            Assert.StartsWith("not_registered", after.ReasonString);
        }

        await using var again = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, again.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task An_operator_may_unregister_any_device()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();

        var ack = await operatorClient.PublishAsync($"iot/devices/unregister/{deviceId}", "{}");

        Assert.True(ack.IsSuccess, ack.ReasonString);
        await using var device = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, device.ConnectResult.ResultCode);
    }

    [Fact]
    public async Task A_mqtt_3_client_without_a_client_id_can_register()
    {
        var deviceId = $"dev-{Guid.NewGuid():N}";
        await using var client = await TestMqttClient.ConnectAsync(node.MqttPort, clientId: string.Empty, protocol: MqttProtocolVersion.V311);
        await client.SubscribeAsync($"iot/devices/{deviceId}/register/response");

        await client.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"Old client","type":"sensor"}""");

        var response = await client.WaitForJsonAsync($"iot/devices/{deviceId}/register/response");
        Assert.Equal("registered", response.GetProperty("status").GetString());
    }
}
