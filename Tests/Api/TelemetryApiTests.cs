using System.Globalization;
using System.Net;
using System.Text.Json;
using Orleans.IoT.Tests.Durable;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Api;

/// <summary>The telemetry endpoints in the embedded default: history in memory.</summary>
[Collection(NodeCollection.Name)]
public sealed class InMemoryTelemetryApiTests(NodeFixture node) : TelemetryApiTests(node);

/// <summary>The same in the durable profile: history in PostgreSQL, buckets computed there.</summary>
[Collection(DurableCollection.Name)]
public sealed class DurableTelemetryApiTests(DurableNodeFixture node) : TelemetryApiTests(node);

/// <summary>
/// <c>GET /api/v1/devices/{id}/telemetry[/{sensor_type}]</c> against readings sent over MQTT with QoS 1 (acknowledged only
/// once stored), checked against what was sent: raw pages, buckets, the range, the cursor, every refusal, the latest.
/// </summary>
public abstract class TelemetryApiTests(NodeFixture node)
{
    /// <summary>2025-03-10T08:00:13Z: not on a minute, so that the first bucket of a range starts before it.</summary>
    private const double Base = 1_741_593_613;

    private const double Origin = 946_684_800; // 2000-01-01T00:00:00Z

    [Theory]
    [InlineData("1m", 60, "PT1M")]
    [InlineData("90s", 90, "PT1M30S")]
    [InlineData("PT5M", 300, "PT5M")]
    [InlineData("1h", 3600, "PT1H")]
    [InlineData("P1DT12H", 129_600, "P1DT12H")]
    public async Task Buckets_hold_the_min_max_avg_and_count_of_the_readings_sent(string bucket, int seconds, string shown)
    {
        var sent = Series(60, i => Base + i * 7 + (i % 5 == 0 ? 0.5 : 0));
        var deviceId = await SendAsync("temperature", sent);
        using var api = Api();

        var page = await api.GetJsonAsync(History(deviceId, "temperature", $"from={Base - 60}&to={Base + 1000}&bucket={bucket}"));

        Assert.Equal(shown, page.GetProperty("bucket").GetString());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("readings").ValueKind);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next_cursor").ValueKind);
        AssertBuckets(Buckets(sent, seconds), page.GetProperty("buckets"));
    }

    [Fact]
    public async Task Bucket_pages_split_no_bucket_skip_gaps_and_together_make_the_whole()
    {
        // Two stretches an hour apart: the walk goes from one to the other without empty pages.
        var sent = Series(30, i => Base + i * 10).Concat(Series(30, i => Base + 7200 + i * 10, offset: 30)).ToList();
        var deviceId = await SendAsync("pressure", sent);
        using var api = Api();
        var query = $"from={Base}&to={Base + 86400}&bucket=1m";

        var whole = await api.GetJsonAsync(History(deviceId, "pressure", query));
        var pages = await WalkAsync(api, deviceId, "pressure", query, limit: 3);

        var expected = Buckets(sent, 60);
        AssertBuckets(expected, whole.GetProperty("buckets"));
        Assert.All(pages, p => Assert.InRange(p.GetProperty("buckets").GetArrayLength(), 1, 3));
        var walked = pages.SelectMany(p => p.GetProperty("buckets").EnumerateArray()).ToList();
        Assert.Equal(expected.Count, walked.Count);
        Assert.Equal(walked.Count, walked.Select(b => b.GetProperty("start").GetDateTimeOffset()).Distinct().Count());
        AssertBuckets(expected, JsonSerializer.SerializeToElement(walked));
        Assert.All(pages, p => Assert.Equal("PT1M", p.GetProperty("bucket").GetString()));
    }

    [Fact]
    public async Task Raw_pages_return_every_reading_once_in_time_order()
    {
        var sent = Series(50, i => Base + i * 3 + (i % 4 == 0 ? 0.25 : 0));
        var deviceId = await SendAsync("humidity", sent);
        using var api = Api();

        var pages = await WalkAsync(api, deviceId, "humidity", $"from={Base}&to={Base + 3600}", limit: 7);

        Assert.Equal(8, pages.Count);
        Assert.All(pages[..^1], p => Assert.Equal(7, p.GetProperty("readings").GetArrayLength()));
        var readings = pages.SelectMany(p => p.GetProperty("readings").EnumerateArray()).ToList();
        Assert.Equal(sent.Select(r => Time(r.Timestamp)), readings.Select(r => r.GetProperty("timestamp").GetDateTimeOffset()));
        Assert.Equal(sent.Select(r => r.Value), readings.Select(r => r.GetProperty("value").GetDouble()));
        Assert.Equal(sent.Select(r => r.Quality), readings.Select(r => r.GetProperty("quality").GetString()));
        Assert.All(readings, r => Assert.Equal("unit-x", r.GetProperty("unit").GetString()));
        Assert.All(pages, p => Assert.Equal(JsonValueKind.Null, p.GetProperty("bucket").ValueKind));
        Assert.All(pages, p => Assert.Equal(JsonValueKind.Null, p.GetProperty("buckets").ValueKind));
    }

    [Fact]
    public async Task The_range_holds_readings_from_from_up_to_but_not_including_to()
    {
        var sent = Series(10, i => Base + i);
        var deviceId = await SendAsync("voltage", sent);
        using var api = Api();
        var from = Rfc3339(Base + 2);

        var raw = await api.GetJsonAsync(History(deviceId, "voltage", $"from={from}&to={Base + 5}"));
        var bucketed = await api.GetJsonAsync(History(deviceId, "voltage", $"from={from}&to={Base + 5}&bucket=1h"));

        Assert.Equal(sent[2..5].Select(r => r.Value), raw.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("value").GetDouble()));
        Assert.Equal(Time(Base + 2), raw.GetProperty("from").GetDateTimeOffset());
        Assert.Equal(Time(Base + 5), raw.GetProperty("to").GetDateTimeOffset());
        AssertBuckets(Buckets(sent[2..5], 3600), bucketed.GetProperty("buckets"));
    }

    [Fact]
    public async Task Without_from_and_to_the_last_24_hours_up_to_now_are_read()
    {
        var now = Math.Floor(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        var sent = new List<Sent> { new(now - 25 * 3600, 1, "good"), new(now - 3600, 2, "good"), new(now - 10, 3, "good") };
        var deviceId = await SendAsync("current", sent);
        using var api = Api();

        var page = await api.GetJsonAsync(History(deviceId, "current", ""));

        Assert.Equal([2.0, 3.0], page.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("value").GetDouble()));
        var (from, to) = (page.GetProperty("from").GetDateTimeOffset(), page.GetProperty("to").GetDateTimeOffset());
        Assert.Equal(TimeSpan.FromHours(24), to - from);
        Assert.InRange(to, Time(now - 60), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task A_device_or_sensor_without_readings_has_an_empty_history()
    {
        using var api = Api();

        var raw = await api.GetJsonAsync(History($"never-{Guid.NewGuid():N}", "temperature", ""));
        var bucketed = await api.GetJsonAsync(History($"never-{Guid.NewGuid():N}", "temperature", "bucket=5m"));

        Assert.Equal(0, raw.GetProperty("readings").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, raw.GetProperty("next_cursor").ValueKind);
        Assert.Equal(0, bucketed.GetProperty("buckets").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, bucketed.GetProperty("next_cursor").ValueKind);
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        { "from=yesterday", "from" },
        { "from=1999-12-31T23:59:59Z", "from" },
        { "to=2026-13-01T00:00:00Z", "to" },
        { "to=-5", "to" },
        { "from=1741593600&to=1741593600", "from must lie before to" },
        { "from=1741593700&to=1741593600", "from must lie before to" },
        { "bucket=5x", "bucket" },
        { "bucket=5", "bucket" },
        { "bucket=0s", "bucket" },
        { "bucket=-5m", "bucket" },
        { "bucket=1.5m", "bucket" },
        { "bucket=367d", "bucket" },
        { "bucket=PT", "bucket" },
        { "bucket=P1H", "bucket" },
        { "bucket=PT1D", "bucket" },
        { "bucket=PT0.5S", "bucket" },
        { "bucket=PT0S", "bucket" },
        { "bucket=P1M", "bucket" },
        { "limit=0", "limit" },
        { "limit=abc", "limit" },
        { "limit=10001", "limit" },
        { "bucket=1m&limit=10001", "limit" },
        { "cursor=garbage", "cursor" },
        { "cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cursor" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_query_is_refused_naming_the_parameter(string query, string named)
    {
        using var api = Api();

        using var response = await api.GetAsync(History("some-device", "temperature", query));

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(named, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/v1/devices/bad$id/telemetry/temperature", "device_id")]
    [InlineData("/api/v1/devices/data/telemetry/temperature", "device_id")]
    [InlineData("/api/v1/devices/-dash/telemetry/temperature", "device_id")]
    [InlineData("/api/v1/devices/some-device/telemetry/temp:c", "sensor_type")]
    [InlineData("/api/v1/devices/some-device/telemetry/%C3%A9t%C3%A9", "sensor_type")]
    [InlineData("/api/v1/devices/some-device/telemetry/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sensor_type")]
    [InlineData("/api/v1/devices/bad$id/telemetry", "device_id")]
    [InlineData("/api/v1/devices/register/telemetry", "device_id")]
    public async Task A_bad_identifier_in_the_path_is_refused_naming_it(string path, string named)
    {
        using var api = Api();

        using var response = await api.GetAsync(path);

        var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
        Assert.StartsWith(named, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_cursor_altered_or_taken_to_another_query_is_refused()
    {
        var sent = Series(5, i => Base + i);
        var deviceId = await SendAsync("temperature", sent);
        using var api = Api();
        var query = $"from={Base}&to={Base + 60}";
        var cursor = (await api.GetJsonAsync(History(deviceId, "temperature", query + "&limit=2"))).GetProperty("next_cursor").GetString()!;
        var altered = cursor[..10] + (cursor[10] == 'A' ? 'B' : 'A') + cursor[11..];

        string[] refused =
        [
            History(deviceId, "temperature", $"cursor={altered}"),
            History(deviceId, "temperature", $"cursor={cursor[..^1]}"),
            History(deviceId, "humidity", $"cursor={cursor}"),
            History(deviceId + "x", "temperature", $"cursor={cursor}"),
            History(deviceId, "temperature", $"cursor={cursor}&from={Base + 1}"),
            History(deviceId, "temperature", $"cursor={cursor}&to={Base + 61}"),
            History(deviceId, "temperature", $"cursor={cursor}&bucket=1m"),
        ];
        foreach (var path in refused)
        {
            using var response = await api.GetAsync(path);
            var problem = await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, ErrorCodes.ValidationFailed);
            Assert.StartsWith("cursor", problem.GetProperty("detail").GetString());
        }

        // The query it was issued for, given again, is the cursor's own.
        var same = await api.GetJsonAsync(History(deviceId, "temperature", $"{query}&cursor={cursor}&limit=2"));
        Assert.Equal(sent[2..4].Select(r => r.Value), same.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task The_latest_reading_of_each_sensor_is_the_newest_by_device_time()
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using (var device = await node.ConnectAsync(deviceId, token))
        {
            await PublishAsync(device, deviceId, "temperature", new Sent(Base + 60, 22.5, "good"));
            await PublishAsync(device, deviceId, "temperature", new Sent(Base, 19, "good"));
            await PublishAsync(device, deviceId, "humidity", new Sent(Base + 30.5, 41, "estimated"));
        }

        using var api = Api();
        var telemetry = await api.GetJsonAsync($"/api/v1/devices/{deviceId}/telemetry");

        Assert.Equal(deviceId, telemetry.GetProperty("device_id").GetString());
        var latest = telemetry.GetProperty("latest");
        Assert.Equal(["humidity", "temperature"], latest.EnumerateObject().Select(p => p.Name));
        Assert.Equal(22.5, latest.GetProperty("temperature").GetProperty("value").GetDouble());
        Assert.Equal(Time(Base + 60), latest.GetProperty("temperature").GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("unit-x", latest.GetProperty("temperature").GetProperty("unit").GetString());
        Assert.Equal(Time(Base + 30.5), latest.GetProperty("humidity").GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("estimated", latest.GetProperty("humidity").GetProperty("quality").GetString());
    }

    [Fact]
    public async Task Latest_readings_of_a_registered_device_without_readings_are_empty_and_of_an_unknown_device_404()
    {
        var (deviceId, _) = await node.RegisterDeviceAsync();
        using var api = Api();

        var none = await api.GetJsonAsync($"/api/v1/devices/{deviceId}/telemetry");
        using var unknown = await api.GetAsync($"/api/v1/devices/never-{Guid.NewGuid():N}/telemetry");

        Assert.Empty(none.GetProperty("latest").EnumerateObject());
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.NotRegistered);
    }

    private sealed record Sent(double Timestamp, double Value, string Quality);

    private sealed record Bucket(DateTimeOffset Start, double Min, double Max, double Avg, long Count);

    private ApiClient Api() => new(node.HttpPort, NodeFixture.OperatorKey);

    private static string History(string deviceId, string sensorType, string query) =>
        $"/api/v1/devices/{deviceId}/telemetry/{sensorType}" + (query.Length > 0 ? "?" + query : "");

    /// <summary>Values that are multiples of 0.25, so that their sums are exact in any order.</summary>
    private static List<Sent> Series(int count, Func<int, double> timestamp, int offset = 0) =>
        [.. Enumerable.Range(0, count).Select(i => new Sent(timestamp(i), ((i + offset) * 37 % 41) * 0.25 - 3, i % 3 == 0 ? "degraded" : "good"))];

    /// <summary>Registers a device and sends <paramref name="readings"/> with QoS 1, each acknowledged once stored.</summary>
    private async Task<string> SendAsync(string sensorType, IReadOnlyList<Sent> readings)
    {
        var (deviceId, token) = await node.RegisterDeviceAsync();
        await using var device = await node.ConnectAsync(deviceId, token);
        foreach (var reading in readings)
        {
            await PublishAsync(device, deviceId, sensorType, reading);
        }

        return deviceId;
    }

    private static async Task PublishAsync(TestMqttClient device, string deviceId, string sensorType, Sent reading)
    {
        var payload = string.Create(CultureInfo.InvariantCulture,
            $$"""{"value":{{reading.Value:R}},"unit":"unit-x","quality":"{{reading.Quality}}","timestamp":{{reading.Timestamp:R}}}""");
        var ack = await device.PublishAsync($"iot/devices/data/{deviceId}/{sensorType}", payload, qos: 1);
        Assert.True(ack.IsSuccess, $"{ack.ReasonCode} {ack.ReasonString}");
    }

    /// <summary>Reads <paramref name="query"/> in pages of <paramref name="limit"/>, following next_cursor alone to the end.</summary>
    private static async Task<List<JsonElement>> WalkAsync(ApiClient api, string deviceId, string sensorType, string query, int limit)
    {
        var pages = new List<JsonElement> { await api.GetJsonAsync(History(deviceId, sensorType, $"{query}&limit={limit}")) };
        while (pages[^1].GetProperty("next_cursor").GetString() is { } cursor)
        {
            Assert.True(pages.Count < 100, "the walk ends");
            pages.Add(await api.GetJsonAsync(History(deviceId, sensorType, $"cursor={cursor}&limit={limit}")));
        }

        return pages;
    }

    /// <summary>The buckets of <paramref name="seconds"/> the readings fall in, aligned on 2000-01-01, as the API must give them.</summary>
    private static List<Bucket> Buckets(IEnumerable<Sent> readings, int seconds) =>
    [
        .. readings
            .GroupBy(r => Origin + Math.Floor((r.Timestamp - Origin) / seconds) * seconds)
            .OrderBy(g => g.Key)
            .Select(g => new Bucket(Time(g.Key), g.Min(r => r.Value), g.Max(r => r.Value), g.Sum(r => r.Value) / g.Count(), g.Count())),
    ];

    private static void AssertBuckets(List<Bucket> expected, JsonElement actual)
    {
        var buckets = actual.EnumerateArray().Select(b => new Bucket(
            b.GetProperty("start").GetDateTimeOffset(),
            b.GetProperty("min").GetDouble(),
            b.GetProperty("max").GetDouble(),
            b.GetProperty("avg").GetDouble(),
            b.GetProperty("count").GetInt64())).ToList();
        Assert.Equal(expected, buckets);
    }

    private static DateTimeOffset Time(double unixSeconds) => DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(unixSeconds * 10_000_000));

    private static string Rfc3339(double unixSeconds) => Time(unixSeconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture);
}
