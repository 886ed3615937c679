using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Tests.Transport;

/// <summary>The channel under MQTTnet's own <see cref="MqttChannelAdapter"/>, as the broker's listener puts them together.</summary>
public sealed class PacketLimitChannelTests
{
    private const int MaxPacketBytes = 1000;

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Packets_within_the_limit_are_read_whatever_sizes_the_stream_delivers(int chunk)
    {
        var publish = MqttFrameTrackerTests.Packet(MaxPacketBytes - 3, 0x30); // QoS 0, 2 length bytes: exactly at the limit
        publish[3] = 0; // topic length 0x00..
        publish[4] = 1; // ..1
        publish[5] = (byte)'t';
        publish[6] = 0; // no properties; the payload is the rest
        var (adapter, channel, stream) = Open([.. RawMqtt.Connect5("c1"), .. publish, 0xC0, 0x00], chunk);

        Assert.IsType<MqttConnectPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.IsType<MqttPublishPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.IsType<MqttPingReqPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.Null(await adapter.ReceivePacketAsync(CancellationToken.None)); // end of stream
        Assert.Equal(0, channel.RefusedPacketBytes);
        Assert.Empty(stream.Written);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    public async Task A_packet_over_the_limit_reads_as_a_closed_connection_and_an_mqtt5_session_is_told_why(int chunk)
    {
        var refusals = 0;
        var (adapter, channel, stream) = Open(
            [.. RawMqtt.Connect5("c1"), .. RawMqtt.PublishHeader(RawMqtt.LargestRemainingLength), .. new byte[64]],
            chunk,
            _ => refusals++);

        Assert.IsType<MqttConnectPacket>(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.Null(await adapter.ReceivePacketAsync(CancellationToken.None));

        Assert.Equal(1, refusals);
        Assert.True(channel.RefusedPacketBytes > MaxPacketBytes);
        Assert.Equal(RawMqtt.DisconnectPacketTooLarge, stream.Written);
        Assert.Equal(0, await channel.ReadAsync(new byte[10], 0, 10, CancellationToken.None));
        Assert.True(stream.Consumed <= RawMqtt.Connect5("c1").Length + 5, "no body byte is read");
    }

    [Fact]
    public async Task A_connect_over_the_limit_closes_without_a_reply()
    {
        var (adapter, channel, stream) = Open([0x10, 0xFF, 0xFF, 0xFF, 0x7F, .. new byte[64]], int.MaxValue);

        Assert.Null(await adapter.ReceivePacketAsync(CancellationToken.None));
        Assert.True(channel.RefusedPacketBytes > MaxPacketBytes);
        Assert.Empty(stream.Written); // the protocol version is not known yet
    }

    [Fact]
    public async Task Reads_that_complete_at_once_allocate_nothing()
    {
        // 2,000 packets of 100 bytes, read in 100-byte reads from a stream that completes every read at once.
        var packet = MqttFrameTrackerTests.Packet(98);
        var input = new MemoryStream(Enumerable.Repeat(packet, 2000).SelectMany(p => p).ToArray());
        var channel = new PacketLimitChannel(input, null, null, null, MaxPacketBytes);
        var buffer = new byte[100];
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(100, await channel.ReadAsync(buffer, 0, 100, CancellationToken.None));
        }

        var completedAtOnce = 0;
        var bytesRead = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            var read = channel.ReadAsync(buffer, 0, 100, CancellationToken.None);
            completedAtOnce += read.IsCompletedSuccessfully ? 1 : 0;
            bytesRead += await read;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, completedAtOnce);
        Assert.Equal(100_000, bytesRead);
        Assert.Equal(0, allocated);
    }

    private static (MqttChannelAdapter Adapter, PacketLimitChannel Channel, ScriptedStream Stream) Open(byte[] input, int chunk, Action<PacketLimitChannel>? refused = null)
    {
        var stream = new ScriptedStream(input, chunk);
        var channel = new PacketLimitChannel(stream, null, null, null, MaxPacketBytes, refused);
        var adapter = new MqttChannelAdapter(channel, new MqttPacketFormatterAdapter(new MqttBufferWriter(4096, 65535)), MqttNetNullLogger.Instance);
        channel.Adapter = adapter;
        return (adapter, channel, stream);
    }

    /// <summary>Delivers its input at most <c>chunk</c> bytes per read, and keeps what is written.</summary>
    private sealed class ScriptedStream(byte[] input, int chunk) : Stream
    {
        private readonly MemoryStream _written = new();

        public int Consumed { get; private set; }

        public byte[] Written => _written.ToArray();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), input.Length - Consumed);
            input.AsSpan(Consumed, n).CopyTo(buffer.AsSpan(offset));
            Consumed += n;
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
