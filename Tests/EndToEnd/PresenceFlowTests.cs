using System.Text;
using System.Text.Json;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// Presence by connections that close (offline_after is the default 600 s here). Embedded only: behind Mosquitto the
/// gateway holds no device's connection, so presence there follows messages and silence alone (<see cref="SilencePresenceFlows"/>).
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class PresenceFlowTests(NodeFixture node)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_device_that_disconnects_is_announced_offline_at_once_as_disconnected()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await WatchPresenceAsync(deviceId);
        var device = await node.ConnectAsync(deviceId, token);
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);

        await device.DisposeAsync(); // MQTT DISCONNECT

        var offline = await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}");
        AssertPresence(offline, deviceId, "offline", "disconnected");
        Assert.Equal("offline", (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Presence);
    }

    [Fact]
    public async Task A_device_whose_connection_drops_is_announced_offline_at_once_as_connection_lost()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await WatchPresenceAsync(deviceId);
        var device = await RawMqttClient.ConnectAsync(node.MqttPort, deviceId, deviceId, token, TimeSpan.FromSeconds(10));
        var heartbeat = await device.PublishAsync(Encoding.UTF8.GetBytes($"iot/devices/heartbeat/{deviceId}"), "{}"u8.ToArray(), TimeSpan.FromSeconds(10));
        Assert.Equal(0, heartbeat.ReasonCode);

        await device.DisposeAsync(); // the socket closes without DISCONNECT

        var offline = await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}");
        AssertPresence(offline, deviceId, "offline", "connection_lost");
    }

    [Fact]
    public async Task A_device_that_reconnects_taking_over_its_session_stays_online()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await WatchPresenceAsync(deviceId);
        await using var first = await node.ConnectAsync(deviceId, token);

        await using var second = await node.ConnectAsync(deviceId, token);
        await first.WaitForDisconnectAsync();
        Assert.True((await second.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);

        await operatorClient.AssertNothingOnAsync($"iot/events/presence/{deviceId}", Quiet);
        Assert.Equal("online", (await node.Grains.GetGrain<IDeviceGrain>(deviceId).GetSnapshot()).Presence);
    }

    [Fact]
    public async Task A_device_that_comes_back_after_a_disconnect_is_announced_online()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await WatchPresenceAsync(deviceId);
        await (await node.ConnectAsync(deviceId, token)).DisposeAsync();
        AssertPresence(await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}"), deviceId, "offline", "disconnected");

        await using var device = await node.ConnectAsync(deviceId, token);
        Assert.True((await device.PublishAsync($"iot/devices/heartbeat/{deviceId}", "{}")).IsSuccess);

        AssertPresence(await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}"), deviceId, "online", "heartbeat");
    }

    private async Task<TestMqttClient> WatchPresenceAsync(string deviceId)
    {
        var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/presence/{deviceId}");
        return operatorClient;
    }

    internal static void AssertPresence(JsonElement presence, string deviceId, string status, string reason)
    {
        Assert.Equal(deviceId, presence.GetProperty("device_id").GetString());
        Assert.Equal(status, presence.GetProperty("status").GetString());
        Assert.Equal(reason, presence.GetProperty("reason").GetString());
        Assert.True(presence.GetProperty("timestamp").GetDouble() > 0);
    }
}

/// <summary>Presence by silence, with offline_after at 2 s, in either broker mode.</summary>
public abstract class SilencePresenceFlows(NodeFixture node)
{
    [Fact]
    public async Task A_connected_device_that_falls_silent_is_announced_offline_after_offline_after()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/presence/{deviceId}");
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");
        var heardAt = DateTime.UtcNow;

        var offline = await operatorClient.WaitForJsonAsync(
            $"iot/events/presence/{deviceId}", TimeSpan.FromSeconds(QuickPresenceNodeFixture.OfflineAfterSeconds + 5));

        PresenceFlowTests.AssertPresence(offline, deviceId, "offline", "timeout");
        Assert.InRange((DateTime.UtcNow - heardAt).TotalSeconds, QuickPresenceNodeFixture.OfflineAfterSeconds - 0.5, QuickPresenceNodeFixture.OfflineAfterSeconds + 5);
        Assert.True(device.IsConnected); // silence, not the connection, made it offline
    }

    [Fact]
    public async Task A_device_that_fell_silent_is_announced_online_by_its_next_heartbeat()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var operatorClient = await node.ConnectOperatorAsync();
        await operatorClient.SubscribeAsync($"iot/events/presence/{deviceId}");
        await using var device = await node.ConnectDeviceAsync(deviceId, token);
        PresenceFlowTests.AssertPresence(
            await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}", TimeSpan.FromSeconds(QuickPresenceNodeFixture.OfflineAfterSeconds + 5)),
            deviceId, "offline", "timeout");

        await node.AcceptedAsync(device, $"iot/devices/heartbeat/{deviceId}", "{}");

        PresenceFlowTests.AssertPresence(await operatorClient.WaitForJsonAsync($"iot/events/presence/{deviceId}"), deviceId, "online", "heartbeat");
        await operatorClient.AssertNothingOnAsync($"iot/events/presence/{deviceId}", TimeSpan.FromMilliseconds(500));
    }
}

public sealed class SilencePresenceFlowTests(QuickPresenceNodeFixture node) : SilencePresenceFlows(node), IClassFixture<QuickPresenceNodeFixture>;

public sealed class ExternalSilencePresenceFlowTests(QuickPresenceExternalNodeFixture node) : SilencePresenceFlows(node), IClassFixture<QuickPresenceExternalNodeFixture>;
