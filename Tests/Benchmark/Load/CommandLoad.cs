using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;

namespace Orleans.IoT.Benchmark.Load;

/// <summary>
/// Operator commands and the devices that receive them, over raw MQTT 5 connections: D devices each subscribed (QoS 1)
/// to <c>iot/devices/{id}/commands/+</c>, and O operator connections that publish QoS 2 commands on a fixed schedule
/// from one thread. Against the node an operator publishes to <c>iot/devices/control/{id}/command</c> and the node
/// sends the command on; against the bare broker (the reference) it publishes to the device's command topic itself,
/// which the broker just routes. Latency is from the moment the PUBLISH is handed to the operator's socket to the
/// moment the device's socket read returns it. Command ids are <c>c{level}-{sequence}</c>, so a device finds the
/// send time of what it receives by its topic alone.
/// </summary>
public sealed class CommandLoad : IDisposable
{
    private const int MaxLevels = 16;

    private readonly List<CommandDevice> _devices;
    private readonly List<CommandOperator> _operators;
    private readonly bool _throughSystem;
    private readonly bool _reportResults;
    private readonly CommandLevel?[] _levels = new CommandLevel?[MaxLevels];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly byte[][] _topicPrefixes;
    private readonly byte[] _packet = new byte[1024];
    private int _levelCount;
    private long _unexpected;
    private long _resultsRefused;

    private CommandLoad(List<CommandDevice> devices, List<CommandOperator> operators, bool throughSystem, bool reportResults, Dictionary<string, int> failures)
    {
        _devices = devices;
        _operators = operators;
        _throughSystem = throughSystem;
        _reportResults = reportResults;
        ConnectFailures = failures;
        _topicPrefixes = [.. devices.Select(d => Encoding.UTF8.GetBytes(throughSystem ? $"iot/devices/control/{d.DeviceId}/command" : $"iot/devices/{d.DeviceId}/commands/"))];
    }

    public int Devices => _devices.Count;

    public int Operators => _operators.Count;

    /// <summary>Devices and operators that could not connect or subscribe, by CONNACK/SUBACK reason or socket error.</summary>
    public Dictionary<string, int> ConnectFailures { get; }

    /// <summary>Command messages whose topic named no command of this run.</summary>
    public long Unexpected => Interlocked.Read(ref _unexpected);

    /// <summary>Devices' results refused by the broker (a PUBACK reason of 0x80 or more).</summary>
    public long ResultsRefused => Interlocked.Read(ref _resultsRefused);

    /// <summary>
    /// Connects and subscribes the devices (user = client id = device id, password = token; any password for the bare
    /// broker) and connects the operators. <paramref name="throughSystem"/>: commands go through the node's control route.
    /// <paramref name="reportResults"/>: each device answers each command it receives with <c>succeeded</c> on
    /// <c>iot/devices/control/{id}/command/{command_id}/result</c>, as a device does, so that the node's command book of
    /// each device keeps to its bound (ended commands are forgotten beyond <c>Commands:RememberEnded</c>; open ones are not).
    /// </summary>
    public static async Task<CommandLoad> ConnectAsync(
        IPEndPoint server,
        IReadOnlyList<(string DeviceId, string? Token)> devices,
        IReadOnlyList<(string User, string Password)> operators,
        bool throughSystem,
        bool reportResults)
    {
        var failures = new Dictionary<string, int>();
        var connected = new CommandDevice?[devices.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, devices.Count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var (deviceId, token) = devices[i];
            var (socket, error) = await LoadConnection.ConnectAsync(server, null, deviceId, deviceId, token ?? "x", ct);
            if (socket is not null)
            {
                error = await SubscribeAsync(socket, $"iot/devices/{deviceId}/commands/+", ct);
                if (error is null)
                {
                    connected[i] = new CommandDevice(socket, deviceId);
                }
                else
                {
                    socket.Dispose();
                }
            }

            if (error is not null)
            {
                lock (failures)
                {
                    failures[error] = failures.GetValueOrDefault(error) + 1;
                }
            }
        });

