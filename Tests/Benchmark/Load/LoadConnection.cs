using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.IoT.Benchmark.Load;

/// <summary>One simulated device: a raw MQTT 5 connection that keeps a fixed number of QoS 1 readings in flight.</summary>
public sealed class LoadConnection : IDisposable
{
    private const int Slots = 1024;

    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[16 * 1024];
    private readonly byte[] _send = new byte[64 * 1024];
    private readonly long[] _sentAt = new long[Slots];
    private readonly bool[] _isReading = new bool[Slots];
    private readonly byte[] _payload = new byte[192];
    private byte[] _payloadToken = [];
    private byte[] _dataTopic = [];
    private byte[] _heartbeatTopic = [];
    private long _sequence;
    private long _baseSeconds;
    private int _inFlight;
    private long _pacedStart;
    private double _pacedInterval;
    private long _pacedSent;

    private LoadConnection(Socket socket, string deviceId)
    {
        _socket = socket;
        DeviceId = deviceId;
    }

    public string DeviceId { get; }

    public ConnectionStats Stats { get; } = new();

    /// <summary>
    /// Puts the device's token in every reading as <c>auth_token</c>, as a device must behind an external broker, which
    /// hides the CONNECT identity from the gateway.
    /// </summary>
    public void CarryTokenInPayload(string token) => _payloadToken = Encoding.UTF8.GetBytes($",\"auth_token\":\"{token}\"");

    /// <summary>Connects and logs in; returns the connection, or null with the CONNACK reason or socket error.</summary>
    public static async Task<(LoadConnection? Connection, string? Error)> OpenAsync(
        IPEndPoint server, IPAddress? localAddress, string deviceId, string? user, string? password, CancellationToken cancellationToken)
    {
        var (socket, error) = await ConnectAsync(server, localAddress, deviceId, user, password, cancellationToken);
        return socket is null ? (null, error) : (new LoadConnection(socket, deviceId), null);
    }

    /// <summary>Opens a raw MQTT 5 session (clean start, no keep-alive); returns its socket, or null with the CONNACK reason or socket error.</summary>
    public static async Task<(Socket? Socket, string? Error)> ConnectAsync(
        IPEndPoint server, IPAddress? localAddress, string clientId, string? user, string? password, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }

            await socket.ConnectAsync(server, cancellationToken);
            await socket.SendAsync(MqttWire.Connect(clientId, user, password, keepAliveSeconds: 0), cancellationToken);
            var connAck = new byte[64];
            var read = 0;
            int headerLength, remaining;
            while (!MqttWire.TryReadHeader(connAck.AsSpan(0, read), out _, out headerLength, out remaining) || read < headerLength + remaining)
            {
                var n = await socket.ReceiveAsync(connAck.AsMemory(read), cancellationToken);
                if (n == 0)
                {
                    throw new SocketException((int)SocketError.ConnectionReset);
                }

                read += n;
            }

            if (connAck[0] != MqttWire.ConnAck || connAck[headerLength + 1] != 0)
            {
                socket.Dispose();
                return (null, $"connack 0x{connAck[headerLength + 1]:x2}");
            }

