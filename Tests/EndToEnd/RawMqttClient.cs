using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>What became of a raw PUBLISH: a PUBACK, or the end of the connection, or nothing in time.</summary>
/// <param name="ReasonCode">The PUBACK's reason code; null when none came.</param>
/// <param name="Ended">How the connection ended ("DISCONNECT 0x81", "closed", ...); null while it is open.</param>
public sealed record RawPublishResult(int? ReasonCode, string? ReasonString, string? Ended);

/// <summary>
/// A hand-encoded MQTT 5 client for what MQTTnet's client refuses to send: wildcards or ill-formed UTF-8 in a
/// PUBLISH topic, a packet larger than the broker's maximum. One packet at a time, QoS 1, no properties.
/// </summary>
public sealed class RawMqttClient : IAsyncDisposable
{
    private const byte ConnAck = 0x20;
    private const byte PubAck = 0x40;
    private const byte Disconnect = 0xE0;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private ushort _lastPacketId;

    private RawMqttClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The CONNACK's Maximum Packet Size property; null when the broker advertised none.</summary>
    public uint? MaximumPacketSize { get; private set; }

    public static async Task<RawMqttClient> ConnectAsync(int port, string clientId, string? user, string? password, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, cancellation.Token);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        var client = new RawMqttClient(tcp);
        try
        {
            await client._stream.WriteAsync(Connect(clientId, user, password), cancellation.Token);
            var (type, body) = await client.ReadPacketAsync(cancellation.Token) ?? throw new IOException("the broker closed the connection before CONNACK");
            if (type != ConnAck || body.Length < 2)
            {
                throw new IOException($"expected CONNACK, got packet type 0x{type:X2}");
            }

            if (body[1] != 0)
            {
                throw new InvalidOperationException($"CONNECT refused: 0x{body[1]:X2}");
            }

            client.MaximumPacketSize = ReadProperties(body.AsSpan(2)).MaximumPacketSize;
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a QoS 1 PUBLISH with exactly these topic bytes and waits for its PUBACK.</summary>
    public async Task<RawPublishResult> PublishAsync(ReadOnlyMemory<byte> topic, ReadOnlyMemory<byte> payload, TimeSpan timeout)
    {
        var packetId = ++_lastPacketId == 0 ? ++_lastPacketId : _lastPacketId;
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _stream.WriteAsync(PublishHeader(topic.Span, packetId, 2 + topic.Length + 2 + 1 + payload.Length), cancellation.Token);
            await _stream.WriteAsync(payload, cancellation.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return new RawPublishResult(null, null, await EndAsync($"closed while sending ({ex.GetType().Name})"));
        }
        catch (OperationCanceledException)
        {
            return new RawPublishResult(null, null, null);
        }

        while (true)
        {
            switch (await NextAsync(cancellation.Token))
            {
                case { Ended: { } ended }:
                    return new RawPublishResult(null, null, ended);
                case { Packet: null }:
                    return new RawPublishResult(null, null, null); // nothing in time
                case { Packet: (PubAck, var body) } when body.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(body) == packetId:
                    var reasonCode = body.Length > 2 ? body[2] : 0;
                    var reasonString = body.Length > 3 ? ReadProperties(body.AsSpan(3)).ReasonString : null;
                    return new RawPublishResult(reasonCode, reasonString, null);
                default:
                    continue; // a packet for something else
            }
        }
    }

    /// <summary>Writes bytes as they are, for packets the other methods do not make.</summary>
    public async Task<string?> SendAsync(ReadOnlyMemory<byte> bytes, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _stream.WriteAsync(bytes, cancellation.Token);
            return null;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return await EndAsync($"closed while sending ({ex.GetType().Name})");
        }
    }