        var operatorConnections = new List<CommandOperator>();
        for (var i = 0; i < operators.Count; i++)
        {
            var (socket, error) = await LoadConnection.ConnectAsync(server, null, $"bench-operator-{i}-{Guid.NewGuid():N}", operators[i].User, operators[i].Password, CancellationToken.None);
            if (socket is not null)
            {
                operatorConnections.Add(new CommandOperator(socket));
            }
            else
            {
                failures["operator " + error] = failures.GetValueOrDefault("operator " + error) + 1;
            }
        }

        var load = new CommandLoad([.. connected.OfType<CommandDevice>()], operatorConnections, throughSystem, reportResults, failures);
        foreach (var device in load._devices)
        {
            device.Owner = load;
            load._loops.Add(Task.Run(() => device.ReceiveAsync(load._stop.Token)));
        }

        foreach (var operatorConnection in load._operators)
        {
            operatorConnection.Owner = load;
            load._loops.Add(Task.Run(() => operatorConnection.ReceiveAsync(load._stop.Token)));
        }

        return load;
    }

    /// <summary>
    /// Sends <paramref name="rate"/> commands a second, round robin over the devices and the operators, for the warm-up
    /// and then the measured window; waits for the measured ones (at most <paramref name="lostAfter"/> after the last
    /// send) and returns what the devices saw of the commands sent in the window.
    /// </summary>
    public async Task<CommandLevelResult> RunLevelAsync(int rate, double warmupSeconds, double durationSeconds, TimeSpan lostAfter, Func<TimeSpan> serverCpu)
    {
        if (_levelCount >= MaxLevels)
        {
            throw new InvalidOperationException($"at most {MaxLevels} rates in one run");
        }

        if (_devices.Count == 0 || _operators.Count == 0)
        {
            throw new InvalidOperationException("no device or no operator could connect: " + string.Join(", ", ConnectFailures.Select(f => $"{f.Key}: {f.Value}")));
        }

        // A saturated level before this one may leave commands on their way: let them arrive (for a bounded time) first.
        if (_levelCount > 0 && _levels[_levelCount - 1] is { } previous)
        {
            var until = Stopwatch.GetTimestamp() + (long)(lostAfter.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until && previous.CountReceived(0) < previous.MeasuredTo)
            {
                await Task.Delay(20);
            }
        }

        var capacity = (int)Math.Min(int.MaxValue / 2, (rate * (warmupSeconds + durationSeconds + 1)) + 16);
        var level = new CommandLevel(_levelCount, capacity);
        _levels[_levelCount++] = level;
        foreach (var operatorConnection in _operators)
        {
            operatorConnection.Level = level;
        }

        var frequency = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp() + (frequency / 100);
        var windowStart = start + (long)(warmupSeconds * frequency);
        var windowEnd = windowStart + (long)(durationSeconds * frequency);
        var pacer = Task.Factory.StartNew(() => Pace(level, rate, start, windowStart, windowEnd), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var self = Process.GetCurrentProcess();
        await Task.Delay(Until(windowStart));
        var serverBefore = serverCpu();
        self.Refresh();
        var selfBefore = self.TotalProcessorTime;
        await Task.Delay(Until(windowEnd));
        var serverUsed = serverCpu() - serverBefore;
        self.Refresh();
        var selfUsed = self.TotalProcessorTime - selfBefore;
        await pacer;

        // Wait for the measured commands: until all are in, or the last one sent has had its time.
        var deadline = level.LastSentAt + (long)(lostAfter.TotalSeconds * frequency);
        while (Stopwatch.GetTimestamp() < deadline && level.CountReceived() < level.MeasuredTo - level.MeasuredFrom)
        {
            await Task.Delay(20);
        }

        return level.Result(rate, (windowEnd - windowStart) / (double)frequency, (long)(lostAfter.TotalSeconds * frequency), serverUsed, selfUsed);
    }

    private static TimeSpan Until(long timestamp) =>
        TimeSpan.FromSeconds(Math.Max(0, (timestamp - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var device in _devices)
        {
            device.Dispose();
        }

        foreach (var operatorConnection in _operators)
        {
            operatorConnection.Dispose();
        }

        try
        {
            Task.WaitAll([.. _loops], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>The schedule's thread: one command every 1/rate s, sleeping between them (a late wake sends what is due at once).</summary>
    private void Pace(CommandLevel level, int rate, long start, long windowStart, long windowEnd)
    {
        var interval = Stopwatch.Frequency / (double)rate;
        var measuredFrom = -1;
        var sequence = 0;
        while (sequence < level.SentAt.Length)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= windowEnd)
            {
                break;
            }

            var due = start + (long)(sequence * interval);
            if (now < due)
            {
                Thread.Sleep(Math.Max(1, (int)((due - now) * 1000 / Stopwatch.Frequency)));
                continue;
            }

            if (measuredFrom < 0 && now >= windowStart)
            {
                measuredFrom = sequence;
                level.MeasuredFrom = sequence;
            }

            Send(level, sequence);
            sequence++;
        }

        level.MeasuredFrom = measuredFrom < 0 ? sequence : measuredFrom;
        level.MeasuredTo = sequence;
    }

    private void Send(CommandLevel level, int sequence)
    {
        var deviceIndex = sequence % _devices.Count;
        var operatorConnection = _operators[sequence % _operators.Count];
        Span<byte> id = stackalloc byte[24];
        Utf8.TryWrite(id, $"c{level.Index}-{sequence}", out var idLength);
        id = id[..idLength];

        Span<byte> topic = stackalloc byte[512];
        var prefix = _topicPrefixes[deviceIndex];
        prefix.CopyTo(topic);
        var topicLength = prefix.Length;
        if (!_throughSystem)
        {
            id.CopyTo(topic[topicLength..]);
            topicLength += id.Length;
        }

        Span<byte> payload = stackalloc byte[160];
        var head = "{\"command\":\"set_interval\",\"parameters\":{\"seconds\":30},\"command_id\":\""u8;
        head.CopyTo(payload);
        id.CopyTo(payload[head.Length..]);
        "\"}"u8.CopyTo(payload[(head.Length + id.Length)..]);
        var payloadLength = head.Length + id.Length + 2;
        var packetId = operatorConnection.NextPacketId();
        var length = MqttWire.WritePublish(_packet, 2, topic[..topicLength], packetId, payload[..payloadLength]);
        operatorConnection.Send(_packet.AsSpan(0, length), level, sequence);
    }

    /// <summary>A device's receipt of <paramref name="topic"/> (…/commands/c{level}-{sequence}) at <paramref name="now"/>.</summary>
    private void OnCommand(ReadOnlySpan<byte> topic, long now)
    {
        var id = topic[(topic.LastIndexOf((byte)'/') + 1)..];
        var dash = id.IndexOf((byte)'-');
        if (id.Length < 4 || id[0] != (byte)'c' || dash < 2
            || !Utf8Parser.TryParse(id[1..dash], out int levelIndex, out var read) || read != dash - 1
            || !Utf8Parser.TryParse(id[(dash + 1)..], out int sequence, out read) || read != id.Length - dash - 1
            || levelIndex >= MaxLevels || Volatile.Read(ref _levels[levelIndex]) is not { } level
            || sequence >= level.ReceivedAt.Length)
        {
            Interlocked.Increment(ref _unexpected);
            return;
        }

        if (Interlocked.CompareExchange(ref level.ReceivedAt[sequence], now, 0) != 0)
        {
            Interlocked.Increment(ref level.Duplicates);
        }
    }

    private static async Task<string?> SubscribeAsync(Socket socket, string filter, CancellationToken cancellationToken)
    {
        await socket.SendAsync(MqttWire.Subscribe(1, filter, qos: 1), cancellationToken);
        var buffer = new byte[64];
        var read = 0;
        int header, length;
        byte type;
        while (!MqttWire.TryReadHeader(buffer.AsSpan(0, read), out type, out header, out length) || read < header + length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return "closed at SUBSCRIBE";
            }

            read += n;
        }

        // SUBACK: packet id, properties (empty from both brokers' answers we read past by their length), one reason code.
        if (type != MqttWire.SubAck)
        {
            return $"packet 0x{type:x2} instead of SUBACK";
        }

        var reason = buffer[header + length - 1];
        return reason == 1 ? null : $"suback 0x{reason:x2}";
    }

    /// <summary>One device: reads command messages and acknowledges each QoS 1 one.</summary>
    private sealed class CommandDevice(Socket socket, string deviceId) : IDisposable
    {
        private readonly byte[] _receive = new byte[16 * 1024];
        private readonly byte[] _out = new byte[32 * 1024];
        private readonly byte[] _resultPrefix = Encoding.UTF8.GetBytes($"iot/devices/control/{deviceId}/command/");
        private ushort _packetId;

        public string DeviceId { get; } = deviceId;

        public CommandLoad Owner { get; set; } = null!;

        public async Task ReceiveAsync(CancellationToken stop)
        {
            var buffered = 0;
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(_receive.AsMemory(buffered), stop);
                    var now = Stopwatch.GetTimestamp();
                    if (n == 0)
                    {
                        return;
                    }

                    buffered += n;
                    var consumed = 0;
                    var pending = 0;
                    while (MqttWire.TryReadHeader(_receive.AsSpan(consumed, buffered - consumed), out var type, out var header, out var length)
                           && buffered - consumed >= header + length)
                    {
                        var body = _receive.AsSpan(consumed + header, length);
                        if ((type & 0xF0) == MqttWire.Publish)
                        {
                            var qos = (type >> 1) & 3;
                            var topic = MqttWire.ReadPublish(body, qos, out var packetId);
                            Owner.OnCommand(topic, now);
                            if (qos == 1)
                            {
                                pending += MqttWire.WriteAck(_out.AsSpan(pending), MqttWire.PubAck, packetId);
                            }

                            if (Owner._reportResults)
                            {
                                pending += WriteResult(_out.AsSpan(pending), topic[(topic.LastIndexOf((byte)'/') + 1)..]);
                            }

                            if (pending > _out.Length - 512)
                            {
                                socket.Send(_out.AsSpan(0, pending));
                                pending = 0;
                            }
                        }
                        else if (type == MqttWire.PubAck)
                        {
                            if (length >= 3 && body[2] >= 0x80)
                            {
                                Interlocked.Increment(ref Owner._resultsRefused);
                            }
                        }
                        else if (type == MqttWire.Disconnect)
                        {
                            return;
                        }

                        consumed += header + length;
                    }

                    if (pending > 0)
                    {
                        socket.Send(_out.AsSpan(0, pending));
                    }

                    buffered -= consumed;
                    if (buffered > 0)
                    {
                        Buffer.BlockCopy(_receive, consumed, _receive, 0, buffered);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }

        public void Dispose() => socket.Dispose();

        /// <summary>What a device does with a command it has carried out: QoS 1 <c>{"status":"succeeded"}</c> on its result route.</summary>
        private int WriteResult(Span<byte> destination, ReadOnlySpan<byte> commandId)
        {
            Span<byte> topic = stackalloc byte[256];
            _resultPrefix.CopyTo(topic);
            commandId.CopyTo(topic[_resultPrefix.Length..]);
            "/result"u8.CopyTo(topic[(_resultPrefix.Length + commandId.Length)..]);
            _packetId = (ushort)(_packetId == ushort.MaxValue ? 1 : _packetId + 1);
            return MqttWire.WritePublish(destination, 1, topic[..(_resultPrefix.Length + commandId.Length + 7)], _packetId, "{\"status\":\"succeeded\"}"u8);
        }
    }

    /// <summary>One operator connection: QoS 2 publishes from the pacer; PUBREC answered with PUBREL by its receive loop.</summary>
    private sealed class CommandOperator(Socket socket) : IDisposable
    {
        private readonly Lock _send = new();
        private readonly byte[] _receive = new byte[16 * 1024];
        private readonly byte[] _releases = new byte[8 * 1024];
        private ushort _packetId;

        public CommandLoad Owner { get; set; } = null!;

        public volatile CommandLevel? Level;

        public ushort NextPacketId() => _packetId = (ushort)(_packetId == ushort.MaxValue ? 1 : _packetId + 1);

        /// <summary>Sends a PUBLISH, noting its send time just before the socket takes it.</summary>
        public void Send(ReadOnlySpan<byte> packet, CommandLevel level, int sequence)
        {
            try
            {
                lock (_send)
                {
                    var now = Stopwatch.GetTimestamp();
                    level.SentAt[sequence] = now;
                    level.LastSentAt = now;
                    socket.Send(packet);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Interlocked.Increment(ref level.SendFailures);
            }
        }

        public async Task ReceiveAsync(CancellationToken stop)
        {
            var buffered = 0;
            try
            {
                while (true)
                {
                    var n = await socket.ReceiveAsync(_receive.AsMemory(buffered), stop);
                    if (n == 0)
                    {
                        return;
                    }

                    buffered += n;
                    var consumed = 0;
                    var releases = 0;
                    while (MqttWire.TryReadHeader(_receive.AsSpan(consumed, buffered - consumed), out var type, out var header, out var length)
                           && buffered - consumed >= header + length)
                    {
                        var body = _receive.AsSpan(consumed + header, length);
                        if (type == MqttWire.PubRec)
                        {
                            var reason = length >= 3 ? body[2] : (byte)0;
                            if (reason < 0x80)
                            {
                                releases += MqttWire.WriteAck(_releases.AsSpan(releases), MqttWire.PubRel, BinaryPrimitives.ReadUInt16BigEndian(body));
                            }
                            else if (Level is { } level)
                            {
                                level.Refusals.AddOrUpdate(reason, 1, (_, count) => count + 1);
                            }
                        }
                        else if (type == MqttWire.Disconnect)
                        {
                            return;
                        }

                        consumed += header + length;
                    }

                    if (releases > 0)
                    {
                        lock (_send)
                        {
                            socket.Send(_releases.AsSpan(0, releases));
                        }
                    }

                    buffered -= consumed;
                    if (buffered > 0)
                    {
                        Buffer.BlockCopy(_receive, consumed, _receive, 0, buffered);
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }

        public void Dispose() => socket.Dispose();
    }
}

/// <summary>One rate's commands: when each was sent and when its device got it, by sequence number.</summary>
public sealed class CommandLevel(int index, int capacity)
{
    public int Index { get; } = index;

    public long[] SentAt { get; } = new long[capacity];

    public long[] ReceivedAt { get; } = new long[capacity];

    public volatile int MeasuredFrom;

    public volatile int MeasuredTo;

    public long LastSentAt;

    public long Duplicates;

    public long SendFailures;

    public ConcurrentDictionary<byte, long> Refusals { get; } = new();

    /// <summary>Commands received among those sent from <paramref name="from"/> (default: the measured ones) to the last.</summary>
    public int CountReceived(int? from = null)
    {
        var count = 0;
        for (var i = from ?? MeasuredFrom; i < MeasuredTo; i++)
        {
            count += Volatile.Read(ref ReceivedAt[i]) != 0 ? 1 : 0;
        }

        return count;
    }

    public CommandLevelResult Result(int rate, double seconds, long lostAfterTicks, TimeSpan serverCpu, TimeSpan loadCpu)
    {
        var latency = new LatencyHistogram();
        long lost = 0, late = 0;
        for (var i = MeasuredFrom; i < MeasuredTo; i++)
        {
            var received = Volatile.Read(ref ReceivedAt[i]);
            if (received == 0)
            {
                lost++;
            }
            else if (received - SentAt[i] > lostAfterTicks)
            {
                lost++;
                late++;
            }
            else
            {
                latency.Record((received - SentAt[i]) * 1_000_000 / Stopwatch.Frequency);
            }
        }

        return new CommandLevelResult(rate, seconds, MeasuredTo - MeasuredFrom, latency, lost, late, Interlocked.Read(ref Duplicates),
            Interlocked.Read(ref SendFailures), new Dictionary<byte, long>(Refusals), serverCpu, loadCpu);
    }
}

/// <summary>What the devices saw of the commands sent in one rate's measured window.</summary>
public sealed record CommandLevelResult(
    int Rate,
    double Seconds,
    long Sent,
    LatencyHistogram Latency,
    long Lost,
    long Late,
    long Duplicates,
    long SendFailures,
    Dictionary<byte, long> Refusals,
    TimeSpan ServerCpu,
    TimeSpan LoadCpu)
{
    public long Received => Latency.Count;

    public double SentPerSecond => Sent / Seconds;
}