            return (socket, null);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            socket.Dispose();
            return (null, ex is SocketException socketError ? socketError.SocketErrorCode.ToString() : ex.GetType().Name);
        }
    }

    /// <summary>
    /// Reads acknowledgements until <paramref name="stop"/> is cancelled, then waits (a bounded time) for the last
    /// ones. Closed loop (not <paramref name="paced"/>): keeps <paramref name="inFlight"/> QoS 1 messages unacknowledged,
    /// sending one for each acknowledgement; paced: the <see cref="Pacer"/> sends. Every
    /// <paramref name="heartbeatEvery"/>th message (0: none) is a QoS 1 heartbeat instead of a reading.
    /// </summary>
    public async Task RunIngestAsync(int inFlight, int heartbeatEvery, MeasurementWindow window, CancellationToken stop, bool paced = false)
    {
        try
        {
            if (!paced)
            {
                PrepareTopics();
                await SendAsync(Math.Min(inFlight, Slots), heartbeatEvery);
            }

            var buffered = 0;
            using var drain = new CancellationTokenSource();
            using var registration = stop.Register(() => drain.CancelAfter(TimeSpan.FromSeconds(10)));
            while (!stop.IsCancellationRequested || Volatile.Read(ref _inFlight) > 0)
            {
                var n = await _socket.ReceiveAsync(_receive.AsMemory(buffered), drain.Token);
                if (n == 0)
                {
                    Stats.Disconnected = true;
                    return;
                }

                buffered += n;
                var consumed = 0;
                var acked = 0;
                while (MqttWire.TryReadHeader(_receive.AsSpan(consumed, buffered - consumed), out var type, out var header, out var length)
                       && buffered - consumed >= header + length)
                {
                    var body = _receive.AsSpan(consumed + header, length);
                    if ((type & 0xF0) == MqttWire.PubAck)
                    {
                        OnPubAck(body, window);
                        acked++;
                    }
                    else if ((type & 0xF0) == 0xE0)
                    {
                        Stats.Disconnected = true;
                        return;
                    }

                    consumed += header + length;
                }

                buffered -= consumed;
                if (buffered > 0)
                {
                    Buffer.BlockCopy(_receive, consumed, _receive, 0, buffered);
                }

                if (acked > 0 && !paced && !stop.IsCancellationRequested)
                {
                    await SendAsync(acked, heartbeatEvery);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Stats.Disconnected |= ex is not OperationCanceledException;
            Stats.Unanswered += Volatile.Read(ref _inFlight);
        }
    }

    /// <summary>When this connection's next paced message is due, in <see cref="Stopwatch"/> ticks.</summary>
    public long NextDue { get; private set; }

    /// <summary>Fixes the paced schedule: the first message at <paramref name="start"/>, then one every <paramref name="interval"/> ticks.</summary>
    public void StartPacing(long start, double interval)
    {
        PrepareTopics();
        _pacedStart = start;
        _pacedInterval = interval;
        NextDue = start;
    }

    /// <summary>
    /// Sends, synchronously, what the schedule owes at <paramref name="now"/> (several when the pacer is late), never
    /// more than <paramref name="inFlight"/> unacknowledged; a message that does not fit is skipped, not sent later.
    /// </summary>
    public void SendDue(long now, int inFlight, int heartbeatEvery)
    {
        var due = (long)((now - _pacedStart) / _pacedInterval) + 1 - _pacedSent;
        var room = inFlight - Volatile.Read(ref _inFlight);
        var count = (int)Math.Min(due, room);
        if (count > 0)
        {
            _socket.Send(_send.AsSpan(0, WritePublishes(count, heartbeatEvery)));
            _pacedSent += count;
        }
        else if (due > 0)
        {
            Stats.Throttled++;
            _pacedSent += due;
        }

        NextDue = _pacedStart + (long)Math.Ceiling(_pacedSent * _pacedInterval);
    }

    public void Dispose() => _socket.Dispose();

    private void OnPubAck(ReadOnlySpan<byte> body, MeasurementWindow window)
    {
        var packetId = (body[0] << 8) | body[1];
        var slot = packetId % Slots;
        var reason = body.Length >= 3 ? body[2] : (byte)0;
        var now = Stopwatch.GetTimestamp();
        Interlocked.Decrement(ref _inFlight);
        var success = reason is 0x00 or 0x10;
        if (success && _isReading[slot])
        {
            Stats.ReadingsAcknowledged++;
        }

        if (!success)
        {
            Stats.CountRefusal(reason);
        }

        if (success && window.Contains(_sentAt[slot]) && window.Contains(now))
        {
            Stats.AcknowledgedInWindow++;
            Stats.Latency.Record((now - _sentAt[slot]) * 1_000_000 / Stopwatch.Frequency);
        }
    }

    private async ValueTask SendAsync(int count, int heartbeatEvery) =>
        await _socket.SendAsync(_send.AsMemory(0, WritePublishes(count, heartbeatEvery)));

    private int WritePublishes(int count, int heartbeatEvery)
    {
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            var sequence = ++_sequence;
            var packetId = (ushort)(1 + ((sequence - 1) % Slots));
            var slot = packetId % Slots;
            var heartbeat = heartbeatEvery > 0 && sequence % heartbeatEvery == 0;
            var payloadLength = heartbeat ? WriteHeartbeat(_payload) : WriteReading(_payload, sequence);
            length += MqttWire.WritePublish(_send.AsSpan(length), 1, heartbeat ? _heartbeatTopic : _dataTopic, packetId, _payload.AsSpan(0, payloadLength));
            _isReading[slot] = !heartbeat;
            _sentAt[slot] = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _inFlight);
            Stats.Sent++;
        }

        return length;
    }

    private void PrepareTopics()
    {
        if (_dataTopic.Length == 0)
        {
            _dataTopic = Encoding.UTF8.GetBytes($"iot/devices/data/{DeviceId}/temperature");
            _heartbeatTopic = Encoding.UTF8.GetBytes($"iot/devices/heartbeat/{DeviceId}");
            _baseSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        }
    }

    /// <summary><c>{"value":21.5,"timestamp":&lt;base&gt;.&lt;sequence µs&gt;}</c>: each reading of a device has its own timestamp.</summary>
    private int WriteReading(Span<byte> buffer, long sequence)
    {
        var prefix = "{\"value\":21.5,\"timestamp\":"u8;
        prefix.CopyTo(buffer);
        var position = prefix.Length;
        var seconds = _baseSeconds + (sequence / 1_000_000);
        Utf8Formatter.TryFormat(seconds, buffer[position..], out var written);
        position += written;
        buffer[position++] = (byte)'.';
        Utf8Formatter.TryFormat(sequence % 1_000_000, buffer[position..], out written, new System.Buffers.StandardFormat('D', 6));
        position += written;
        _payloadToken.CopyTo(buffer[position..]);
        position += _payloadToken.Length;
        buffer[position++] = (byte)'}';
        return position;
    }

    private static int WriteHeartbeat(Span<byte> buffer)
    {
        var heartbeat = "{\"battery_level\":80}"u8;
        heartbeat.CopyTo(buffer);
        return heartbeat.Length;
    }
}

