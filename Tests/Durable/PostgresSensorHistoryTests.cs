using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.IoT.Silo.Adapters.Postgres;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Tests.Durable;

/// <summary>The history writer on its own, against the durable profile's PostgreSQL (its schema made by the node).</summary>
[Collection(DurableCollection.Name)]
public sealed class PostgresSensorHistoryTests(DurableNodeFixture node)
{
    [Fact]
    public async Task A_batch_holding_a_resent_reading_stores_each_reading_once_and_the_next_batches_still_commit()
    {
        await using var dataSource = node.CreateDataSource();
        // One writer that waits long enough for readings appended together to share a batch.
        var options = Options.Create(new HistoryOptions { Writers = 1, MaxBatchDelayMilliseconds = 200 });
        var history = NewHistory(dataSource, options);
        await history.StartAsync(CancellationToken.None);
        var deviceId = $"history-{Guid.NewGuid():N}";
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
        var options = Options.Create(new HistoryOptions { Writers = 1 });
        var history = NewHistory(dataSource, options);
        await history.StartAsync(CancellationToken.None);
        var deviceId = $"history-{Guid.NewGuid():N}";
        SensorReading At(double timestamp) => new(deviceId, "humidity", 40, "%", 1_694_678_400 + timestamp, "good");
        await history.AppendAsync(At(0), CancellationToken.None);

        // The writer's open connection is dropped while it has nothing to write, and PostgreSQL is back before the next reading.
        proxy.Cut();
        proxy.Restore();
        await history.AppendAsync(At(1), CancellationToken.None);

        Assert.Equal(2, node.CountReadings(deviceId));
        await history.StopAsync(CancellationToken.None);
    }

    private static PostgresSensorHistory NewHistory(Npgsql.NpgsqlDataSource dataSource, IOptions<HistoryOptions> options)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        return new PostgresSensorHistory(dataSource, options, new HistoryMetrics(meters), NullLogger<PostgresSensorHistory>.Instance);
    }
}
