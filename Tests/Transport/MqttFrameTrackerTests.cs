using Orleans.IoT.Gateway.Transport;

namespace Orleans.IoT.Tests.Transport;

public sealed class MqttFrameTrackerTests
{
    /// <summary>
    /// A packet of type PUBLISH with <paramref name="remainingLength"/> body bytes, all 0xFF: were a body byte ever
    /// taken for a header byte, it would read as a huge Remaining Length and be refused.
    /// </summary>
    internal static byte[] Packet(int remainingLength, byte firstByte = 0x32)
    {
        var length = EncodeLength(remainingLength);
        var packet = new byte[1 + length.Length + remainingLength];
        packet[0] = firstByte;
        length.CopyTo(packet, 1);
        packet.AsSpan(1 + length.Length).Fill(0xFF);
        return packet;
    }

    internal static byte[] EncodeLength(int value)
    {
        var bytes = new List<byte>();
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            bytes.Add(value > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (value > 0);

        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] packets) => packets.SelectMany(p => p).ToArray();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(127, 1)]
    [InlineData(128, 2)]
    [InlineData(16_383, 2)]
    [InlineData(16_384, 3)]
    [InlineData(2_097_151, 3)]
    [InlineData(2_097_152, 4)]
    public void A_packet_exactly_at_the_limit_passes_and_one_byte_over_is_refused_before_its_body(int remainingLength, int lengthBytes)
    {
        var packet = Packet(remainingLength);
        Assert.Equal(1 + lengthBytes + remainingLength, packet.Length);
        var header = packet.AsSpan(0, 1 + lengthBytes);

        var atLimit = new MqttFrameTracker(packet.Length);
        Assert.True(atLimit.Advance(packet));
        Assert.True(atLimit.Advance(Packet(0))); // and the next packet is framed where it starts

        var overLimit = new MqttFrameTracker(packet.Length - 1);
        Assert.False(overLimit.Advance(header));
        Assert.True(overLimit.Refused);
        Assert.Equal(packet.Length, overLimit.RefusedPacketBytes);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(16_384)]
    [InlineData(2_097_152)]
    public void A_multi_byte_length_is_refused_on_the_byte_that_shows_it_over_the_limit(int remainingLength)
    {
        var packet = Packet(remainingLength);
        var tracker = new MqttFrameTracker(packet.Length - 1);
        var lengthBytes = EncodeLength(remainingLength).Length;

        Assert.True(tracker.Advance(packet.AsSpan(0, 1)));
        for (var i = 1; i < lengthBytes; i++)
        {
            Assert.True(tracker.Advance(packet.AsSpan(i, 1)), $"length byte {i} of {lengthBytes} does not yet show the size");
        }

        Assert.False(tracker.Advance(packet.AsSpan(lengthBytes, 1)));
    }

    [Fact]
    public void A_length_that_already_exceeds_the_limit_is_refused_before_its_last_byte()
    {
        // 0xFF 0xFF 0xFF 0x7F: 268,435,455 bytes, MQTT's largest; 16,383 is known after two bytes.
        var tracker = new MqttFrameTracker(10_000);

        Assert.True(tracker.Advance([0x30, 0xFF]));
        Assert.False(tracker.Advance([0xFF]));
        Assert.Equal(1 + 3 + 16_383, tracker.RefusedPacketBytes);
    }

    [Fact]
    public void A_remaining_length_longer_than_four_bytes_is_refused()
    {
        var tracker = new MqttFrameTracker(int.MaxValue);

        Assert.True(tracker.Advance([0x30, 0x80, 0x80, 0x80]));
        Assert.False(tracker.Advance([0x80]));
    }

    [Fact]
    public void Several_packets_in_one_read_are_each_framed()
    {
        var stream = Concat(Packet(0, 0xC0), Packet(5), Packet(200), Packet(3, 0x40), Packet(16_384), Packet(1));
        var limit = 1 + 3 + 16_384;

        var tracker = new MqttFrameTracker(limit);
        Assert.True(tracker.Advance(stream));

        var tooLarge = new MqttFrameTracker(limit - 1);
        Assert.False(tooLarge.Advance(stream));
        Assert.Equal(limit, tooLarge.RefusedPacketBytes);
    }

    [Fact]
    public void Packets_split_across_two_reads_at_every_position_are_framed_alike()
    {
        var stream = Concat(Packet(0, 0xC0), Packet(1), Packet(127), Packet(128), Packet(300), Packet(16_384), Packet(2));
        var limit = 1 + 3 + 16_384;
        var oneOverHeader = Packet(16_385).AsSpan(0, 4).ToArray();

        for (var split = 0; split <= stream.Length; split++)
        {
            var tracker = new MqttFrameTracker(limit);
            Assert.True(tracker.Advance(stream.AsSpan(0, split)), $"split at {split}");
            Assert.True(tracker.Advance(stream.AsSpan(split)), $"split at {split}");

            // At a packet boundary now: a packet one byte over the limit is refused from its header alone.
            Assert.False(tracker.Advance(oneOverHeader), $"split at {split}");
        }
    }

    [Fact]
    public void Packets_read_one_byte_at_a_time_are_framed_alike()
    {
        var stream = Concat(Packet(0, 0xC0), Packet(1), Packet(127), Packet(128), Packet(16_384), Packet(3));
        var tracker = new MqttFrameTracker(1 + 3 + 16_384);

        for (var i = 0; i < stream.Length; i++)
        {
            Assert.True(tracker.Advance(stream.AsSpan(i, 1)), $"byte {i}");
        }

        var over = Packet(16_385);
        Assert.True(tracker.Advance(over.AsSpan(0, 3)));
        Assert.False(tracker.Advance(over.AsSpan(3, 1)));
    }

    [Fact]
    public void Reads_of_every_size_frame_the_stream_alike()
    {
        var stream = Concat(Packet(2), Packet(130), Packet(0, 0xE0), Packet(20_000), Packet(64));
        for (var size = 1; size <= 64; size++)
        {
            var tracker = new MqttFrameTracker(1 + 3 + 20_000);
            for (var offset = 0; offset < stream.Length; offset += size)
            {
                Assert.True(tracker.Advance(stream.AsSpan(offset, Math.Min(size, stream.Length - offset))), $"reads of {size}");
            }

            Assert.False(tracker.Advance(Packet(20_001).AsSpan(0, 4)), $"reads of {size}");
        }
    }

    [Fact]
    public void A_refused_tracker_refuses_everything_after()
    {
        var tracker = new MqttFrameTracker(100);

        Assert.False(tracker.Advance(Packet(200).AsSpan(0, 3)));
        Assert.False(tracker.Advance(Packet(0)));
        Assert.False(tracker.Advance([]));
    }
}
