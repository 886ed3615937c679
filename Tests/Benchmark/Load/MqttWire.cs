using System.Buffers.Binary;
using System.Text;

namespace Orleans.IoT.Benchmark.Load;

/// <summary>
/// The few MQTT 5 packets the load generator sends, encoded by hand: a simulated device costs a socket and a
/// buffer, not a full client, so that the generator takes as little CPU as possible from the system it measures.
/// </summary>
public static class MqttWire
{
    public const byte PubAck = 0x40;
    public const byte ConnAck = 0x20;
    public const byte Publish = 0x30;
    public const byte PubRec = 0x50;
    public const byte PubRel = 0x62;
    public const byte PubComp = 0x70;
    public const byte SubAck = 0x90;
    public const byte Disconnect = 0xE0;

    public static byte[] Connect(string clientId, string? user, string? password, ushort keepAliveSeconds)
    {
        var body = new List<byte>();
        WriteString(body, "MQTT");
        body.Add(5);
        byte flags = 0x02; // clean start
        if (user is not null)
        {
            flags |= 0x80;
        }

        if (password is not null)
        {
            flags |= 0x40;
        }

        body.Add(flags);
        body.Add((byte)(keepAliveSeconds >> 8));
        body.Add((byte)keepAliveSeconds);
        body.Add(0); // no properties
        WriteString(body, clientId);
        if (user is not null)
        {
            WriteString(body, user);
        }

        if (password is not null)
        {
            WriteString(body, password);
        }

        return Packet(0x10, body);
    }

    public static byte[] PingRequest() => [0xC0, 0x00];

    /// <summary>A SUBSCRIBE of one topic filter at <paramref name="qos"/> (no properties).</summary>
    public static byte[] Subscribe(ushort packetId, string filter, int qos)
    {
        var body = new List<byte> { (byte)(packetId >> 8), (byte)packetId, 0 };
        WriteString(body, filter);
        body.Add((byte)qos);
        return Packet(0x82, body);
    }

    /// <summary>Writes a four-byte acknowledgement (PUBACK, PUBREL, ...) of <paramref name="packetId"/>, reason 0 left implicit.</summary>
    public static int WriteAck(Span<byte> destination, byte type, ushort packetId)
    {
        destination[0] = type;
        destination[1] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], packetId);
        return 4;
    }

    /// <summary>The topic and packet identifier (0 at QoS 0) of a PUBLISH body.</summary>
    public static ReadOnlySpan<byte> ReadPublish(ReadOnlySpan<byte> body, int qos, out ushort packetId)
    {
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        packetId = qos > 0 ? BinaryPrimitives.ReadUInt16BigEndian(body[(2 + topicLength)..]) : (ushort)0;
        return body.Slice(2, topicLength);
    }

    /// <summary>Writes a PUBLISH (no properties) into <paramref name="destination"/>; returns its length.</summary>
    public static int WritePublish(Span<byte> destination, int qos, ReadOnlySpan<byte> topic, ushort packetId, ReadOnlySpan<byte> payload)
    {
        var remaining = 2 + topic.Length + (qos > 0 ? 2 : 0) + 1 + payload.Length;
        var position = 0;
        destination[position++] = (byte)(Publish | (qos << 1));
        position += WriteVarInt(destination[position..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(destination[position..], (ushort)topic.Length);
        position += 2;
        topic.CopyTo(destination[position..]);
        position += topic.Length;
        if (qos > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[position..], packetId);
            position += 2;
        }

        destination[position++] = 0; // no properties
        payload.CopyTo(destination[position..]);
        return position + payload.Length;
    }

    public static int WriteVarInt(Span<byte> destination, int value)
    {
        var i = 0;
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            destination[i++] = value > 0 ? (byte)(digit | 0x80) : digit;
        }
        while (value > 0);
        return i;
    }

    /// <summary>Reads a fixed header at the start of <paramref name="buffer"/>; false when it is not all there yet.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> buffer, out byte type, out int headerLength, out int remainingLength)
    {
        type = 0;
        headerLength = 0;
        remainingLength = 0;
        if (buffer.Length < 2)
        {
            return false;
        }

        type = buffer[0];
        var multiplier = 1;
        for (var i = 1; i < 5; i++)
        {
            if (i >= buffer.Length)
            {
                return false;
            }

            remainingLength += (buffer[i] & 0x7F) * multiplier;
            if ((buffer[i] & 0x80) == 0)
            {
                headerLength = i + 1;
                return true;
            }

            multiplier *= 128;
        }

        throw new InvalidDataException("malformed remaining length");
    }

    private static byte[] Packet(byte type, List<byte> body)
    {
        Span<byte> length = stackalloc byte[4];
        var n = WriteVarInt(length, body.Count);
        var packet = new byte[1 + n + body.Count];
        packet[0] = type;
        length[..n].CopyTo(packet.AsSpan(1));
        body.CopyTo(packet, 1 + n);
        return packet;
    }

    private static void WriteString(List<byte> body, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        body.Add((byte)(bytes.Length >> 8));
        body.Add((byte)bytes.Length);
        body.AddRange(bytes);
    }
}
