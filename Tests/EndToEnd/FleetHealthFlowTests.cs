using Microsoft.Extensions.DependencyInjection;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// The fleet health report of a node of its own (embedded profile): devices registered over MQTT appear in it as their
/// presence and registration change.
/// </summary>
public sealed class FleetHealthFlowTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_device_registered_over_mqtt_that_went_offline_is_counted_offline_and_listed_silent_longest()
    {
        var type = $"fleet-{Guid.NewGuid():N}";
        var (silentId, silentToken) = await node.RegisterDeviceAsync(type: type);
        var (onlineId, _) = await node.RegisterDeviceAsync(type: type);
        var (unregisteredId, unregisteredToken) = await node.RegisterDeviceAsync(type: type);
        await using (var device = await node.ConnectAsync(unregisteredId, unregisteredToken))
        {
            await device.SubscribeAsync($"iot/devices/{unregisteredId}/unregister/response");
            Assert.True((await device.PublishAsync($"iot/devices/unregister/{unregisteredId}", "{}")).IsSuccess);
            await device.WaitForJsonAsync($"iot/devices/{unregisteredId}/unregister/response");
        }

        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/presence/{silentId}");
        await (await node.ConnectAsync(silentId, silentToken)).DisposeAsync(); // MQTT DISCONNECT: offline at once
        await operatorClient.WaitForJsonAsync($"iot/events/presence/{silentId}");

        var reader = node.Services.GetRequiredService<IFleetHealthReader>();
        var health = await WaitForAsync(reader, h => h.ByType.GetValueOrDefault(type)?.Offline == 1);

        Assert.Equal(new FleetStatusCounts(Online: 1, Offline: 1, Unregistered: 1), health.ByType[type]);
        var silent = Assert.Single(health.SilentLongest, d => d.Type == type);
        Assert.Equal((silentId, "Test device"), (silent.DeviceId, silent.Name));
        Assert.NotNull(silent.LastSeen);
        Assert.InRange(DateTimeOffset.UtcNow - silent.LastSeen.Value, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(health.SilentLongest, d => d.DeviceId == onlineId || d.DeviceId == unregisteredId);
        Assert.Equal(health.ByStatus.Total, health.TotalDevices);
        Assert.Equal(AlertSeverities.All.Order(), health.ActiveAlertsBySeverity.Keys.Order());
    }

    private static async Task<FleetHealth> WaitForAsync(IFleetHealthReader reader, Func<FleetHealth, bool> condition)
    {
        var deadline = DateTime.UtcNow + Settled;
        while (true)
        {
            var health = await reader.ReadAsync(FleetHealth.MaxSilentLongest, CancellationToken.None);
            if (condition(health) || DateTime.UtcNow > deadline)
            {
                return health;
            }

            await Task.Delay(50);
        }
    }
}
