namespace Orleans.IoT.Tests.Grains;

/// <summary>The gateway directory grain (README "Several gateways").</summary>
[Collection(ClusterCollection.Name)]
public sealed class GatewayDirectoryTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_directory_that_moved_still_knows_its_gateways_and_forgets_those_that_left()
    {
        var directory = cluster.Client.GetGrain<IGatewayDirectoryGrain>(IGatewayDirectoryGrain.Key);
        var observer = cluster.Client.CreateObjectReference<IGatewayObserver>(new SilentGateway());
        var staying = new GatewayRegistration($"staying-{Guid.NewGuid():N}", observer, FleetInterest.None);
        var leaving = new GatewayRegistration($"leaving-{Guid.NewGuid():N}", observer, FleetInterest.None);
        await directory.Register(staying);
        await directory.Register(leaving);
        await directory.Unregister(leaving.Id);

        // As when its silo dies: a new activation, with what was stored.
        await directory.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        var gateways = await directory.GetGateways();
        Assert.Contains(staying, gateways);
        Assert.DoesNotContain(gateways, g => g.Id == leaving.Id);
        await directory.Unregister(staying.Id);
    }

    internal sealed class SilentGateway : IGatewayObserver
    {
        public Task SendCommand(CommandStatus command) => Task.CompletedTask;

        public Task SendConfig(ConfigStatus update) => Task.CompletedTask;

        public Task SendFirmwareUpdate(FirmwareStatus update) => Task.CompletedTask;

        public Task ReadingRecorded(SensorReading reading) => Task.CompletedTask;

        public Task PresenceChanged(PresenceChange change) => Task.CompletedTask;

        public Task CommandChanged(CommandStatus command) => Task.CompletedTask;

        public Task ConfigChanged(ConfigStatus update) => Task.CompletedTask;

        public Task FirmwareChanged(FirmwareStatus update) => Task.CompletedTask;

        public Task AlertChanged(Alert alert) => Task.CompletedTask;

        public Task Streamed(StreamedEvent fleetEvent) => Task.CompletedTask;
    }
}
