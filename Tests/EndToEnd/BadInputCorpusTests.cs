using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.IoT.Silo.Adapters.Memory;
using Xunit.Abstractions;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>
/// The bad-input bar (DESIGN §5) over real MQTT: every message of <see cref="BadInputCorpus"/> is
/// acknowledged with its code and a reason string that neither holds control characters nor echoes the
/// input; afterwards no process crashed, no other client lost its connection, nothing was stored or
/// changed, and each device's next valid reading is stored and republished.
/// </summary>
public abstract class BadInputCorpusTests<TNode>(TNode node, ITestOutputHelper output)
    where TNode : NodeFixture
{
    private const int Seed = 20_260_214;
    private static readonly TimeSpan EndWait = TimeSpan.FromSeconds(5);

    protected TNode Node { get; } = node;

    /// <summary>How many readings the node's history holds for <paramref name="deviceId"/> (over <paramref name="sensorTypes"/> where it must be asked by type).</summary>
    protected abstract long StoredReadings(string deviceId, IEnumerable<string> sensorTypes);

    [Fact]
    public async Task Every_malformed_message_is_refused_with_its_code_and_changes_nothing()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var corpus = BadInputCorpus.Generate(Seed, tag, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), NodeFixture.MaxPayloadBytes);
        output.WriteLine($"{corpus.Cases.Count} cases: {string.Join(", ", corpus.Cases.CountBy(c => c.Kind).Select(k => $"{k.Key} {k.Value}"))}");
        var tokens = (await Task.WhenAll(corpus.Devices.Select(id => Node.RegisterDeviceAsync(id)))).ToDictionary(d => d.DeviceId, d => d.Token);
        await using var watcher = await Node.ConnectAsync(NodeFixture.OperatorName, NodeFixture.OperatorKey, $"c{tag}-watcher");
        await watcher.SubscribeAsync("analytics/#");
        var (bystanderA, tokenA) = await Node.RegisterDeviceAsync();
        var (bystanderB, tokenB) = await Node.RegisterDeviceAsync();
        await using var deviceA = await Node.ConnectAsync(bystanderA, tokenA);
        await using var deviceB = await Node.ConnectAsync(bystanderB, tokenB);
        var statesBefore = await StatesAsync(corpus.Devices);
        var storedBefore = corpus.Devices.ToDictionary(id => id, id => StoredReadings(id, corpus.SensorTypesOf(id)));

        var outcomes = await new CorpusRunner(Node, corpus, tokens, tag).RunAsync();

        var problems = new List<string>();
        var failures = corpus.Cases
            .Select(c => (Case: c, Problem: CorpusVerdict.Judge(c, outcomes[c])))
            .Where(f => f.Problem is not null)
            .Select(f => (f.Case, f.Problem!))
            .ToList();
        if (failures.Count > 0)
        {
            problems.Add(CorpusVerdict.Report(failures, corpus.Cases.Count));
        }

        // MQTTnet's client does not reconnect by itself: one still connected never lost its connection.
        foreach (var (name, client) in new[] { ("the operator watching analytics/#", watcher), ("bystander A", deviceA), ("bystander B", deviceB) })
        {
            if (!client.IsConnected)
            {
                problems.Add($"{name} lost its connection during the corpus");
            }
        }

        foreach (var (id, client) in new[] { (bystanderA, deviceA), (bystanderB, deviceB) })
        {
            problems.AddRange(await AcceptedAsync(client, $"iot/devices/data/{id}/temperature", """{"value":20}""", "a bystander's reading after the corpus"));
        }

        problems.AddRange(await AFreshClientIsServedAsync());
        problems.AddRange(await NothingChangedAsync(corpus, statesBefore, storedBefore));
        problems.AddRange(await NextReadingsAsync(corpus, tokens, watcher));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// A PUBLISH whose fixed header claims 64 MiB, far over the broker's maximum packet size (advertised in
    /// CONNACK): the broker ends that connection without waiting for the body (MQTT 5 §3.2.2.3.6: DISCONNECT 0x95
    /// or just the end of the connection), and only that one.
    /// </summary>
    [Fact]
    public async Task A_packet_over_the_maximum_packet_size_ends_only_its_own_connection()
    {
        const int claimedLength = 64 * 1024 * 1024;
        var (deviceId, token) = await Node.RegisterDeviceAsync();
        await using var bystander = await Node.ConnectAsync(deviceId, token);
        await using var raw = await RawMqttClient.ConnectAsync(Node.MqttPort, $"big-{Guid.NewGuid():N}", null, null, CorpusRunner.AckTimeout);

        byte[] start = [.. RawMqttClient.PublishHeader("iot/devices/data/big/temperature"u8, 1, claimedLength), .. """{"value":21.5,"pad":" """u8];
        var ended = await raw.SendAsync(start, EndWait) ?? await raw.WaitForEndAsync(EndWait);

        var problems = new List<string>();
        if (ended is null)
        {
            problems.Add($"the connection was still open {EndWait.TotalSeconds:0} s after a PUBLISH header claiming {claimedLength} bytes (the broker waits for the body)");
        }
        else if (ended.StartsWith("DISCONNECT", StringComparison.Ordinal) && ended != "DISCONNECT 0x95")
        {
            problems.Add($"the broker ended the connection with {ended}; MQTT 5 says 0x95 (Packet too large)");
        }

        if (raw.MaximumPacketSize is not { } maximum || maximum <= NodeFixture.MaxPayloadBytes || maximum >= claimedLength)
        {
            problems.Add($"CONNACK advertised Maximum Packet Size {raw.MaximumPacketSize?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; " +
                $"expected one above Mqtt:MaxPayloadBytes ({NodeFixture.MaxPayloadBytes}) and below {claimedLength}");
        }

        if (!bystander.IsConnected)
        {
            problems.Add("another device lost its connection");
        }
        else
        {
            problems.AddRange(await AcceptedAsync(bystander, $"iot/devices/data/{deviceId}/temperature", """{"value":20}""", "another device's reading afterwards"));
        }

        problems.AddRange(await AFreshClientIsServedAsync());
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task<IEnumerable<string>> AcceptedAsync(TestMqttClient client, string topic, string payload, string what)
    {
        try
        {
            var ack = await client.PublishAsync(topic, payload).WaitAsync(CorpusRunner.AckTimeout);
            return ack.IsSuccess ? [] : [$"{what} was refused: {ack.ReasonCode} {ack.ReasonString}"];
        }
        catch (Exception ex)
        {
            return [$"{what} got no PUBACK: {ex.GetType().Name}"];
        }
    }

    /// <summary>The node still serves: a new device registers, connects and has a reading acknowledged.</summary>
    private async Task<IEnumerable<string>> AFreshClientIsServedAsync()
    {
        try
        {
            var (id, token) = await Node.RegisterDeviceAsync();
            await using var fresh = await Node.ConnectAsync(id, token);
            return await AcceptedAsync(fresh, $"iot/devices/data/{id}/temperature", """{"value":20}""", "a new device's reading");
        }
        catch (Exception ex)
        {
            return [$"a new client could not register and connect: {ex.GetType().Name}: {ex.Message}"];
        }
    }

    /// <summary>No reading stored, no device state changed, no registration made by any refused message.</summary>
    private async Task<IEnumerable<string>> NothingChangedAsync(
        BadInputCorpus corpus, IReadOnlyDictionary<string, string[]> statesBefore, IReadOnlyDictionary<string, long> storedBefore)
    {
        var problems = new List<string>();
        var statesAfter = await StatesAsync(corpus.Devices);
        foreach (var id in corpus.Devices)
        {
            var stored = StoredReadings(id, corpus.SensorTypesOf(id)) - storedBefore[id];
            if (stored != 0)
            {
                problems.Add($"{stored} reading(s) stored for {id} by refused messages");
            }

            var changed = statesBefore[id].Zip(statesAfter[id]).Where(s => s.First != s.Second).Select(s => $"{Shorten(s.First)} -> {Shorten(s.Second)}").ToList();
            if (changed.Count > 0)
            {
                problems.Add($"the state of {id} changed: {string.Join("; ", changed)}");
            }
        }

        var registered = (await Task.WhenAll(corpus.RegistrationIds.Select(async id => (Id: id, (await Node.Grains.GetGrain<IDeviceGrain>(id).GetSnapshot()).Registered))))
            .Where(r => r.Registered)
            .Select(r => CorpusVerdict.Printable(r.Id))
            .ToList();
        if (registered.Count > 0)
        {
            problems.Add($"{registered.Count} refused registration(s) registered their device: {string.Join(", ", registered.Take(10))}{(registered.Count > 10 ? ", ..." : "")}");
        }

        return problems;
    }

    /// <summary>Each corpus device's next valid reading is acknowledged, stored once and republished on analytics/sensor_data.</summary>
    private async Task<IEnumerable<string>> NextReadingsAsync(
        BadInputCorpus corpus, IReadOnlyDictionary<string, string> tokens, TestMqttClient watcher)
    {
        var devices = corpus.Devices.ToList();
        var storedBefore = devices.ToDictionary(id => id, id => StoredReadings(id, corpus.SensorTypesOf(id)));
        var sent = await Task.WhenAll(devices.Select(async (id, i) =>
        {
            try
            {
                await using var device = await Node.ConnectAsync(id, tokens[id]);
                return (await AcceptedAsync(device, $"iot/devices/data/{id}/{BadInputCorpus.FinalSensorType}", $$"""{"value":{{1000 + i}}}""", $"the next valid reading of {id}")).ToList();
            }
            catch (Exception ex)
            {
                return [$"{id} could not connect after the corpus: {ex.GetType().Name}: {ex.Message}"];
            }
        }));
        var problems = sent.SelectMany(p => p).ToList();
        foreach (var id in devices)
        {
            var stored = StoredReadings(id, corpus.SensorTypesOf(id)) - storedBefore[id];
            if (stored != 1)
            {
                problems.Add($"{stored} reading(s) stored for {id} after its valid reading; expected 1");
            }
        }

        var expected = devices.Select((id, i) => (id, Value: 1000.0 + i)).ToDictionary(d => d.id, d => d.Value);
        try
        {
            while (expected.Count > 0)
            {
                var reading = await watcher.WaitForJsonAsync($"analytics/sensor_data/{BadInputCorpus.FinalSensorType}");
                var id = reading.GetProperty("device_id").GetString()!;
                if (expected.Remove(id, out var value) && reading.GetProperty("value").GetDouble() != value)
                {
                    problems.Add($"{id}'s reading was republished with value {reading.GetProperty("value")}; it sent {value}");
                }
            }
        }
        catch (TimeoutException)
        {
            problems.Add($"no republished reading on analytics/sensor_data/{BadInputCorpus.FinalSensorType} for {string.Join(", ", expected.Keys)}");
        }

        return problems;
    }

    /// <summary>What a refused message must not change in each device grain (presence and last_seen aside), field by field.</summary>
    private async Task<Dictionary<string, string[]>> StatesAsync(IEnumerable<string> deviceIds)
    {
        var states = await Task.WhenAll(deviceIds.Select(async id => (Id: id, State: Describe(await Node.Grains.GetGrain<IDeviceGrain>(id).GetSnapshot()))));
        return states.ToDictionary(s => s.Id, s => s.State);
    }

    private static string[] Describe(DeviceSnapshot s) =>
    [
        $"registered={s.Registered}",
        $"name={s.Name} type={s.Type} firmware={s.FirmwareVersion} hardware={s.HardwareVersion} location={s.Location} capabilities=[{string.Join(",", s.Capabilities)}]",
        $"status={s.Status} {s.StatusExtraJson}",
        s.Metrics.ToString(),
        "latest=" + string.Join(";", s.Latest.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r =>
            string.Create(CultureInfo.InvariantCulture, $"{r.Key}={r.Value.Value}@{r.Value.Timestamp} {r.Value.Unit} {r.Value.Quality}"))),
    ];

    private static string Shorten(string text)
    {
        var printable = CorpusVerdict.Printable(text);
        return printable.Length <= 120 ? printable : printable[..120] + "...";
    }
}

[Collection(NodeCollection.Name)]
public sealed class EmbeddedBadInputCorpusTests(NodeFixture node, ITestOutputHelper output) : BadInputCorpusTests<NodeFixture>(node, output)
{
    protected override long StoredReadings(string deviceId, IEnumerable<string> sensorTypes)
    {
        var history = Node.Services.GetRequiredService<InMemorySensorHistory>();
        return sensorTypes.Sum(sensorType => (long)history.Read(deviceId, sensorType).Count);
    }
}
