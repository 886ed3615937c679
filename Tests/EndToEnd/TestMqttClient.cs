using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>An MQTTnet client that keeps what it receives, for assertions.</summary>
public sealed class TestMqttClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(5);

    private readonly IMqttClient _client;
    private readonly Channel<MqttApplicationMessage> _inbox = Channel.CreateUnbounded<MqttApplicationMessage>();
    private readonly List<MqttApplicationMessage> _unclaimed = [];
    private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestMqttClient(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            _inbox.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        _client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected)
            {
                _disconnected.TrySetResult(e);
            }

            return Task.CompletedTask;
        };
    }

    /// <summary>True when the server ended a connection this client had established.</summary>
    public bool WasDisconnected => _disconnected.Task.IsCompleted;

    /// <summary>How the server ended the connection; fails when it stays open for <paramref name="timeout"/>.</summary>
    public async Task<MqttClientDisconnectedEventArgs> WaitForDisconnectAsync(TimeSpan? timeout = null)
    {
        try
        {
            return await _disconnected.Task.WaitAsync(timeout ?? DefaultWait);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the connection was still open after {timeout ?? DefaultWait}");
        }
    }

    public MqttClientConnectResult ConnectResult { get; private set; } = null!;

    public bool IsConnected => _client.IsConnected;

    public static async Task<TestMqttClient> ConnectAsync(
        int port,
        string? user = null,
        string? password = null,
        string? clientId = null,
        MqttProtocolVersion protocol = MqttProtocolVersion.V500,
        bool throwOnRefusal = true,
        Action<MqttClientOptionsBuilder>? configure = null)
    {
        var client = new TestMqttClient(new MqttClientFactory().CreateMqttClient());
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(protocol)
            .WithClientId(clientId ?? user ?? (protocol == MqttProtocolVersion.V500 ? string.Empty : $"test-{Guid.NewGuid():N}"))
            .WithCleanStart()
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (user is not null)
        {
            options.WithCredentials(user, password);
        }

        configure?.Invoke(options);

        client.ConnectResult = await client._client.ConnectAsync(options.Build());
        if (throwOnRefusal && client.ConnectResult.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"CONNECT refused: {client.ConnectResult.ResultCode}");
        }

        return client;
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        var result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        return result.Items.Single().ResultCode;
    }

    public Task<MqttClientPublishResult> PublishAsync(string topic, string payload, int qos = 1, Action<MqttApplicationMessageBuilder>? configure = null) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), qos, configure);

    /// <summary>
    /// A token every publish carries as the <c>auth_token</c> user property (before any the caller adds, so that one wins):
    /// how a device or operator proves itself behind an external broker, whose connection hides who it is.
    /// </summary>
    public string? AttachedToken { get; set; }

    public Task<MqttClientPublishResult> PublishAsync(string topic, byte[] payload, int qos = 1, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos);
        if (AttachedToken is not null)
        {
            builder.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(AttachedToken));
        }

        configure?.Invoke(builder);
        return _client.PublishAsync(builder.Build());
    }

    /// <summary>The next message received on <paramref name="topic"/>; fails after a few seconds without one.</summary>
    public async Task<MqttApplicationMessage> WaitForAsync(string topic, TimeSpan? timeout = null)
    {
        var claimed = TryClaim(topic);
        if (claimed is not null)
        {
            return claimed;
        }

        using var cancellation = new CancellationTokenSource(timeout ?? DefaultWait);
        try
        {
            while (true)
            {
                var message = await _inbox.Reader.ReadAsync(cancellation.Token);
                if (message.Topic == topic)
                {
                    return message;
                }

                _unclaimed.Add(message);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing arrived on '{topic}' within {timeout ?? DefaultWait}; got [{string.Join(", ", _unclaimed.Select(m => m.Topic))}]");
        }
    }

    /// <summary>How many messages on <paramref name="topic"/> have arrived and are not claimed yet.</summary>
    public int UnclaimedOn(string topic)
    {
        TakeInbox();
        return _unclaimed.Count(m => m.Topic == topic);
    }

    /// <summary>
    /// The unclaimed message on <paramref name="topic"/> that follows the first <paramref name="after"/> ones, left
    /// unclaimed for a later <see cref="WaitForAsync"/>; fails after <paramref name="timeout"/> without one.
    /// </summary>
    public async Task<JsonElement> PeekJsonAsync(string topic, int after, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (UnclaimedOn(topic) <= after)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"nothing more arrived on '{topic}' within {timeout}");
            }

            await Task.Delay(20);
        }

        var message = _unclaimed.Where(m => m.Topic == topic).ElementAt(after);
        return JsonDocument.Parse(message.ConvertPayloadToString()).RootElement;
    }

    public async Task<JsonElement> WaitForJsonAsync(string topic, TimeSpan? timeout = null)
    {
        var message = await WaitForAsync(topic, timeout);
        return JsonDocument.Parse(message.ConvertPayloadToString()).RootElement;
    }

    /// <summary>Asserts that nothing arrives on <paramref name="topic"/> for <paramref name="quietFor"/>.</summary>
    public async Task AssertNothingOnAsync(string topic, TimeSpan quietFor)
    {
        var deadline = DateTime.UtcNow + quietFor;
        while (DateTime.UtcNow < deadline)
        {
            Assert.Null(TryClaim(topic));
            await Task.Delay(50);
            TakeInbox();
        }

        Assert.Null(TryClaim(topic));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }

        _client.Dispose();
    }

    private void TakeInbox()
    {
        while (_inbox.Reader.TryRead(out var message))
        {
            _unclaimed.Add(message);
        }
    }

    private MqttApplicationMessage? TryClaim(string topic)
    {
        var index = _unclaimed.FindIndex(m => m.Topic == topic);
        if (index < 0)
        {
            return null;
        }

        var message = _unclaimed[index];
        _unclaimed.RemoveAt(index);
        return message;
    }
}
