using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// A broker connection's <see cref="IMqttChannel"/> over its stream (the socket's, or later a TLS stream over it)
/// that follows MQTT's framing (<see cref="MqttFrameTracker"/>) in the bytes it reads. When a packet's Remaining
/// Length shows it to be larger than the limit, the read that carries that length byte returns 0 instead, and every
/// read after it: <see cref="MqttChannelAdapter"/> then treats the connection as closed before it allocates the
/// packet's body, and the server ends the connection. An MQTT 5 session is first told why (DISCONNECT 0x95 Packet too
/// large), through <see cref="Adapter"/>, which serialises it with the adapter's other sends.
/// </summary>
/// <remarks>
/// It takes the place of MQTTnet's <c>MqttTcpChannel</c> (same reads, writes and errors) rather than wrapping it:
/// a wrapper around a <see cref="Task{TResult}"/>-returning channel would add a task per pending read. Here the
/// stream's <see cref="ValueTask{TResult}"/> is awaited directly, so the framing costs a few comparisons per read and
/// nothing is allocated that <c>MqttTcpChannel</c> would not allocate (a read that completes at once with the same
/// byte count as the previous one allocates nothing at all).
/// </remarks>
public sealed class PacketLimitChannel : IMqttChannel
{
    private static readonly Task<int> Closed = Task.FromResult(0);
    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(1);

    private readonly Action<PacketLimitChannel>? _refused;
    private Stream? _stream;
    private MqttFrameTracker _tracker;
    private Task<int>? _lastRead;

    /// <param name="stream">The connection's stream; the channel owns it.</param>
    /// <param name="maxPacketBytes">The largest packet read, fixed header included.</param>
    /// <param name="refused">Called once when a packet is refused (for counting and logging), before the connection ends.</param>
    public PacketLimitChannel(
        Stream stream,
        EndPoint? localEndPoint,
        EndPoint? remoteEndPoint,
        X509Certificate2? clientCertificate,
        int maxPacketBytes,
        Action<PacketLimitChannel>? refused = null)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _tracker = new MqttFrameTracker(maxPacketBytes);
        _refused = refused;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
        ClientCertificate = clientCertificate;
        IsSecureConnection = stream is SslStream;
    }

    /// <summary>The adapter that reads through this channel, used to send DISCONNECT 0x95 to an MQTT 5 session.</summary>
    public IMqttChannelAdapter? Adapter { get; set; }

    /// <summary>The refused packet's size (a lower bound when refused before its last length byte); 0 if none was refused.</summary>
    public int RefusedPacketBytes => _tracker.RefusedPacketBytes;

    public X509Certificate2? ClientCertificate { get; }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public bool IsSecureConnection { get; }

    public Task ConnectAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("A broker connection is accepted, not connected.");

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<int>(cancellationToken);
        }

        var stream = _stream;
        if (stream is null || _tracker.Refused || !stream.CanRead)
        {
            return Closed;
        }

        ValueTask<int> read;
        try
        {
            read = stream.ReadAsync(buffer.AsMemory(offset, count), cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            return Closed; // closed meanwhile: a graceful end, as MqttTcpChannel reports it
        }

        if (!read.IsCompletedSuccessfully)
        {
            return ReadPendingAsync(read, buffer, offset);
        }

        var bytesRead = read.Result;
        if (bytesRead == 0)
        {
            return Closed;
        }

        if (!_tracker.Advance(buffer.AsSpan(offset, bytesRead)))
        {
            return RefuseAsync();
        }

        // MqttChannelAdapter reads 2, 1 and then body-sized counts, so the same count comes back again and again.
        var last = _lastRead;
        if (last is not null && last.Result == bytesRead)
        {
            return last;
        }

        return _lastRead = Task.FromResult(bytesRead);
    }

    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var stream = _stream;
        if (stream is null)
        {
            return Task.FromException(ConnectionClosed(null));
        }

        if (!buffer.IsSingleSegment)
        {
            return WriteSegmentsAsync(stream, buffer, cancellationToken);
        }

        ValueTask write;
        try
        {
            write = stream.WriteAsync(buffer.First, cancellationToken);
        }
        catch (Exception exception)
        {
            return Task.FromException(Translate(exception));
        }

        return write.IsCompletedSuccessfully ? Task.CompletedTask : WritePendingAsync(write);
    }

    public void Dispose()
    {
        var stream = Interlocked.Exchange(ref _stream, null);
        try
        {
            stream?.Dispose(); // closes the socket too
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task<int> ReadPendingAsync(ValueTask<int> read, byte[] buffer, int offset)
    {
        int bytesRead;
        try
        {
            bytesRead = await read.ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        catch (IOException exception) when (exception.InnerException is SocketException socketException)
        {
            ExceptionDispatchInfo.Throw(socketException); // what MqttTcpChannel throws, and MqttChannelAdapter expects
            throw;
        }

        if (bytesRead == 0 || _tracker.Advance(buffer.AsSpan(offset, bytesRead)))
        {
            return bytesRead;
        }

        return await RefuseAsync().ConfigureAwait(false);
    }

    /// <summary>Reports the refusal, tells an MQTT 5 session why, and reads as closed from now on.</summary>
    private async Task<int> RefuseAsync()
    {
        _refused?.Invoke(this);
        var adapter = Adapter;
        if (adapter?.PacketFormatterAdapter.ProtocolVersion == MqttProtocolVersion.V500)
        {
            try
            {
                using var timeout = new CancellationTokenSource(DisconnectTimeout);
                await adapter.SendPacketAsync(new MqttDisconnectPacket { ReasonCode = MqttDisconnectReasonCode.PacketTooLarge }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or MqttCommunicationException or SocketException or IOException or ObjectDisposedException)
            {
                // The connection ends either way.
            }
        }

        return 0;
    }

    private static async Task WritePendingAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            ExceptionDispatchInfo.Throw(Translate(exception));
        }
    }

    private static async Task WriteSegmentsAsync(Stream stream, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var segment in buffer)
            {
                await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            ExceptionDispatchInfo.Throw(Translate(exception));
        }
    }

    /// <summary>The errors MqttTcpChannel raises for a failed write: a closed stream, or the socket's own error.</summary>
    private static Exception Translate(Exception exception) => exception switch
    {
        ObjectDisposedException => ConnectionClosed(exception),
        IOException { InnerException: SocketException socketException } => socketException,
        _ => exception,
    };

    private static MqttCommunicationException ConnectionClosed(Exception? inner) => new("The TCP connection is closed.", inner);
}
