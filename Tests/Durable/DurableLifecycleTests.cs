using Microsoft.Extensions.DependencyInjection;

namespace Orleans.IoT.Tests.Durable;

/// <summary>Commands, configuration, firmware updates and their audit in the durable profile: they survive a restart of the node.</summary>
[Collection(DurableCollection.Name)]
public sealed class DurableLifecycleTests(DurableNodeFixture node)
{
    [Fact]
    public async Task Commands_configuration_firmware_and_their_audit_survive_a_restart_of_the_node()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        await using (var operatorClient = await node.ConnectOperatorAsync())
        {
            Assert.True((await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"c1"}""", qos: 2)).IsSuccess);
            Assert.True((await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/config", """{"config":{"interval":30},"config_id":"k1"}""", qos: 2)).IsSuccess);
            Assert.True((await operatorClient.PublishAsync(
                $"iot/devices/firmware/{deviceId}/update",
                $$"""{"version":"2.0","url":"https://firmware.example/2.0.bin","checksum":"{{new string('a', 64)}}","update_id":"u1"}""",
                qos: 2)).IsSuccess);
        }

        await using (var device = await node.ConnectAsync(deviceId, token))
        {
            Assert.True((await device.PublishAsync($"iot/devices/control/{deviceId}/command/c1/result", """{"status":"delivered"}""")).IsSuccess);
            Assert.True((await device.PublishAsync($"iot/devices/control/{deviceId}/config/k1/result", """{"status":"applied"}""")).IsSuccess);
            Assert.True((await device.PublishAsync($"iot/devices/firmware/{deviceId}/update/u1/progress", """{"state":"downloading","progress":10}""")).IsSuccess);
        }

        await node.RestartAsync();

        var grain = node.Grains.GetGrain<IDeviceGrain>(deviceId);
        Assert.Equal(CommandStates.Delivered, (await grain.GetCommand("c1"))!.State);
        var twin = await grain.GetConfig();
        Assert.Equal((1, 1), (twin.DesiredVersion, twin.ReportedVersion));
        Assert.Equal(FirmwareStates.Downloading, (await grain.GetFirmwareUpdate("u1"))!.State);
        var audit = node.Services.GetRequiredService<ILifecycleAuditReader>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        IReadOnlyList<LifecycleAuditEntry> entries;
        while ((entries = await audit.ReadAsync(deviceId, started, DateTimeOffset.UtcNow.AddMinutes(1), 100, CancellationToken.None)).Count < 6)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the audit holds every state ({entries.Count} of 6 so far)");
            await Task.Delay(200);
        }

        Assert.Equal(
            ["command c1 sent", "config k1 sent", "firmware u1 sent", "command c1 delivered", "config k1 applied", "firmware u1 downloading"],
            entries.Select(e => $"{e.Kind} {e.Id} {e.State}"));
    }

    [Fact]
    public async Task A_device_reconnected_after_a_restart_is_sent_a_command_before_it_publishes_anything()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using (var before = await node.ConnectAsync(deviceId, token))
        {
            // Heard through this run's gateway, whose id the grain keeps; the node then restarts with a new gateway id.
            Assert.True((await before.PublishAsync($"iot/devices/heartbeat/{deviceId}", """{"battery_level":90}""")).IsSuccess);
            await node.RestartAsync();
        }

        await using var device = await node.ConnectAsync(deviceId, token);
        await device.SubscribeAsync($"iot/devices/{deviceId}/commands/+");
        await using (var operatorClient = await node.ConnectOperatorAsync())
        {
            Assert.True((await operatorClient.PublishAsync($"iot/devices/control/{deviceId}/command", """{"command":"reboot","command_id":"after-restart"}""", qos: 2)).IsSuccess);
        }

        var command = await device.WaitForJsonAsync($"iot/devices/{deviceId}/commands/after-restart");
        Assert.Equal("reboot", command.GetProperty("command").GetString());
    }
}