    /// <summary>How the broker ended the connection within <paramref name="timeout"/>; null when it is still open.</summary>
    public async Task<string?> WaitForEndAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            var reply = await NextAsync(cancellation.Token);
            if (reply.Ended is not null || reply.Packet is null)
            {
                return reply.Ended;
            }
        }
    }

    /// <summary>The fixed header, topic, packet id and (empty) properties of a QoS 1 PUBLISH whose remaining length is <paramref name="remainingLength"/>.</summary>
    public static byte[] PublishHeader(ReadOnlySpan<byte> topic, ushort packetId, int remainingLength)
    {
        var header = new List<byte> { 0x32 };
        AddVarInt(header, remainingLength);
        header.Add((byte)(topic.Length >> 8));
        header.Add((byte)topic.Length);
        header.AddRange(topic);
        header.Add((byte)(packetId >> 8));
        header.Add((byte)packetId);
        header.Add(0); // no properties
        return [.. header];
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private sealed record Reply((byte Type, byte[] Body)? Packet, string? Ended);

    /// <summary>The next packet; a DISCONNECT or the end of the stream as <see cref="Reply.Ended"/>; neither when the time ran out.</summary>
    private async Task<Reply> NextAsync(CancellationToken cancellation)
    {
        try
        {
            var packet = await ReadPacketAsync(cancellation);
            return packet switch
            {
                null => new Reply(null, "closed"),
                (Disconnect, var body) => new Reply(null, body.Length > 0 ? $"DISCONNECT 0x{body[0]:X2}" : "DISCONNECT 0x00"),
                _ => new Reply(packet, null),
            };
        }
        catch (OperationCanceledException)
        {
            return new Reply(null, null);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return new Reply(null, $"closed ({ex.GetType().Name})");
        }
    }

    /// <summary>After a failed write: the DISCONNECT the broker may have sent before closing, else <paramref name="fallback"/>.</summary>
    private async Task<string> EndAsync(string fallback)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var reply = await NextAsync(cancellation.Token);
        return reply.Ended?.StartsWith("DISCONNECT", StringComparison.Ordinal) == true ? reply.Ended : fallback;
    }

    /// <summary>One whole packet, or null when the broker closed the connection first.</summary>
    private async Task<(byte Type, byte[] Body)?> ReadPacketAsync(CancellationToken cancellation)
    {
        var one = new byte[1];
        if (await _stream.ReadAsync(one, cancellation) == 0)
        {
            return null;
        }

        var type = (byte)(one[0] & 0xF0);
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift > 21 || await _stream.ReadAsync(one, cancellation) == 0)
            {
                return null;
            }

            length |= (one[0] & 0x7F) << shift;
            if ((one[0] & 0x80) == 0)
            {
                break;
            }
        }

        var body = new byte[length];
        await _stream.ReadExactlyAsync(body, cancellation);
        return (type, body);
    }

    /// <summary>The properties this client cares about from a property block (length prefix included).</summary>
    private static (string? ReasonString, uint? MaximumPacketSize) ReadProperties(ReadOnlySpan<byte> block)
    {
        if (block.IsEmpty)
        {
            return (null, null);
        }

        var length = ReadVarInt(block, out var consumed);
        var properties = block.Slice(consumed, Math.Min(length, block.Length - consumed));
        string? reasonString = null;
        uint? maximumPacketSize = null;
        while (!properties.IsEmpty)
        {
            var id = properties[0];
            properties = properties[1..];
            switch (id)
            {
                case 0x1F: // Reason String
                    reasonString = Encoding.UTF8.GetString(TakeString(ref properties));
                    break;
                case 0x27: // Maximum Packet Size
                    maximumPacketSize = BinaryPrimitives.ReadUInt32BigEndian(properties);
                    properties = properties[4..];
                    break;
                case 0x12 or 0x15 or 0x16 or 0x1A or 0x1C: // strings and binary data
                    TakeString(ref properties);
                    break;
                case 0x26: // User Property: a pair of strings
                    TakeString(ref properties);
                    TakeString(ref properties);
                    break;
                case 0x11: // four-byte integers
                    properties = properties[4..];
                    break;
                case 0x13 or 0x21 or 0x22: // two-byte integers
                    properties = properties[2..];
                    break;
                case 0x24 or 0x25 or 0x28 or 0x29 or 0x2A: // bytes
                    properties = properties[1..];
                    break;
                default:
                    return (reasonString, maximumPacketSize); // unknown: stop reading
            }
        }

        return (reasonString, maximumPacketSize);
    }

    private static ReadOnlySpan<byte> TakeString(ref ReadOnlySpan<byte> span)
    {
        var length = BinaryPrimitives.ReadUInt16BigEndian(span);
        var value = span.Slice(2, length);
        span = span[(2 + length)..];
        return value;
    }

    private static int ReadVarInt(ReadOnlySpan<byte> span, out int consumed)
    {
        var value = 0;
        consumed = 0;
        for (var shift = 0; consumed < span.Length && shift <= 21; shift += 7)
        {
            var b = span[consumed++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        return value;
    }

    private static byte[] Connect(string clientId, string? user, string? password)
    {
        var body = new List<byte>();
        AddString(body, "MQTT");
        body.Add(5);
        body.Add((byte)(0x02 | (user is null ? 0 : 0x80) | (password is null ? 0 : 0x40))); // clean start
        body.Add(0);
        body.Add(60); // keep alive, seconds
        body.Add(0); // no properties
        AddString(body, clientId);
        if (user is not null)
        {
            AddString(body, user);
        }

        if (password is not null)
        {
            AddString(body, password);
        }

        var packet = new List<byte> { 0x10 };
        AddVarInt(packet, body.Count);
        packet.AddRange(body);
        return [.. packet];
    }

    private static void AddString(List<byte> destination, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        destination.Add((byte)(bytes.Length >> 8));
        destination.Add((byte)bytes.Length);
        destination.AddRange(bytes);
    }

    private static void AddVarInt(List<byte> destination, int value)
    {
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            destination.Add(value > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (value > 0);
    }
}
