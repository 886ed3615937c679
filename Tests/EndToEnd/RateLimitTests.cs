using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using Orleans.IoT.Gateway.RateLimiting;
using Xunit.Abstractions;

namespace Orleans.IoT.Tests.EndToEnd;

/// <summary>A node with small rate limits, so that floods reach them quickly.</summary>
public sealed class RateLimitedNodeFixture : NodeFixture
{
    public const int MaxMessages = 100;
    public const int MaxRegistrationsPerClient = 3;
    public const int MaxRegistrationsPerDevice = 4;

    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--RateLimit:MaxMessages={MaxMessages}",
        $"--RateLimit:MaxRegistrationsPerClient={MaxRegistrationsPerClient}",
        $"--RateLimit:MaxRegistrationsPerDevice={MaxRegistrationsPerDevice}",
    ];
}

/// <summary>The rate limits over MQTT: a flood is refused cheaply and slows no other device.</summary>
public sealed class RateLimitTests(RateLimitedNodeFixture node, ITestOutputHelper output) : IClassFixture<RateLimitedNodeFixture>
{
    private const string Registration = """{"name":"n","type":"t"}""";

    [Fact]
    public async Task A_flooding_device_is_refused_rate_limited_while_another_devices_readings_keep_their_latency()
    {
        const int inFlight = 8;
        const int samples = 25;
        var (flooderId, flooderToken) = await node.RegisterDeviceAsync();
        var (otherId, otherToken) = await node.RegisterDeviceAsync();
        await using var flooder = await node.ConnectAsync(flooderId, flooderToken);
        await using var other = await node.ConnectAsync(otherId, otherToken);
        await flooder.SubscribeAsync($"iot/devices/{flooderId}/errors");

        await ReadingLatenciesAsync(other, otherId, 5); // warm-up
        var baseline = await ReadingLatenciesAsync(other, otherId, samples);

        // Bounded in time and count; it runs until the other device's readings during it are measured.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var acks = new ConcurrentQueue<MqttClientPublishResult>();
        var refused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flood = Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && acks.Count < 20_000)
            {
                var ack = await flooder.PublishAsync($"iot/devices/data/{flooderId}/temperature", """{"value":21.5}""");
                acks.Enqueue(ack);
                if (ack.ReasonCode == MqttClientPublishReasonCode.QuotaExceeded)
                {
                    refused.TrySetResult();
                }
            }
        })));
        await refused.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var floodedBefore = acks.Count;
        var during = await ReadingLatenciesAsync(other, otherId, samples);
        var floodedDuring = acks.Count - floodedBefore;
        Assert.False(flood.IsCompleted, "the flood lasted while the other device's readings were measured");
        await stop.CancelAsync();
        await flood;

        Assert.Equal(RateLimitedNodeFixture.MaxMessages, acks.Count(a => a.IsSuccess));
        Assert.All(acks.Where(a => !a.IsSuccess), a =>
        {
            Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, a.ReasonCode);
            Assert.StartsWith("rate_limited", a.ReasonString);
        });
        output.WriteLine($"the other device's median acknowledgement latency: {Median(baseline):0.00} ms before, {Median(during):0.00} ms during a flood of {floodedDuring} messages");
        Assert.True(floodedDuring >= 10 * samples, $"the flood sent {floodedDuring} messages while the other device's readings were measured");
        AssertRetryAfter(await flooder.WaitForJsonAsync($"iot/devices/{flooderId}/errors"));
        Assert.NotNull(node.Services.GetRequiredService<RateLimitedDevices>().RetryAfter(flooderId)); // refused at the gateway since

        var replies = $"iot/devices/{flooderId}/replies";
        await flooder.SubscribeAsync(replies);
        await flooder.PublishAsync($"iot/devices/data/{flooderId}/temperature", """{"value":21.5}""", configure: b => b.WithResponseTopic(replies).WithCorrelationData([7]));
        AssertRetryAfter(JsonDocument.Parse((await flooder.WaitForAsync(replies)).ConvertPayloadToString()).RootElement);

        var baselineMedian = Median(baseline);
        var duringMedian = Median(during);
        var bound = Math.Max(5 * baselineMedian, baselineMedian + 50);
        Assert.True(duringMedian <= bound, $"the other device's median acknowledgement latency was {duringMedian:0.0} ms during the flood, {baselineMedian:0.0} ms before it; the bound is {bound:0.0} ms");
    }

    [Fact]
    public async Task A_registration_flood_from_one_client_is_refused_rate_limited_and_other_clients_are_not()
    {
        await using var client = await node.ConnectAsync();
        var ids = Enumerable.Range(0, RateLimitedNodeFixture.MaxRegistrationsPerClient + 3).Select(_ => $"dev-{Guid.NewGuid():N}").ToList();
        var over = ids[RateLimitedNodeFixture.MaxRegistrationsPerClient];
        await client.SubscribeAsync($"iot/devices/{over}/register/error");

        var acks = new List<MqttClientPublishResult>();
        foreach (var id in ids)
        {
            acks.Add(await client.PublishAsync($"iot/devices/register/{id}", Registration));
        }

        Assert.All(acks.Take(RateLimitedNodeFixture.MaxRegistrationsPerClient), a => Assert.True(a.IsSuccess, a.ReasonString));
        Assert.All(acks.Skip(RateLimitedNodeFixture.MaxRegistrationsPerClient), a =>
        {
            Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, a.ReasonCode);
            Assert.StartsWith("rate_limited", a.ReasonString);
        });
        AssertRetryAfter(await client.WaitForJsonAsync($"iot/devices/{over}/register/error"));
        Assert.False((await node.Grains.GetGrain<IDeviceGrain>(over).GetSnapshot()).Registered);

        var (another, _) = await node.RegisterDeviceAsync(over);
        Assert.Equal(over, another);
    }

    [Fact]
    public async Task An_operator_may_register_many_devices_from_one_client()
    {
        await using var operatorClient = await node.ConnectOperatorAsync();
        for (var i = 0; i < RateLimitedNodeFixture.MaxRegistrationsPerClient + 2; i++)
        {
            var ack = await operatorClient.PublishAsync($"iot/devices/register/dev-{Guid.NewGuid():N}", Registration);
            Assert.True(ack.IsSuccess, ack.ReasonString);
        }
    }

    [Fact]
    public async Task Registration_attempts_for_one_device_id_are_limited_whichever_clients_make_them()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        for (var i = 1; i < RateLimitedNodeFixture.MaxRegistrationsPerDevice; i++)
        {
            await using var guesser = await node.ConnectAsync();
            var guess = await guesser.PublishAsync($"iot/devices/register/{deviceId}", Registration);
            Assert.StartsWith("already_registered", guess.ReasonString);
        }

        await using var owner = await node.ConnectAsync();
        await owner.SubscribeAsync($"iot/devices/{deviceId}/register/error");
        var renewal = await owner.PublishAsync($"iot/devices/register/{deviceId}", $$"""{"name":"n","type":"t","auth_token":"{{token}}"}""");

        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, renewal.ReasonCode);
        AssertRetryAfter(await owner.WaitForJsonAsync($"iot/devices/{deviceId}/register/error"));
        await using var device = await node.ConnectAsync(deviceId, token); // the token still holds
    }

    private static void AssertRetryAfter(JsonElement error)
    {
        Assert.Equal("rate_limited", error.GetProperty("code").GetString());
        var retryAfter = error.GetProperty("retry_after").GetDouble();
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(Math.Floor(retryAfter), retryAfter);
    }

    /// <summary>Sends <paramref name="count"/> QoS 1 readings, one every 20 ms as a device reports; each one's time to its acknowledgement, in ms.</summary>
    private static async Task<List<double>> ReadingLatenciesAsync(TestMqttClient device, string deviceId, int count)
    {
        var latencies = new List<double>();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        for (var i = 0; i < count; i++)
        {
            await pace.WaitForNextTickAsync();
            var started = Stopwatch.GetTimestamp();
            var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/temperature", Encoding.UTF8.GetBytes("""{"value":20}"""));
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.True(ack.IsSuccess, $"the other device's reading was refused: {ack.ReasonCode} {ack.ReasonString}");
        }

        return latencies;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
