using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>Ctrl-C in the durable profile: readings still waiting for their commit are stored and acknowledged before the node stops.</summary>
[Collection(DurableCollection.Name)]
public sealed class DurableShutdownTests(DurableNodeFixture fixture)
{
    private const int Devices = 10;

    [Fact]
    public async Task Ctrl_C_stores_and_acknowledges_the_readings_in_flight_and_logs_no_error()
    {
        await using var postgres = fixture.CreatePostgresProxy();
        var runId = $"shutdown-{Guid.NewGuid():N}";
        await using var node = await NodeProcess.StartAsync(
        [
            "--Orleans:Clustering=Redis", "--Storage:Provider=Redis", "--History:Provider=Postgres",
            $"--Redis:ConnectionString={fixture.RedisConnectionString}", $"--Postgres:ConnectionString={fixture.Through(postgres)}",
            $"--Orleans:ServiceId={runId}", $"--Orleans:ClusterId={runId}",
        ]);
        var devices = new List<(string DeviceId, TestMqttClient Client)>();
        for (var i = 0; i < Devices; i++)
        {
            devices.Add(await node.ConnectNewDeviceAsync());
        }

        // The readings wait for PostgreSQL, unacknowledged, when Ctrl-C comes.
        postgres.Cut();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60;
        var inFlight = devices.Select(d => d.Client.PublishAsync($"iot/devices/data/{d.DeviceId}/temperature", $$"""{"value":20.5,"timestamp":{{timestamp}}}""")).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.DoesNotContain(inFlight, publish => publish.IsCompleted);
        node.Interrupt();
        await Task.Delay(TimeSpan.FromSeconds(1));
        postgres.Restore();

        var acks = await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(acks, ack => Assert.True(ack.IsSuccess, ack.ReasonString));
        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(40)), "the node stops within its shutdown timeout");
        Assert.Equal(0, node.ExitCode);
        Assert.Empty(node.Errors());
        Assert.All(devices, d => Assert.Equal(1, fixture.CountReadings(d.DeviceId)));
        foreach (var (_, client) in devices)
        {
            await client.DisposeAsync();
        }
    }
}
