using MQTTnet;
using Npgsql;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

[Collection(DurableCollection.Name)]
public sealed class DurableProfileTests(DurableNodeFixture node)
{
    [Fact]
    public async Task A_reading_is_stored_in_postgres_with_every_field()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var ack = await device.PublishAsync(
            $"iot/devices/data/{deviceId}/temperature",
            """{"value":23.5,"unit":"celsius","quality":"estimated","timestamp":1694678400.123456}""");

        Assert.True(ack.IsSuccess, ack.ReasonString);
        await using var connection = node.OpenDatabase();
        await using var command = new NpgsqlCommand(
            "SELECT sensor_type, ts, value, unit, quality FROM sensor_readings WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        await using var row = await command.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync(), "the acknowledged reading is in PostgreSQL");
        Assert.Equal("temperature", row.GetString(0));
        Assert.Equal(new DateTime(2023, 9, 14, 8, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560), row.GetDateTime(1));
        Assert.Equal(23.5, row.GetDouble(2));
        Assert.Equal("celsius", row.GetString(3));
        Assert.Equal("estimated", row.GetString(4));
        Assert.False(await row.ReadAsync());
    }

    [Fact]
    public async Task A_reading_resent_with_the_same_timestamp_is_stored_once()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/humidity", """{"value":40,"timestamp":1694678400}""")).IsSuccess);
        }

        Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/humidity", """{"value":41,"timestamp":1694678460}""")).IsSuccess);
        Assert.Equal(2, node.CountReadings(deviceId));
    }

    [Fact]
    public async Task Registration_tokens_and_written_behind_metrics_survive_a_restart_of_the_node()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using (var device = await node.ConnectAsync(deviceId, token))
        {
            Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", """{"battery_level":77}""")).IsSuccess);
        }

        await node.RestartAsync();

        var restored = await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot();
        Assert.True(restored.Registered);
        Assert.Equal(77, restored.Metrics.BatteryLevel);

        await using var again = await TestMqttClient.ConnectAsync(node.MqttPort, deviceId, token, throwOnRefusal: false);
        Assert.Equal(MqttClientConnectResultCode.Success, again.ConnectResult.ResultCode);
        Assert.True((await again.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":21}""")).IsSuccess);
        await using var provisioning = await node.ConnectAsync();
        await provisioning.SubscribeAsync($"iot/devices/{deviceId}/register/error");
        await provisioning.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"Impostor","type":"sensor"}""");
        Assert.Equal("already_registered", (await provisioning.WaitForJsonAsync($"iot/devices/{deviceId}/register/error")).GetProperty("code").GetString());

        await using var connection = node.OpenDatabase();
        await using var command = new NpgsqlCommand("SELECT name, active FROM devices WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        await using var row = await command.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync(), "the device is in the catalog");
        Assert.Equal("Test device", row.GetString(0));
        Assert.True(row.GetBoolean(1));
    }

    [Fact]
    public async Task A_reading_is_acknowledged_only_after_it_is_committed()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        const string reading = """{"value":99.5,"timestamp":1694678400}""";
        var topic = $"iot/devices/data/{deviceId}/pressure";
        await using var device = await node.ConnectAsync(deviceId, token);

        Task<MqttClientPublishResult> publish;
        node.PostgresProxy.Cut();
        try
        {
            // While PostgreSQL is away the reading waits in the history writer, and so does its acknowledgement.
            publish = device.PublishAsync(topic, reading);
            var first = await Task.WhenAny(publish, Task.Delay(TimeSpan.FromSeconds(3)));
            Assert.False(first == publish, "a reading that could not be committed must not be acknowledged");
            Assert.Equal(0, node.CountReadings(deviceId));
        }
        finally
        {
            node.PostgresProxy.Restore();
        }

        var ack = await publish.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(ack.IsSuccess, $"the reading is acknowledged once PostgreSQL is back: {ack.ReasonCode} {ack.ReasonString}");
        Assert.Equal(1, node.CountReadings(deviceId));
        Assert.True(device.IsConnected);

        Assert.True((await device.PublishAsync(topic, reading)).IsSuccess);
        Assert.Equal(1, node.CountReadings(deviceId));
    }
}
