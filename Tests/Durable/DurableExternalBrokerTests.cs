using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>
/// <c>Mqtt:Mode=External</c> in the durable profile against a real Mosquitto: a reading that fails for a passing fault
/// (PostgreSQL cut off, <c>History:MaxOutageSeconds=0</c>) is left unacknowledged at the broker, which sends it again,
/// and it is stored once when PostgreSQL is back; also after the gateway restarts, from its persistent session.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class DurableExternalBrokerTests(DurableNodeFixture durable)
{
    private const string Reading = """{"value":7.5,"timestamp":1700000000,"auth_token":"TOKEN"}""";

    [Fact]
    public async Task A_reading_failing_for_a_passing_fault_is_not_acknowledged_and_is_stored_once_when_the_fault_passes()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var postgres = durable.CreatePostgresProxy();
        await using var gateway = await ExternalGatewayNode.StartAsync(broker, "durable-gateway", Settings(postgres));
        var (deviceId, device, token) = await ExternalNodeFixture.RegisterExternalDeviceAsync(broker);
        await using var _ = device;

        postgres.Cut();
        try
        {
            var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/pressure", Reading.Replace("TOKEN", token));
            Assert.True(ack.IsSuccess, "the broker takes the device's reading");
            await Task.Delay(TimeSpan.FromSeconds(2)); // the gateway fails it, reconnects, has it again, fails it again
            Assert.Equal(0, durable.CountReadings(deviceId));
        }
        finally
        {
            postgres.Restore();
        }

        await Eventually.TrueAsync(() => durable.CountReadings(deviceId) == 1, "the reading is stored once PostgreSQL is back", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, durable.CountReadings(deviceId));
    }

    [Fact]
    public async Task A_restarted_gateway_resumes_the_messages_it_had_not_acknowledged()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var postgres = durable.CreatePostgresProxy();
        await using var gateway = await ExternalGatewayNode.StartAsync(broker, "restarting-gateway", Settings(postgres));
        var (deviceId, device, token) = await ExternalNodeFixture.RegisterExternalDeviceAsync(broker);
        await using var _ = device;

        postgres.Cut();
        try
        {
            Assert.True((await device.PublishAsync($"iot/devices/data/{deviceId}/pressure", Reading.Replace("TOKEN", token))).IsSuccess);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await gateway.StopAsync();
        }
        finally
        {
            postgres.Restore();
        }

        Assert.Equal(0, durable.CountReadings(deviceId));
        await gateway.StartAsync();
        await Eventually.TrueAsync(() => durable.CountReadings(deviceId) == 1, "the restarted gateway stores the reading it had left unacknowledged", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, durable.CountReadings(deviceId));
    }

    private string[] Settings(TcpProxy postgres)
    {
        var serviceId = $"test-external-{Guid.NewGuid():N}";
        return
        [
            "--Orleans:Clustering=Redis",
            "--Storage:Provider=Redis",
            "--History:Provider=Postgres",
            "--History:MaxOutageSeconds=0",
            $"--Redis:ConnectionString={durable.RedisConnectionString}",
            $"--Postgres:ConnectionString={durable.Through(postgres)}",
            $"--Orleans:ServiceId={serviceId}",
            $"--Orleans:ClusterId={serviceId}",
        ];
    }
}
