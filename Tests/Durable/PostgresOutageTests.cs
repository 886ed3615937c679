using System.Diagnostics;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Npgsql;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The durable node under load while PostgreSQL goes away, and under a burst of registrations.</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresOutageTests(DurableNodeFixture node)
{
    private const long FirstTimestamp = 1_694_678_400;

    [Fact]
    public async Task Postgres_cut_for_20_seconds_under_load_keeps_every_device_connected_and_loses_no_acknowledged_reading()
    {
        const int deviceCount = 40;
        var outage = TimeSpan.FromSeconds(20);
        var registered = await Task.WhenAll(Enumerable.Range(0, deviceCount).Select(_ => node.RegisterDeviceAsync()));
        var devices = await Task.WhenAll(registered.Select(d => LoadDevice.ConnectAsync(node.MqttPort, d.DeviceId, d.Token)));
        try
        {
            using var stop = new CancellationTokenSource();
            var sending = devices.Select(d => d.SendUntilAsync(stop.Token)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(3));
            node.PostgresProxy.Cut();
            try
            {
                await Task.Delay(outage);
            }
            finally
            {
                node.PostgresProxy.Restore();
            }

            await Task.Delay(TimeSpan.FromSeconds(3));
            await stop.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(TimeSpan.FromSeconds(30));

            foreach (var device in devices)
            {
                Assert.True(device.IsConnected, $"{device.DeviceId} lost its connection");
                Assert.Equal(0, device.Disconnects);
                Assert.Empty(device.NotAcknowledged);
                var stored = StoredTimestamps(device.DeviceId);
                Assert.All(device.Acknowledged, timestamp => Assert.Contains(timestamp, stored));
            }

            // The cut held readings back for most of its length: they waited, unacknowledged, and were then committed.
            Assert.Contains(devices, device => device.LongestWait >= outage - TimeSpan.FromSeconds(5));
            Assert.True(devices.Sum(device => device.Acknowledged.Count) >= deviceCount * 20, "the devices kept sending before and after the cut");
        }
        finally
        {
            foreach (var device in devices)
            {
                await device.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Ten_thousand_registrations_at_once_all_reach_the_catalog()
    {
        const int total = 10_000;
        const int connections = 20;
        const int inFlightPerConnection = 50;
        var prefix = $"fleet-{Guid.NewGuid():N}-";
        var clients = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => node.ConnectAsync()));
        var refused = 0;
        try
        {
            await Task.WhenAll(clients.Select((client, c) => RegisterShareAsync(client, c))).WaitAsync(TimeSpan.FromMinutes(3));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        Assert.Equal(0, refused);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        long cataloged;
        while ((cataloged = CountDevices(prefix)) < total && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.Equal(total, cataloged);

        async Task RegisterShareAsync(TestMqttClient client, int share)
        {
            using var window = new SemaphoreSlim(inFlightPerConnection);
            var publishes = new List<Task>();
            for (var i = share; i < total; i += connections)
            {
                await window.WaitAsync();
                publishes.Add(RegisterAsync(client, $"{prefix}{i}", window));
            }

            await Task.WhenAll(publishes);
        }

        async Task RegisterAsync(TestMqttClient client, string deviceId, SemaphoreSlim window)
        {
            try
            {
                var ack = await client.PublishAsync($"iot/devices/register/{deviceId}", """{"name":"Fleet device","type":"sensor"}""");
                if (!ack.IsSuccess)
                {
                    Interlocked.Increment(ref refused);
                }
            }
            finally
            {
                window.Release();
            }
        }
    }

    private HashSet<long> StoredTimestamps(string deviceId)
    {
        using var connection = node.OpenDatabase();
        using var command = new NpgsqlCommand("SELECT extract(epoch FROM ts)::bigint FROM sensor_readings WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
        using var rows = command.ExecuteReader();
        var stored = new HashSet<long>();
        while (rows.Read())
        {
            stored.Add(rows.GetInt64(0));
        }

        return stored;
    }

    private long CountDevices(string prefix)
    {
        using var connection = node.OpenDatabase();
        using var command = new NpgsqlCommand("SELECT count(*) FROM devices WHERE starts_with(device_id, $1)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>A device that sends QoS 1 readings one after another, each with the next timestamp, and keeps count.</summary>
    private sealed class LoadDevice : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private int _disconnects;

        private LoadDevice(IMqttClient client, string deviceId)
        {
            _client = client;
            DeviceId = deviceId;
            _client.DisconnectedAsync += _ =>
            {
                Interlocked.Increment(ref _disconnects);
                return Task.CompletedTask;
            };
        }

        public string DeviceId { get; }

        public bool IsConnected => _client.IsConnected;

        public int Disconnects => Volatile.Read(ref _disconnects);

        /// <summary>Timestamps of the readings acknowledged with success.</summary>
        public List<long> Acknowledged { get; } = [];

        /// <summary>Readings acknowledged with an error, or left unacknowledged by a lost connection.</summary>
        public List<string> NotAcknowledged { get; } = [];

        public TimeSpan LongestWait { get; private set; }

        public static async Task<LoadDevice> ConnectAsync(int port, string deviceId, string token)
        {
            var device = new LoadDevice(new MqttClientFactory().CreateMqttClient(), deviceId);
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", port)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId(deviceId)
                .WithCredentials(deviceId, token)
                .WithCleanStart()
                // Longer than History:MaxOutageSeconds: while a reading waits, the broker reads nothing else from the
                // connection, a PINGREQ included, so a shorter keep-alive would end the connection first.
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
                .WithTimeout(TimeSpan.FromSeconds(10))
                .Build();
            var connected = await device._client.ConnectAsync(options);
            Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
            return device;
        }

        public async Task SendUntilAsync(CancellationToken stop)
        {
            for (var second = 0L; !stop.IsCancellationRequested; second++)
            {
                var timestamp = FirstTimestamp + second;
                var message = new MqttApplicationMessageBuilder()
                    .WithTopic($"iot/devices/data/{DeviceId}/temperature")
                    .WithPayload($$"""{"value":{{20 + second % 10}},"unit":"celsius","timestamp":{{timestamp}}}""")
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build();
                var clock = Stopwatch.StartNew();
                try
                {
                    // A QoS 1 publish waits for its PUBACK for as long as it takes.
                    var ack = await _client.PublishAsync(message);
                    if (ack.IsSuccess)
                    {
                        Acknowledged.Add(timestamp);
                    }
                    else
                    {
                        NotAcknowledged.Add($"{timestamp}: {ack.ReasonCode} {ack.ReasonString}");
                    }
                }
                catch (MqttCommunicationException ex)
                {
                    NotAcknowledged.Add($"{timestamp}: {ex.Message}");
                    return;
                }

                LongestWait = clock.Elapsed > LongestWait ? clock.Elapsed : LongestWait;
                await Task.Delay(100, CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }

            _client.Dispose();
        }
    }
}
