using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;
using Orleans.IoT.Tests.EndToEnd;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The history writer on its own, against the durable profile's PostgreSQL (its schema made by the node).</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresSensorHistoryTests(DurableNodeFixture node)
{
    private static readonly TimeSpan Settled = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_batch_holding_a_resent_reading_stores_each_reading_once_and_the_next_batches_still_commit()
    {
        await using var dataSource = node.CreateDataSource();
        // One writer that waits long enough for readings appended together to share a batch.
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 1, MaxBatchDelayMilliseconds = 200 });
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();
        SensorReading At(double timestamp) => new(deviceId, "temperature", timestamp, "celsius", 1_694_678_400 + timestamp, "good");

        await history.AppendAsync(At(0), CancellationToken.None);
        Assert.Equal(1, node.CountReadings(deviceId));

        // The resent reading makes the batch's COPY fail; the batch is merged instead, and neither caller sees an error.
        await Task.WhenAll(
            history.AppendAsync(At(0), CancellationToken.None).AsTask(),
            history.AppendAsync(At(1), CancellationToken.None).AsTask(),
            history.AppendAsync(At(2), CancellationToken.None).AsTask());
        Assert.Equal(3, node.CountReadings(deviceId));

        await history.AppendAsync(At(3), CancellationToken.None);
        Assert.Equal(4, node.CountReadings(deviceId));
        await history.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task After_postgres_comes_back_the_first_batch_on_a_connection_lost_while_idle_commits()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 1 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();
        SensorReading At(double timestamp) => new(deviceId, "humidity", 40, "%", 1_694_678_400 + timestamp, "good");
        await history.AppendAsync(At(0), CancellationToken.None);

        // The writer's open connection is dropped while it has nothing to write, and PostgreSQL is back before the next reading.
        proxy.Cut();
        proxy.Restore();
        await history.AppendAsync(At(1), CancellationToken.None);

        Assert.Equal(2, node.CountReadings(deviceId));
        await history.StopAsync(CancellationToken.None);
        Assert.Empty(logger.At(LogLevel.Warning));
    }

    [Fact]
    public async Task A_reading_with_a_nul_in_its_unit_fails_alone_and_the_rest_of_its_batch_is_stored()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 1, MaxBatchDelayMilliseconds = 200 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();
        SensorReading At(int second, string unit) => new(deviceId, "temperature", 20 + second, unit, 1_694_678_400 + second, "good");

        var good = Enumerable.Range(0, 50).Select(i => history.AppendAsync(At(i, "celsius"), CancellationToken.None).AsTask()).ToList();
        var bad = history.AppendAsync(At(25_000, "cel\0sius"), CancellationToken.None).AsTask();
        good.AddRange(Enumerable.Range(50, 10).Select(i => history.AppendAsync(At(i, "celsius"), CancellationToken.None).AsTask()));

        var refused = await Assert.ThrowsAsync<ReadingRefusedException>(() => bad.WaitAsync(Settled));
        Assert.DoesNotContain("cel", refused.Message);
        await Task.WhenAll(good).WaitAsync(Settled);
        Assert.Equal(60, node.CountReadings(deviceId));

        var warning = Assert.Single(logger.At(LogLevel.Warning));
        Assert.Contains(deviceId, warning);
        Assert.Contains("temperature", warning);
        Assert.DoesNotContain("cel", warning);
        Assert.Empty(logger.At(LogLevel.Error));
        await history.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Readings_postgres_cannot_keep_fail_alone_whatever_makes_them_unstorable()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 1, MaxBatchDelayMilliseconds = 200 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();
        SensorReading At(double timestamp, string unit = "%", string quality = "good") => new(deviceId, "humidity", 40, unit, timestamp, quality);
        const double december9999 = 253_400_000_000;

        var good = Enumerable.Range(0, 40).Select(i => history.AppendAsync(At(1_694_678_400 + i), CancellationToken.None).AsTask()).ToList();
        Task[] bad =
        [
            history.AppendAsync(At(1_694_678_500, quality: "go\0od"), CancellationToken.None).AsTask(),
            history.AppendAsync(At(1_694_678_501, unit: "\uD800"), CancellationToken.None).AsTask(),
            history.AppendAsync(At(december9999), CancellationToken.None).AsTask(),
            history.AppendAsync(At(1e300), CancellationToken.None).AsTask(),
        ];

        foreach (var task in bad)
        {
            await Assert.ThrowsAsync<ReadingRefusedException>(() => task.WaitAsync(Settled));
        }

        await Task.WhenAll(good).WaitAsync(Settled);
        Assert.Equal(40, node.CountReadings(deviceId));
        Assert.Equal(4, logger.At(LogLevel.Warning).Count());
        Assert.Empty(logger.At(LogLevel.Error));
        await history.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task While_postgres_is_unreachable_readings_wait_unsettled_and_commit_once_it_is_back()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 2 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();
        SensorReading At(int second) => new(deviceId, "pressure", 1000 + second, "hPa", 1_694_678_400 + second, "good");
        await history.AppendAsync(At(0), CancellationToken.None);

        proxy.Cut();
        var waiting = new List<Task>();
        for (var i = 1; i <= 20; i++)
        {
            waiting.Add(history.AppendAsync(At(i), CancellationToken.None).AsTask());
            await Task.Delay(75);
        }

        Assert.All(waiting, task => Assert.False(task.IsCompleted, "a reading settled while PostgreSQL was unreachable"));
        Assert.Equal(1, node.CountReadings(deviceId));
        proxy.Restore();

        await Task.WhenAll(waiting).WaitAsync(Settled);
        Assert.Equal(21, node.CountReadings(deviceId));
        await history.StopAsync(CancellationToken.None);

        var warnings = logger.At(LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("unreachable", warnings[0]);
        Assert.Contains("reachable again", warnings[1]);
        Assert.Empty(logger.At(LogLevel.Error));
        Assert.All(logger.Entries, entry => Assert.Null(entry.Exception));
    }

    [Fact]
    public async Task An_outage_longer_than_the_maximum_fails_each_batch_as_a_passing_fault_until_postgres_is_back()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 1, MaxOutageSeconds = 1 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();
        SensorReading At(int second) => new(deviceId, "pressure", 1000 + second, "hPa", 1_694_678_400 + second, "good");

        proxy.Cut();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<PassingFaultException>(() => history.AppendAsync(At(1), CancellationToken.None).AsTask().WaitAsync(Settled));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        // The outage goes on: each further batch is tried once, then failed the same way.
        clock.Restart();
        await Assert.ThrowsAsync<PassingFaultException>(() => history.AppendAsync(At(2), CancellationToken.None).AsTask().WaitAsync(Settled));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));

        proxy.Restore();
        await history.AppendAsync(At(3), CancellationToken.None).AsTask().WaitAsync(Settled);
        Assert.Equal(1, node.CountReadings(deviceId));
        await history.StopAsync(CancellationToken.None);

        var warnings = logger.At(LogLevel.Warning).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("2 failed", warnings[1]);
        Assert.Empty(logger.At(LogLevel.Error));
    }

    [Fact]
    public async Task A_refused_connection_is_a_passing_fault()
    {
        var closed = new NpgsqlConnectionStringBuilder(node.PostgresConnectionString)
        {
            Host = IPAddress.Loopback.ToString(),
            Port = NodeFixture.FreePort(),
        };
        await using var dataSource = NpgsqlDataSource.Create(closed.ConnectionString);
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 1, MaxOutageSeconds = 1 });
        await history.StartAsync(CancellationToken.None);

        var reading = new SensorReading(NewDeviceId(), "pressure", 1000, "hPa", 1_694_678_400, "good");
        await Assert.ThrowsAsync<PassingFaultException>(() => history.AppendAsync(reading, CancellationToken.None).AsTask().WaitAsync(Settled));
        await history.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_writes_every_queued_reading_first()
    {
        await using var dataSource = node.CreateDataSource();
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 2, BatchSize = 100, MaxBatchDelayMilliseconds = 20 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();

        var appended = Enumerable.Range(0, 3000)
            .Select(i => history.AppendAsync(new SensorReading(deviceId, "voltage", i, "V", 1_694_678_400 + i, "good"), CancellationToken.None).AsTask())
            .ToList();
        using var deadline = new CancellationTokenSource(Settled);
        await history.StopAsync(deadline.Token);

        Assert.All(appended, task => Assert.True(task.IsCompletedSuccessfully, "a queued reading was not written before the writers stopped"));
        Assert.Equal(3000, node.CountReadings(deviceId));
        Assert.Empty(logger.At(LogLevel.Warning));
        Assert.Empty(logger.At(LogLevel.Error));
        await Assert.ThrowsAsync<PassingFaultException>(
            () => history.AppendAsync(new SensorReading(deviceId, "voltage", 0, "V", 1_694_690_000, "good"), CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Stopping_in_an_outage_fails_what_is_left_as_a_passing_fault_when_the_host_stops_waiting()
    {
        var (proxy, dataSource) = node.CreateProxiedDataSource();
        await using var _ = proxy;
        await using var __ = dataSource;
        var logger = new RecordingLogger<PostgresSensorHistory>();
        var history = NewHistory(dataSource, new HistoryOptions { Writers = 2, BatchSize = 4 }, logger);
        await history.StartAsync(CancellationToken.None);
        var deviceId = NewDeviceId();

        proxy.Cut();
        var appended = Enumerable.Range(0, 20)
            .Select(i => history.AppendAsync(new SensorReading(deviceId, "voltage", i, "V", 1_694_678_400 + i, "good"), CancellationToken.None).AsTask())
            .ToList();
        await Task.Delay(500);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();
        await history.StopAsync(deadline.Token);

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        foreach (var task in appended)
        {
            await Assert.ThrowsAsync<PassingFaultException>(() => task);
        }

        Assert.Contains(logger.At(LogLevel.Warning), message => message.Contains("20 readings unwritten"));
        Assert.Empty(logger.At(LogLevel.Error));
        proxy.Restore();
    }

    private static string NewDeviceId() => $"history-{Guid.NewGuid():N}";

    private static PostgresSensorHistory NewHistory(
        NpgsqlDataSource dataSource, HistoryOptions options, ILogger<PostgresSensorHistory>? logger = null)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        return new PostgresSensorHistory(
            dataSource, Options.Create(options), new HistoryMetrics(meters), logger ?? new RecordingLogger<PostgresSensorHistory>());
    }
}
