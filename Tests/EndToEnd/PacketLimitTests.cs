using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using MQTTnet;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;
using Orleans.IoT.Tests.Transport;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>The broker's packet limit: Mqtt:MaxPayloadBytes (4096 here) + 8 KiB, whole packet.</summary>
[Collection(NodeCollection.Name)]
public sealed class PacketLimitTests(NodeFixture node)
{
    private const int MaxPacketBytes = NodeFixture.MaxPayloadBytes + MqttOptions.PacketHeadroomBytes;
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_publish_claiming_256_MiB_closes_its_connection_unread_and_no_other()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var bystander = await node.ConnectAsync(deviceId, token);
        using var attacker = await ConnectRawAsync();
        await SendAsync(attacker, RawMqtt.Connect5($"raw-{Guid.NewGuid():N}"));
        var connAck = await ReadPacketAsync(attacker);
        Assert.Equal(0x20, connAck[0]);
        Assert.Equal(0x00, connAck[3]); // reason code: success

        var clock = Stopwatch.StartNew();
        await SendAsync(attacker, RawMqtt.PublishHeader(RawMqtt.LargestRemainingLength)); // the fixed header only, no body
        var last = await ReadToEndAsync(attacker);

        Assert.True(clock.Elapsed < Promptly, $"closed after {clock.Elapsed}");
        Assert.Equal(RawMqtt.DisconnectPacketTooLarge, last); // MQTT 5: DISCONNECT 0x95 Packet too large, then the end
        Assert.True(bystander.IsConnected);
        var ack = await bystander.PublishAsync($"iot/devices/data/{deviceId}/temperature", """{"value":21.5}""");
        Assert.True(ack.IsSuccess, ack.ReasonString);
    }

    [Fact]
    public async Task A_connect_claiming_a_huge_length_is_closed_unread()
    {
        long refused = 0;
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && instrument.Name == "orleans_iot.gateway.packets.too_large")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref refused, value));
        meters.Start();
        using var attacker = await ConnectRawAsync();
        var clock = Stopwatch.StartNew();

        await SendAsync(attacker, [0x10, 0xFF, 0xFF, 0xFF, 0x7F]);
        var received = await ReadToEndAsync(attacker);

        Assert.True(clock.Elapsed < Promptly, $"closed after {clock.Elapsed}");
        Assert.Empty(received); // no protocol version yet, so no reply
        Assert.True(Interlocked.Read(ref refused) >= 1, "counted in packets.too_large");
    }

    [Fact]
    public async Task The_connack_advertises_the_maximum_packet_size()
    {
        await using var client = await node.ConnectAsync();

        Assert.Equal((uint)MaxPacketBytes, client.ConnectResult.MaximumPacketSize);
    }

    [Fact]
    public async Task A_payload_over_the_payload_limit_but_within_the_packet_limit_is_refused_as_payload_too_large()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);

        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/blob", new byte[MaxPacketBytes - 200]);

        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, ack.ReasonCode);
        Assert.StartsWith("payload_too_large", ack.ReasonString);
        Assert.True(device.IsConnected);
    }

    private async Task<Socket> ConnectRawAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, node.MqttPort));
        return socket;
    }

    private static async Task SendAsync(Socket socket, byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(Promptly);
        await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
    }

    /// <summary>One packet whose Remaining Length fits one byte.</summary>
    private static async Task<byte[]> ReadPacketAsync(Socket socket)
    {
        var header = await ReadExactlyAsync(socket, 2);
        Assert.True(header[1] < 0x80, "a short packet");
        return [.. header, .. await ReadExactlyAsync(socket, header[1])];
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, "the connection ended early");
            read += n;
        }

        return buffer;
    }

    /// <summary>What arrives until the server ends the connection (a close or a reset); fails after a few seconds.</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    return [.. received];
                }

                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            return [.. received];
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the server kept the connection open; received {received.Count} bytes");
        }
    }
}
