using System.Collections.Concurrent;
using System.Diagnostics;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Orleans.IoT.Tests.Cluster;

/// <summary>
/// A device as a fleet's devices behave when their service has faults: it sends QoS 1 readings one after another, each
/// with the next timestamp, and keeps a reading until it is acknowledged. After a refusal it sends it again shortly;
/// after a lost connection (or an acknowledgement that never comes) it connects again, to the other gateway first as a
/// load balancer would send it, and sends it again. It also takes the commands sent to it.
/// </summary>
/// <param name="password">Its password at CONNECT: its token (embedded broker) or its broker account's password.</param>
/// <param name="payloadToken">Its token, carried in each reading's payload (external broker), or null.</param>
public sealed class ResendingDevice(string deviceId, string password, string? payloadToken, IReadOnlyList<int> gatewayPorts, int firstGateway) : IAsyncDisposable
{
    public const long FirstTimestamp = 1_700_000_000;

    /// <summary>Longer than PostgreSQL may be away (<c>History:MaxOutageSeconds</c>), during which a reading waits.</summary>
    private static readonly TimeSpan AcknowledgementTimeout = TimeSpan.FromSeconds(75);
    private static readonly TimeSpan SendInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);

    private readonly List<long> _acknowledged = [];
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private IMqttClient? _client;
    private int _gateway = firstGateway;
    private int _connections;
    private int _refusals;

    public string DeviceId { get; } = deviceId;

    /// <summary>Timestamps of the readings acknowledged with success, in order; read it once the device has stopped.</summary>
    public IReadOnlyList<long> Acknowledged => _acknowledged;

    /// <summary>The timestamp of the last reading sent (acknowledged or not): nothing later can be stored.</summary>
    public long LastSent { get; private set; } = FirstTimestamp - 1;

    /// <summary>How many times it connected (the first time included).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Readings the cluster acknowledged with an error (each then sent again).</summary>
    public int Refusals => Volatile.Read(ref _refusals);

    /// <summary>The longest a reading took from its first sending to its acknowledgement, resends included.</summary>
    public TimeSpan LongestWait { get; private set; }

    /// <summary>The gateway (index into the ports) it is connected to, or was last.</summary>
    public int Gateway => Volatile.Read(ref _gateway);

    public IReadOnlyCollection<string> CommandsReceived => _commands;

    /// <summary>Refusals and lost connections, newest last, for a failure's message.</summary>
    public string RecentProblems => string.Join("; ", _problems.TakeLast(5));

    /// <summary>Sends until <paramref name="stop"/> is cancelled; a reading in flight then is neither counted nor resent.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var next = FirstTimestamp;
        var firstSent = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (_client is not { IsConnected: true })
                {
                    await ConnectAsync(stop);
                }

                LastSent = Math.Max(LastSent, next);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(AcknowledgementTimeout);
                var ack = await _client!.PublishAsync(Reading(next), timeout.Token);
                if (ack.IsSuccess)
                {
                    _acknowledged.Add(next++);
                    var waited = Stopwatch.GetElapsedTime(firstSent);
                    LongestWait = waited > LongestWait ? waited : LongestWait;
                    await Task.Delay(SendInterval, stop);
                    firstSent = Stopwatch.GetTimestamp();
                }
                else
                {
                    Interlocked.Increment(ref _refusals);
                    Note($"{next} refused: {ack.ReasonCode} {ack.ReasonString}");
                    await Task.Delay(RetryDelay, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Lost connection, no acknowledgement in time, or no gateway answering: connect again (to the other
                // gateway first) and send the same reading.
                Note($"{next}: {ex.GetType().Name}: {ex.Message}");
                await DropConnectionAsync();
                _gateway = (_gateway + 1) % gatewayPorts.Count;
                try
                {
                    await Task.Delay(RetryDelay, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Disconnects cleanly, as a device switched off does.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_client is { IsConnected: true } client)
        {
            try
            {
                await client.DisconnectAsync();
            }
            catch (Exception)
            {
                // Already gone with its gateway.
            }
        }

        _client?.Dispose();
        _client = null;
    }

    private async Task ConnectAsync(CancellationToken stop)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            _commands.Enqueue(e.ApplicationMessage.Topic[(e.ApplicationMessage.Topic.LastIndexOf('/') + 1)..]);
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", gatewayPorts[_gateway])
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(DeviceId)
            .WithCredentials(DeviceId, password)
            .WithCleanStart()
            // Longer than a reading may wait for PostgreSQL: the broker reads nothing else from the connection meanwhile.
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(90))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        try
        {
            var connected = await client.ConnectAsync(options, stop);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"CONNECT to gateway {_gateway + 1} refused: {connected.ResultCode} {connected.ReasonString}");
            }

            await client.SubscribeAsync($"iot/devices/{DeviceId}/commands/+", MqttQualityOfServiceLevel.AtLeastOnce, stop);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        _client = client;
        Interlocked.Increment(ref _connections);
    }

    private async Task DropConnectionAsync()
    {
        if (_client is null)
        {
            return;
        }

        try
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.UnspecifiedError).Build());
        }
        catch (Exception)
        {
            // The connection is already gone.
        }

        _client.Dispose();
        _client = null;
    }

    private MqttApplicationMessage Reading(long timestamp) =>
        new MqttApplicationMessageBuilder()
            .WithTopic($"iot/devices/data/{DeviceId}/temperature")
            .WithPayload(payloadToken is null
                ? $$"""{"value":{{timestamp % 40}},"unit":"celsius","timestamp":{{timestamp}}}"""
                : $$"""{"value":{{timestamp % 40}},"unit":"celsius","timestamp":{{timestamp}},"auth_token":"{{payloadToken}}"}""")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

    private void Note(string problem)
    {
        _problems.Enqueue(problem);
        while (_problems.Count > 20)
        {
            _problems.TryDequeue(out _);
        }
    }
}
