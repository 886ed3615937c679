using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Server;
using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Gateway.Messaging;

namespace Orleans.IoT.Gateway.Transport;

/// <summary>
/// One of the embedded broker's TCP listeners, in place of MQTTnet's own (modelled on its <c>MqttTcpServerListener</c>:
/// one socket bound to <c>Mqtt:BindAddress</c> and its port, backlog 1024, no Nagle, one task per connection): plain
/// MQTT on <c>Mqtt:Port</c>, or MQTT over TLS on <c>Mqtt:TlsPort</c>, where each connection first completes its TLS
/// handshake (<see cref="BrokerTls"/>). Each connection reads through a <see cref="PacketLimitChannel"/>, which ends it
/// on a packet longer than <see cref="MqttOptions.MaxPacketBytes"/> before the packet's body is read, and sends through
/// a <see cref="MaximumPacketSizeAdapter"/>, whose CONNACK advertises that limit.
/// </summary>
public sealed partial class BrokerListener : IMqttServerAdapter
{
    public const int Backlog = 1024;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttOptions _options;
    private readonly int _port;
    private readonly BrokerTls? _tls;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<BrokerListener> _logger;
    private readonly Action<PacketLimitChannel> _onPacketRefused;

    /// <summary>Open connections and their tasks (null until the task is known), for a clean stop.</summary>
    private readonly ConcurrentDictionary<Socket, Task?> _connections = new();

    private Socket? _socket;
    private CancellationTokenSource? _stopping;
    private Task? _acceptLoop;
    private MqttServerOptions? _serverOptions;
    private IMqttNetLogger _mqttLogger = MqttNetNullLogger.Instance;

    /// <param name="tls">The TLS of an encrypted listener; null for plain MQTT.</param>
    public BrokerListener(int port, BrokerTls? tls, MqttOptions options, GatewayMetrics metrics, ILogger<BrokerListener> logger)
    {
        _port = port;
        _tls = tls;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _onPacketRefused = OnPacketRefused;
    }

