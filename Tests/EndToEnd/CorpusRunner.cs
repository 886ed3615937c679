using System.Text;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>What became of one corpus case.</summary>
/// <param name="ReasonCode">The PUBACK's reason code; null when no PUBACK came.</param>
/// <param name="Closed">The sender's connection ended: instead of the PUBACK, or right after it.</param>
/// <param name="Detail">Without a PUBACK, what happened instead.</param>
public sealed record CorpusOutcome(int? ReasonCode, string? ReasonString, bool Closed, string? Detail = null)
{
    public static CorpusOutcome NoAck(bool closed, string detail) => new(null, null, closed, detail);
}

/// <summary>
/// Publishes the corpus over real MQTT: one session per sender (per device for device cases), each
/// sending its cases one at a time at QoS 1, the sessions side by side. A session the broker closed is
/// opened again for its next case.
/// </summary>
public sealed class CorpusRunner(NodeFixture node, BadInputCorpus corpus, IReadOnlyDictionary<string, string> tokens, string tag)
{
    public static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyDictionary<CorpusCase, CorpusOutcome>> RunAsync()
    {
        var streams = corpus.Cases.GroupBy(c => (c.Sender, c.DeviceId)).Select(async group =>
        {
            await using var session = SessionFor(group.Key.Sender, group.Key.DeviceId);
            var outcomes = new List<(CorpusCase, CorpusOutcome)>();
            foreach (var corpusCase in group)
            {
                outcomes.Add((corpusCase, await session.SendAsync(corpusCase)));
            }

            return outcomes;
        });
        var results = await Task.WhenAll(streams);
        return results.SelectMany(r => r).ToDictionary(r => r.Item1, r => r.Item2);
    }

    private ICorpusSession SessionFor(CorpusSender sender, string? deviceId) => sender switch
    {
        CorpusSender.Device => new MqttSession(() => node.ConnectAsync(deviceId!, tokens[deviceId!])),
        CorpusSender.Anonymous => new MqttSession(() => node.ConnectAsync()),
        CorpusSender.Operator => new MqttSession(() => node.ConnectAsync(NodeFixture.OperatorName, NodeFixture.OperatorKey, $"c{tag}-ops")),
        CorpusSender.RawDevice => new RawSession(() =>
            RawMqttClient.ConnectAsync(node.MqttPort, corpus.RawDeviceId, corpus.RawDeviceId, tokens[corpus.RawDeviceId], AckTimeout)),
        _ => new RawSession(() =>
            RawMqttClient.ConnectAsync(node.MqttPort, $"c{tag}-rawops", NodeFixture.OperatorName, NodeFixture.OperatorKey, AckTimeout)),
    };

    private interface ICorpusSession : IAsyncDisposable
    {
        Task<CorpusOutcome> SendAsync(CorpusCase corpusCase);
    }

    private sealed class MqttSession(Func<Task<TestMqttClient>> connect) : ICorpusSession
    {
        private TestMqttClient? _client;

        public async Task<CorpusOutcome> SendAsync(CorpusCase corpusCase)
        {
            if (_client is not { IsConnected: true })
            {
                await DisposeAsync();
                try
                {
                    _client = await connect();
                }
                catch (Exception ex)
                {
                    return CorpusOutcome.NoAck(false, $"not sent: the session could not connect again ({ex.GetType().Name}: {ex.Message})");
                }
            }

            var publish = _client.PublishAsync(corpusCase.TopicText, corpusCase.Payload, qos: 1, configure: corpusCase.TokenProperty is { } token
                ? b => b.WithUserProperty("auth_token", Encoding.UTF8.GetBytes(token))
                : null);
            try
            {
                var ack = await publish.WaitAsync(AckTimeout);
                return new CorpusOutcome((int)ack.ReasonCode, ack.ReasonString, !_client.IsConnected);
            }
            catch (TimeoutException)
            {
                _ = publish.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                await DisposeAsync();
                return CorpusOutcome.NoAck(false, $"no PUBACK within {AckTimeout.TotalSeconds:0} s");
            }
            catch (Exception ex)
            {
                // MQTTnet's client throws here when the connection ended (a DISCONNECT, a reset). It may not
                // say so in IsConnected yet: start the next case on a new connection.
                await DisposeAsync();
                return CorpusOutcome.NoAck(true, $"no PUBACK, connection closed: {ex.GetType().Name}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                try
                {
                    await _client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1));
                }
                catch (Exception)
                {
                    // Already broken: nothing more to close.
                }

                _client = null;
            }
        }
    }

    private sealed class RawSession(Func<Task<RawMqttClient>> connect) : ICorpusSession
    {
        private RawMqttClient? _client;

        public async Task<CorpusOutcome> SendAsync(CorpusCase corpusCase)
        {
            if (_client is null)
            {
                try
                {
                    _client = await connect();
                }
                catch (Exception ex)
                {
                    return CorpusOutcome.NoAck(false, $"not sent: the session could not connect again ({ex.GetType().Name}: {ex.Message})");
                }
            }

            var result = await _client.PublishAsync(corpusCase.Topic, corpusCase.Payload, AckTimeout);
            if (result.ReasonCode is { } reasonCode)
            {
                return new CorpusOutcome(reasonCode, result.ReasonString, false);
            }

            await DisposeAsync();
            return result.Ended is { } ended
                ? CorpusOutcome.NoAck(true, $"no PUBACK, connection ended: {ended}")
                : CorpusOutcome.NoAck(false, $"no PUBACK within {AckTimeout.TotalSeconds:0} s");
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
                _client = null;
            }
        }
    }
}
