using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// Sensor history in PostgreSQL. Readings wait in a bounded queue (a full queue makes callers wait: back-pressure,
/// not growth) and are written in batches by <c>History:Writers</c> writers. A batch is one binary COPY, the
/// cheapest way into PostgreSQL; when it holds a reading already stored (a device resent it) the COPY fails as a
/// whole and the batch is written again as one <c>INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING</c>,
/// so a resent reading is stored once. A caller's task completes only when its batch has committed, and fails when
/// the batch could not be written.
/// </summary>
public sealed partial class PostgresSensorHistory : BackgroundService, ISensorHistorySink
{
    private const string CopyBatch =
        "COPY sensor_readings (device_id, sensor_type, ts, value, unit, quality) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// The batch as six arrays (Npgsql writes them in its binary format) that PostgreSQL unnests into rows, skipping
    /// any whose natural key is already stored: one round trip and one implicit transaction, with no staging table.
    /// It costs PostgreSQL about half as much again per row as COPY, so it is used only for batches that conflict.
    /// </summary>
    private const string MergeBatch = """
        INSERT INTO sensor_readings (device_id, sensor_type, ts, value, unit, quality)
        SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::double precision[], $5::text[], $6::text[])
        ON CONFLICT DO NOTHING
        """;

    private const int MergeAfterConflictMilliseconds = 10_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly HistoryOptions _options;
    private readonly ILogger<PostgresSensorHistory> _logger;
    private readonly HistoryMetrics _metrics;
    private readonly Channel<PendingReading> _queue;
    private readonly ConcurrentDictionary<DateTime, bool> _partitions = new();

    public PostgresSensorHistory(
        NpgsqlDataSource dataSource, IOptions<HistoryOptions> options, HistoryMetrics metrics, ILogger<PostgresSensorHistory> logger)
    {
        _dataSource = dataSource;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingReading>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = _options.Writers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _metrics.ObserveQueue(() => _queue.Reader.Count);
    }

    public ValueTask AppendAsync(SensorReading reading, CancellationToken cancellationToken)
    {
        // Not cancellable once queued: the writer settles every reading it takes, within one batch.
        var pending = new PendingReading(reading);
        return _queue.Writer.TryWrite(pending)
            ? new ValueTask(pending.Committed.Task)
            : AppendWhenQueueHasRoomAsync(pending, cancellationToken);
    }

    private async ValueTask AppendWhenQueueHasRoomAsync(PendingReading pending, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        await pending.Committed.Task;
    }