    /// <summary>Set by the MQTTnet server: runs one connection's MQTT session to its end.</summary>
    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    /// <summary>The bound address and port while started.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>True for the MQTT over TLS listener.</summary>
    public bool IsTls => _tls is not null;

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_socket is not null)
        {
            throw new InvalidOperationException("The listener is already started.");
        }

        _serverOptions = options;
        _mqttLogger = logger ?? MqttNetNullLogger.Instance;
        _tls?.Load();
        var endPoint = new IPEndPoint(IPAddress.Parse(_options.BindAddress), _port);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            // As MQTTnet's listener: a connection the broker closes is reset rather than left in TIME_WAIT.
            socket.LingerState = new LingerOption(true, 0);
            socket.Bind(endPoint);
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint?)socket.LocalEndPoint;
        _socket = socket;
        _stopping = new CancellationTokenSource();
        var stopping = _stopping.Token;
        _acceptLoop = Task.Run(() => AcceptAsync(socket, stopping), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, closes the connections still open and waits (a few seconds at most) for their tasks.</summary>
    public async Task StopAsync()
    {
        var socket = Interlocked.Exchange(ref _socket, null);
        if (socket is null)
        {
            return;
        }

        await _stopping!.CancelAsync();
        socket.Dispose();
        await _acceptLoop!;

        // The MQTTnet server has ended its sessions before it stops its adapters; what is left has not finished CONNECT.
        var tasks = new List<Task>();
        foreach (var (client, task) in _connections)
        {
            client.Dispose();
            if (task is not null)
            {
                tasks.Add(task);
            }
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(StopTimeout);
        }
        catch (TimeoutException)
        {
            LogStopTimedOut(tasks.Count(t => !t.IsCompleted));
        }

        _stopping.Dispose();
        _stopping = null;
        LocalEndPoint = null;
    }

    public void Dispose()
    {
        // The MQTTnet server stops its adapters before it disposes them; this only makes sure nothing stays open.
        var socket = Interlocked.Exchange(ref _socket, null);
        if (socket is null)
        {
            return;
        }

        _stopping!.Cancel();
        socket.Dispose();
        foreach (var client in _connections.Keys)
        {
            client.Dispose();
        }
    }

    private async Task AcceptAsync(Socket socket, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException || stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client gave up while it was queued
            }
            catch (SocketException exception)
            {
                // Out of file descriptors and the like: say so, and give the system a moment.
                LogAcceptFailed(exception);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            _connections[client] = null;
            var task = Task.Factory.StartNew(
                () => HandleConnectionAsync(client, stopping),
                CancellationToken.None,
                TaskCreationOptions.PreferFairness,
                TaskScheduler.Default).Unwrap();
            _connections.TryUpdate(client, task, null); // fails only when the connection has already ended
        }
    }

    private async Task HandleConnectionAsync(Socket client, CancellationToken stopping)
    {
        EndPoint? remoteEndPoint = null;
        Stream? stream = null;
        try
        {
            remoteEndPoint = client.RemoteEndPoint;
            client.NoDelay = true;
            stream = new NetworkStream(client, ownsSocket: true);
            X509Certificate2? clientCertificate = null;
            if (_tls is not null)
            {
                (stream, clientCertificate) = await HandshakeAsync(stream, stopping).ConfigureAwait(false);
            }

            var handler = ClientHandler;
            var serverOptions = _serverOptions!;
            if (handler is null)
            {
                return; // stopping
            }

            var channel = new PacketLimitChannel(stream, LocalEndPoint, remoteEndPoint, clientCertificate, _options.MaxPacketBytes, _onPacketRefused);
            stream = null; // the channel owns it now
            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(serverOptions.WriterBufferSize, serverOptions.WriterBufferSizeMax));
            var inner = new MqttChannelAdapter(channel, formatter, _mqttLogger)
            {
                AllowPacketFragmentation = serverOptions.DefaultEndpointOptions.AllowPacketFragmentation,
            };
            channel.Adapter = inner;
            using var adapter = new MaximumPacketSizeAdapter(inner, (uint)_options.MaxPacketBytes);
            await handler(adapter).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsOrdinaryDisconnect(exception))
        {
            LogConnectionEnded(remoteEndPoint, exception.Message);
        }
        catch (Exception exception)
        {
            LogConnectionFailed(exception, remoteEndPoint);
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            client.Dispose();
            _connections.TryRemove(client, out _);
        }
    }

    /// <summary>
    /// The TLS handshake over the connection's socket stream: the encrypted stream (the channel reads MQTT's framing in it
    /// as in any other) and the client's certificate. A failed or timed-out handshake ends the connection and is counted.
    /// </summary>
    private async ValueTask<(Stream Stream, X509Certificate2? ClientCertificate)> HandshakeAsync(Stream stream, CancellationToken stopping)
    {
        try
        {
            return await _tls!.AuthenticateAsync(stream, stopping).ConfigureAwait(false);
        }
        catch
        {
            if (!stopping.IsCancellationRequested)
            {
                _metrics.TlsHandshakeFailed();
            }

            throw;
        }
    }

    private void OnPacketRefused(PacketLimitChannel channel)
    {
        _metrics.PacketTooLarge();
        LogPacketTooLarge(channel.RemoteEndPoint, channel.RefusedPacketBytes, _options.MaxPacketBytes);
    }

    private static bool IsOrdinaryDisconnect(Exception exception) =>
        exception is SocketException or IOException or ObjectDisposedException or OperationCanceledException or MqttCommunicationException
            or AuthenticationException;

    // Debug: a client decides how often this happens, so it must not be able to fill the log.
    [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT connection from {RemoteEndPoint} closed: a packet of at least {PacketBytes} bytes exceeds the maximum packet size {MaxPacketBytes}")]
    private partial void LogPacketTooLarge(EndPoint? remoteEndPoint, int packetBytes, int maxPacketBytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT connection from {RemoteEndPoint} ended: {Reason}")]
    private partial void LogConnectionEnded(EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection from {RemoteEndPoint} failed")]
    private partial void LogConnectionFailed(Exception exception, EndPoint? remoteEndPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting an MQTT connection failed")]
    private partial void LogAcceptFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} MQTT connections had not ended 5 s after the broker stopped")]
    private partial void LogStopTimedOut(int count);
}
