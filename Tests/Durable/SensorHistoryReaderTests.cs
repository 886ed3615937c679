using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.IoT.Silo.Adapters.Memory;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Durable;

/// <summary>
/// The two history readers given the same readings answer every read alike, page for page: PostgreSQL's (the durable
/// node's own, buckets by <c>date_bin</c>) and the in-memory one.
/// </summary>
[Collection(DurableCollection.Name)]
public sealed class SensorHistoryReaderTests(DurableNodeFixture node)
{
    private const double Base = 1_741_593_613.25; // 2025-03-10T08:00:13.25Z

    private const double Resent = 1000;

    [Fact]
    public async Task Both_readers_give_the_same_pages_of_readings_and_buckets()
    {
        var deviceId = $"history-{Guid.NewGuid():N}";
        var postgres = node.Services.GetRequiredService<PostgresSensorHistory>();
        var memory = new InMemorySensorHistory(Options.Create(new HistoryOptions()));
        var readings = Readings(deviceId);
        foreach (var reading in readings)
        {
            await postgres.AppendAsync(reading, CancellationToken.None);
            await memory.AppendAsync(reading, CancellationToken.None);
        }

        var last = readings.Max(r => r.Timestamp);
        // Of a reading sent twice, both keep the first.
        var resent = Time(readings.Single(r => r.Value == Resent).Timestamp);
        foreach (var reader in new ISensorHistoryReader[] { memory, postgres })
        {
            var page = await reader.ReadAsync(new SensorHistoryRange(deviceId, "temperature", resent, resent.AddTicks(10)), 10, CancellationToken.None);
            Assert.NotEqual(Resent, Assert.Single(page.Readings).Value);
        }

        (double From, double To)[] ranges =
        [
            (Base - 3600, last + 3600),
            (Base + 100.000_001, Base + 7300.5),
            (Base + 400, Base + 7000), // inside the gap: nothing
            (last + 1, last + 86400),
        ];
        foreach (var (from, to) in ranges)
        {
            var range = new SensorHistoryRange(deviceId, "temperature", Time(from), Time(to));
            foreach (var limit in new[] { 1, 7, 1000 })
            {
                var expected = await WalkReadingsAsync(memory, range, limit);
                Assert.Equal(expected, await WalkReadingsAsync(postgres, range, limit));
                Assert.Equal(
                    readings.Where(r => r.DeviceId == deviceId && r.SensorType == "temperature" && r.Timestamp >= from && r.Timestamp < to).DistinctBy(r => r.Timestamp).Count(),
                    expected.Count(r => r is RecordedReading));
            }

            foreach (var width in new[] { 1, 60, 90, 3600, 86400 })
            {
                var whole = await WalkBucketsAsync(memory, range, width, SensorHistory.MaxBuckets);
                foreach (var limit in new[] { 1, 3, 1000 })
                {
                    var expected = await WalkBucketsAsync(memory, range, width, limit);
                    Assert.Equal(expected, await WalkBucketsAsync(postgres, range, width, limit));
                    Assert.Equal(whole.OfType<ReadingBucket>(), expected.OfType<ReadingBucket>());
                }
            }
        }
    }

    /// <summary>
    /// Two stretches of one sensor two hours apart, at uneven steps with microsecond fractions, values multiples of 0.25
    /// (so that sums are exact in any order), appended out of time order with a resend; and a neighbouring sensor and device.
    /// </summary>
    private static List<SensorReading> Readings(string deviceId)
    {
        var random = new Random(12);
        var readings = new List<SensorReading>();
        var at = Base;
        for (var i = 0; i < 200; i++)
        {
            at += i == 100 ? 7200 : random.Next(1, 40) + random.Next(0, 1000) / 1000.0 + (i % 7 == 0 ? 0.000_123 : 0);
            readings.Add(new SensorReading(deviceId, "temperature", random.Next(-40, 200) * 0.25, "celsius", at, i % 5 == 0 ? "estimated" : "good"));
        }

        var shuffled = readings.OrderBy(_ => random.Next()).ToList();
        shuffled.Add(readings[10] with { Value = Resent });
        shuffled.AddRange(readings.Take(50).Select(r => r with { SensorType = "humidity", Value = -1 }));
        shuffled.AddRange(readings.Take(50).Select(r => r with { DeviceId = deviceId + "-x", Value = -2 }));
        return shuffled;
    }

    /// <summary>Every page's readings and then its <c>Next</c>, from the range's start to its end.</summary>
    private static async Task<List<object?>> WalkReadingsAsync(ISensorHistoryReader reader, SensorHistoryRange range, int limit)
    {
        var walk = new List<object?>();
        for (var next = (DateTimeOffset?)range.From; next is { } from;)
        {
            var page = await reader.ReadAsync(range with { From = from }, limit, CancellationToken.None);
            Assert.True(page.Readings.Count <= limit);
            walk.AddRange(page.Readings);
            walk.Add(next = page.Next);
        }

        return walk;
    }

    private static async Task<List<object?>> WalkBucketsAsync(ISensorHistoryReader reader, SensorHistoryRange range, int widthSeconds, int limit)
    {
        var walk = new List<object?>();
        for (var next = (DateTimeOffset?)range.From; next is { } from;)
        {
            var page = await reader.ReadBucketsAsync(range with { From = from }, TimeSpan.FromSeconds(widthSeconds), limit, CancellationToken.None);
            Assert.True(page.Buckets.Count <= limit);
            Assert.True(page.Buckets.Count > 0 || page.Next is null, "a page is empty only when nothing is left");
            walk.AddRange(page.Buckets);
            walk.Add(next = page.Next);
        }

        return walk;
    }

    private static DateTimeOffset Time(double unixSeconds) => SensorHistory.StoredTime(unixSeconds);
}