    /// <summary>The time a reading is stored under: its Unix seconds, to the microsecond PostgreSQL keeps.</summary>
    public static DateTime StoredTimestamp(double unixSeconds) =>
        DateTime.UnixEpoch.AddTicks((long)Math.Round(unixSeconds * 1_000_000) * 10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Several writers, each with its own connection, so that one batch fills while another commits.
        var writers = Enumerable.Range(0, _options.Writers).Select(_ => WriteLoopAsync(stoppingToken)).ToArray();
        try
        {
            await Task.WhenAll(writers);
        }
        finally
        {
            _queue.Writer.TryComplete();
            var stopped = new OperationCanceledException("sensor history is shutting down");
            while (_queue.Reader.TryRead(out var pending))
            {
                pending.Committed.TrySetException(stopped);
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingReading>(_options.BatchSize);
        var reader = _queue.Reader;
        var writer = new BatchWriter();
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                Drain(reader, batch);
                if (batch.Count < _options.BatchSize && _options.MaxBatchDelayMilliseconds > 0)
                {
                    await Task.Delay(_options.MaxBatchDelayMilliseconds, stoppingToken);
                    Drain(reader, batch);
                }

                if (batch.Count > 0)
                {
                    await FlushAsync(writer, batch, stoppingToken);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued was never acknowledged, so devices resend it.
        }
        finally
        {
            var stopped = new OperationCanceledException("sensor history is shutting down");
            foreach (var pending in batch)
            {
                pending.Committed.TrySetException(stopped);
            }

            await CloseConnectionAsync(writer);
        }
    }

    private void Drain(ChannelReader<PendingReading> reader, List<PendingReading> batch)
    {
        while (batch.Count < _options.BatchSize && reader.TryRead(out var pending))
        {
            batch.Add(pending);
        }
    }

    private async Task FlushAsync(BatchWriter writer, List<PendingReading> batch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var reusingConnection = writer.Connection is not null;
            try
            {
                await WriteAsync(writer, batch, cancellationToken);
            }
            catch (NpgsqlException ex) when (reusingConnection && ex is not PostgresException)
            {
                // The connection died while it sat idle (PostgreSQL restarted, the network was cut): one more try
                // on a fresh connection. Had the first try committed after all, the retry's COPY conflicts and
                // the merge stores nothing twice.
                LogStaleConnection(ex);
                await CloseConnectionAsync(writer);
                await WriteAsync(writer, batch, cancellationToken);
            }

            _metrics.BatchWritten(batch.Count, Stopwatch.GetElapsedTime(batch[0].QueuedAt, started), Stopwatch.GetElapsedTime(started));
            foreach (var pending in batch)
            {
                pending.Committed.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogBatchFailed(ex, batch.Count);
            _metrics.BatchFailed();
            await CloseConnectionAsync(writer);
            foreach (var pending in batch)
            {
                pending.Committed.TrySetException(ex);
            }
        }
    }

    private static async Task CloseConnectionAsync(BatchWriter writer)
    {
        if (writer.Connection is not null)
        {
            await writer.Connection.DisposeAsync();
            writer.Connection = null;
        }
    }

    private async Task WriteAsync(BatchWriter writer, List<PendingReading> batch, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(writer, cancellationToken);
        await EnsurePartitionsAsync(connection, batch, cancellationToken);
        if (Environment.TickCount64 >= writer.MergeUntil)
        {
            try
            {
                await CopyAsync(connection, batch, cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Resends tend to come together (a device reconnecting replays what it had in flight): merge for a while.
                writer.MergeUntil = Environment.TickCount64 + MergeAfterConflictMilliseconds;
            }
        }

        await MergeAsync(connection, batch, cancellationToken);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, List<PendingReading> batch, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopyBatch, cancellationToken);
        foreach (var pending in batch)
        {
            var reading = pending.Reading;
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(reading.DeviceId, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(reading.SensorType, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(StoredTimestamp(reading.Timestamp), NpgsqlDbType.TimestampTz, cancellationToken);
            await copy.WriteAsync(reading.Value, NpgsqlDbType.Double, cancellationToken);
            if (reading.Unit is null)
            {
                await copy.WriteNullAsync(cancellationToken);
            }
            else
            {
                await copy.WriteAsync(reading.Unit, NpgsqlDbType.Text, cancellationToken);
            }

            await copy.WriteAsync(reading.Quality, NpgsqlDbType.Text, cancellationToken);
        }

        await copy.CompleteAsync(cancellationToken);
    }

    private static async Task MergeAsync(NpgsqlConnection connection, List<PendingReading> batch, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var deviceIds = new string[count];
        var sensorTypes = new string[count];
        var timestamps = new DateTime[count];
        var values = new double[count];
        var units = new string?[count];
        var qualities = new string[count];
        for (var i = 0; i < count; i++)
        {
            var reading = batch[i].Reading;
            deviceIds[i] = reading.DeviceId;
            sensorTypes[i] = reading.SensorType;
            timestamps[i] = StoredTimestamp(reading.Timestamp);
            values[i] = reading.Value;
            units[i] = reading.Unit;
            qualities[i] = reading.Quality;
        }

        await using var insert = new NpgsqlCommand(MergeBatch, connection);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deviceIds });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = sensorTypes });
        insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = timestamps });
        insert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = values });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = units });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = qualities });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<NpgsqlConnection> ConnectionAsync(BatchWriter writer, CancellationToken cancellationToken)
    {
        if (writer.Connection is not { State: System.Data.ConnectionState.Open })
        {
            writer.Connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        }

        return writer.Connection;
    }

    /// <summary>Creates the monthly partitions this batch needs that this writer has not seen yet.</summary>
    private async Task EnsurePartitionsAsync(NpgsqlConnection connection, List<PendingReading> batch, CancellationToken cancellationToken)
    {
        // Readings of a batch nearly always fall in one month: look a month up only when a reading leaves the last one.
        DateTime month = default, next = default;
        foreach (var pending in batch)
        {
            var at = StoredTimestamp(pending.Reading.Timestamp);
            if (at >= month && at < next)
            {
                continue;
            }

            month = new DateTime(at.Year, at.Month, 1, 0, 0, 0, DateTimeKind.Utc);
            next = month.AddMonths(1);
            if (_partitions.ContainsKey(month))
            {
                continue;
            }

            var sql = $"""
                CREATE TABLE IF NOT EXISTS sensor_readings_p{month:yyyyMM} PARTITION OF sensor_readings
                FOR VALUES FROM ('{month:yyyy-MM-dd}T00:00:00Z') TO ('{next:yyyy-MM-dd}T00:00:00Z')
                """;
            try
            {
                await using var create = new NpgsqlCommand(sql, connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation)
            {
                // Another silo created it at the same moment.
            }

            _partitions[month] = true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A PostgreSQL connection of the history writer was lost while idle; writing its batch again on a new one")]
    private partial void LogStaleConnection(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} readings to PostgreSQL failed; they are not acknowledged and will be resent")]
    private partial void LogBatchFailed(Exception exception, int count);

    /// <summary>One writer loop's connection, reopened after a failure.</summary>
    private sealed class BatchWriter
    {
        public NpgsqlConnection? Connection { get; set; }

        /// <summary>Until this <see cref="Environment.TickCount64"/>, batches go straight to the merge.</summary>
        public long MergeUntil { get; set; }
    }

    private sealed class PendingReading(SensorReading reading)
    {
        public SensorReading Reading { get; } = reading;

        public long QueuedAt { get; } = Stopwatch.GetTimestamp();

        /// <summary>
        /// Completed by the writer. Continuations run inline: the awaiting grain's continuation only posts itself
        /// to the grain's scheduler, which saves a thread-pool hop per reading without holding up the writer.
        /// </summary>
        public TaskCompletionSource Committed { get; } = new();
    }
}