/// <summary>What one connection saw.</summary>
public sealed class ConnectionStats
{
    public long Sent { get; set; }

    public long ReadingsAcknowledged { get; set; }

    public long AcknowledgedInWindow { get; set; }

    public long Unanswered { get; set; }

    /// <summary>Paced sends skipped because the connection already had its limit in flight.</summary>
    public long Throttled { get; set; }

    public bool Disconnected { get; set; }

    public LatencyHistogram Latency { get; } = new();

    public Dictionary<byte, long> Refusals { get; } = [];

    public void CountRefusal(byte reason) => Refusals[reason] = Refusals.GetValueOrDefault(reason) + 1;
}

/// <summary>The measured interval, in <see cref="Stopwatch"/> ticks.</summary>
public sealed class MeasurementWindow
{
    public long Start { get; private set; } = long.MaxValue;

    public long End { get; private set; } = long.MaxValue;

    /// <summary>The wall-clock times of <see cref="Start"/> and <see cref="End"/>, to compare with times another process recorded.</summary>
    public DateTimeOffset OpenedAt { get; private set; }

    public DateTimeOffset ClosedAt { get; private set; }

    public void Open()
    {
        Start = Stopwatch.GetTimestamp();
        OpenedAt = DateTimeOffset.UtcNow;
    }

    public void Close()
    {
        End = Stopwatch.GetTimestamp();
        ClosedAt = DateTimeOffset.UtcNow;
    }

    public bool Contains(long timestamp) => timestamp >= Start && timestamp < End;

    public double Seconds => (End - Start) / (double)Stopwatch.Frequency;
}
