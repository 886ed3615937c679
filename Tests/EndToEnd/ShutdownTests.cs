using MQTTnet;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>Ctrl-C on the embedded default drains: messages being handled are acknowledged, pending state is written, no error is logged.</summary>
public sealed class ShutdownTests
{
    private const int Devices = 20;

    [Fact]
    public async Task Ctrl_C_under_load_acknowledges_what_is_in_flight_and_logs_no_error()
    {
        await using var node = await NodeProcess.StartAsync([]);
        var devices = new List<(string DeviceId, TestMqttClient Client)>();
        for (var i = 0; i < Devices; i++)
        {
            devices.Add(await node.ConnectNewDeviceAsync());
        }

        // Pending write-behind state (heartbeat metrics) on every grain, and readings flowing.
        foreach (var (deviceId, client) in devices)
        {
            Assert.True((await client.PublishAsync($"iot/devices/heartbeat/{deviceId}", """{"battery_level":50}""")).IsSuccess);
        }

        using var stop = new CancellationTokenSource();
        var senders = devices.Select(device => SendUntilClosedAsync(device.DeviceId, device.Client, stop.Token)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));

        node.Interrupt();

        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(40)), "the node stops within its shutdown timeout");
        await stop.CancelAsync();
        var outcomes = await Task.WhenAll(senders);
        Assert.Equal(0, node.ExitCode);
        Assert.Empty(node.Errors());
        Assert.True(outcomes.Sum(o => o.Acknowledged) > 0, "readings were acknowledged before the stop");
        Assert.All(outcomes, o => Assert.Equal(0, o.Refused));
        foreach (var (_, client) in devices)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>Publishes readings one after another until the node closes the connection; counts how each ended.</summary>
    private static async Task<(int Acknowledged, int Refused)> SendUntilClosedAsync(string deviceId, TestMqttClient client, CancellationToken stop)
    {
        var acknowledged = 0;
        var refused = 0;
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600.0;
        try
        {
            while (!stop.IsCancellationRequested && client.IsConnected)
            {
                timestamp += 0.001;
                var ack = await client.PublishAsync($"iot/devices/data/{deviceId}/temperature", $$"""{"value":21.5,"timestamp":{{timestamp}}}""");
                if (ack.IsSuccess)
                {
                    acknowledged++;
                }
                else
                {
                    refused++;
                }
            }
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Exceptions.MqttClientNotConnectedException or OperationCanceledException)
        {
            // Closed by the stopping node without an acknowledgement: the device would send it again elsewhere.
        }

        return (acknowledged, refused);
    }
}
