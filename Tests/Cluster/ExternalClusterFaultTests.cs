using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// The multi-process cluster behind Mosquitto (<c>Mqtt:Mode=External</c>): devices send to the broker with their token
/// in the payload, and both gateways share the routes' subscriptions. Mosquitto acknowledges a reading on receipt, so
/// a device is served when its readings are stored, and every reading Mosquitto acknowledged must be stored once.
/// The broker's disconnects are not seen by the cluster, so presence is checked online only.
/// </summary>
[Collection(ExternalProcessClusterCollection.Name)]
public sealed class ExternalClusterFaultTests(ExternalProcessClusterFixture cluster, ITestOutputHelper output) : ClusterFaults(cluster, output)
{
    private readonly SemaphoreSlim _registering = new(1, 1);

    protected override bool SeesDisconnects => false;

    [Fact]
    public Task A_killed_gateway() => SurviveAsync(async () =>
    {
        // A killed replica's share of the messages waits in its persistent session until it is back under its client id.
        await Cluster.KillAsync(ProcessClusterFixture.Gateway1);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await Cluster.StartAsync(ProcessClusterFixture.Gateway1);
        return _ => Task.CompletedTask;
    });

    protected override async Task<ResendingDevice> NewDeviceAsync(int index)
    {
        // One at a time: each new account makes Mosquitto read its password file again (SIGHUP).
        await _registering.WaitAsync();
        try
        {
            var broker = cluster.Broker;
            var (deviceId, registration, token) = await ExternalNodeFixture.RegisterExternalDeviceAsync(broker);
            await registration.DisposeAsync();
            return new ResendingDevice(deviceId, $"broker-{deviceId}", token, [broker.Port], 0);
        }
        finally
        {
            _registering.Release();
        }
    }
}
