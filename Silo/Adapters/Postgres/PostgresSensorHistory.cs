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
/// so a resent reading is stored once. A caller's task completes only when its reading has committed.
/// <para>
/// A batch PostgreSQL refuses for what a reading holds is split in halves, written again, until each refused
/// reading is on its own: that one fails with <see cref="ReadingRefusedException"/> and the others are stored.
/// While PostgreSQL cannot be reached the batch is kept and written again with backoff, its readings unacknowledged;
/// only an outage longer than <c>History:MaxOutageSeconds</c> fails batches, with <see cref="PassingFaultException"/>.
/// On shutdown the writers write what is queued, for as long as the host gives them.
/// </para>
/// </summary>
public sealed partial class PostgresSensorHistory : IHostedService, ISensorHistorySink
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

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After a batch fails in an outage longer than the maximum: the next batch is tried once too, and the pause keeps
    /// the writers from spinning on connection attempts while devices resend.
    /// </summary>
    private static readonly TimeSpan LongOutagePause = TimeSpan.FromSeconds(1);

    // A second inside DateTime's range at either end, so that rounding to the microsecond cannot step outside it.
    private static readonly double EarliestStorable = (DateTime.MinValue - DateTime.UnixEpoch).TotalSeconds + 1;
    private static readonly double LatestStorable = (DateTime.MaxValue - DateTime.UnixEpoch).TotalSeconds - 1;

    private readonly NpgsqlDataSource _dataSource;
    private readonly HistoryOptions _options;
    private readonly TimeSpan _maxOutage;
    private readonly ILogger<PostgresSensorHistory> _logger;
    private readonly HistoryMetrics _metrics;
    private readonly Channel<PendingReading> _queue;
    private readonly ConcurrentDictionary<DateTime, bool> _partitions = new();
    private readonly PostgresOutage _outage = new();
    private readonly CancellationTokenSource _abort = new();
    private Task[] _writers = [];
    private int _unwrittenAtStop;

    public PostgresSensorHistory(
        NpgsqlDataSource dataSource, IOptions<HistoryOptions> options, HistoryMetrics metrics, ILogger<PostgresSensorHistory> logger)
    {
        _dataSource = dataSource;
        _options = options.Value;
        _maxOutage = TimeSpan.FromSeconds(_options.MaxOutageSeconds);
        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<PendingReading>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = _options.Writers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _metrics.ObserveQueue(() => _queue.Reader.Count);
        _metrics.ObserveOutage(() => _outage.Duration.TotalSeconds);
    }

    public ValueTask AppendAsync(SensorReading reading, CancellationToken cancellationToken)
    {
        if (!TryStoredTimestamp(reading.Timestamp, out var storedAt))
        {
            return ValueTask.FromException(Refuse(reading, "its timestamp lies outside the years 1 to 9999", null));
        }

        // Not cancellable once queued: the writer settles every reading it takes.
        var pending = new PendingReading(reading, storedAt);
        return _queue.Writer.TryWrite(pending)
            ? new ValueTask(pending.Committed.Task)
            : AppendWhenQueueHasRoomAsync(pending, cancellationToken);
    }

    private async ValueTask AppendWhenQueueHasRoomAsync(PendingReading pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new PassingFaultException("the sensor history is shutting down; send the reading again");
        }

        await pending.Committed.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Several writers, each with its own connection, so that one batch fills while another commits.
        _writers = Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(() => WriteLoopAsync(_abort.Token))).ToArray();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes no more readings and lets the writers write what is queued; when <paramref name="cancellationToken"/>
    /// (the host's shutdown deadline) fires first, what is left fails as a passing fault, unacknowledged.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await using (cancellationToken.Register(() => _abort.Cancel()))
        {
            await Task.WhenAll(_writers);
        }

        var unwritten = Interlocked.Exchange(ref _unwrittenAtStop, 0);
        var stopped = new PassingFaultException("the sensor history stopped before the reading was written; send it again");
        while (_queue.Reader.TryRead(out var pending))
        {
            pending.Fail(stopped);
            unwritten++;
        }

        if (unwritten > 0)
        {
            LogStoppedWithUnwritten(unwritten);
        }
    }

    /// <summary>
    /// The time a reading is stored under: its Unix seconds, to the microsecond PostgreSQL keeps. False when that
    /// falls outside the years .NET's <see cref="DateTime"/> holds.
    /// </summary>
    private static bool TryStoredTimestamp(double unixSeconds, out DateTime storedAt)
    {
        if (!(unixSeconds >= EarliestStorable && unixSeconds <= LatestStorable))
        {
            storedAt = default;
            return false;
        }

        storedAt = DateTime.UnixEpoch.AddTicks(SensorHistory.StoredMicroseconds(unixSeconds) * TimeSpan.TicksPerMicrosecond);
        return true;
    }

    private async Task WriteLoopAsync(CancellationToken abort)
    {
        var batch = new List<PendingReading>(_options.BatchSize);
        var reader = _queue.Reader;
        var writer = new BatchWriter();
        try
        {
            while (await reader.WaitToReadAsync(abort))
            {
                Drain(reader, batch);
                if (batch.Count < _options.BatchSize && _options.MaxBatchDelayMilliseconds > 0)
                {
                    await Task.Delay(_options.MaxBatchDelayMilliseconds, abort);
                    Drain(reader, batch);
                }

                if (batch.Count > 0)
                {
                    await FlushAsync(writer, batch, abort);
                }

                batch.Clear();
            }
        }
        catch (Exception) when (abort.IsCancellationRequested)
        {
            // The shutdown deadline passed: the batch in hand fails below; StopAsync fails what is still queued.
        }
        finally
        {
            var stopped = new PassingFaultException("the sensor history stopped before the reading was written; send it again");
            foreach (var pending in batch.Where(p => !p.IsSettled))
            {
                pending.Fail(stopped);
                Interlocked.Increment(ref _unwrittenAtStop);
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

    /// <summary>
    /// Writes the batch and settles every reading in it: committed, refused, or failed. While PostgreSQL cannot be
    /// reached the batch is written again with backoff until the outage has lasted <c>History:MaxOutageSeconds</c>.
    /// </summary>
    private async Task FlushAsync(BatchWriter writer, List<PendingReading> batch, CancellationToken abort)
    {
        var size = batch.Count;
        var waited = Stopwatch.GetElapsedTime(batch[0].QueuedAt);
        var started = Stopwatch.GetTimestamp();
        var retryDelay = FirstRetryDelay;
        var keptForOutage = false;
        while (true)
        {
            var attemptStartedAt = Stopwatch.GetTimestamp();
            var reusingConnection = writer.Connection is not null;
            try
            {
                await WriteIsolatingRefusalsAsync(writer, batch, abort);
                if (_outage.TryEnd(out var outage))
                {
                    LogOutageEnded(outage.Duration.TotalSeconds, outage.BatchesWaited, outage.BatchesFailed);
                }

                _metrics.BatchWritten(size, waited, Stopwatch.GetElapsedTime(started));
                return;
            }
            catch (Exception ex) when (PostgresFaults.IsPassing(ex) && !abort.IsCancellationRequested)
            {
                await CloseConnectionAsync(writer);
                // Readings committed or refused before the fault are settled; the rest are written again.
                batch.RemoveAll(p => p.IsSettled);
                if (reusingConnection && PostgresFaults.IsLostConnection(ex))
                {
                    // Had the first try committed after all, the retry's COPY conflicts and the merge stores nothing twice.
                    LogStaleConnection(PostgresFaults.Describe(ex));
                    continue;
                }

                if (_outage.Begin(attemptStartedAt))
                {
                    LogOutageStarted(PostgresFaults.Describe(ex), _options.MaxOutageSeconds);
                }

                if (_outage.Duration >= _maxOutage)
                {
                    _outage.BatchFailed();
                    _metrics.BatchFailed();
                    var fault = new PassingFaultException(
                        $"PostgreSQL has been unreachable for more than {_options.MaxOutageSeconds} s; the reading was not stored, send it again", ex);
                    foreach (var pending in batch)
                    {
                        pending.Fail(fault);
                    }

                    await Task.Delay(LongOutagePause, abort);
                    return;
                }

                if (!keptForOutage)
                {
                    keptForOutage = true;
                    _outage.BatchWaited();
                }

                _metrics.BatchRetried();
                await Task.Delay(retryDelay, abort);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
            catch (Exception ex) when (!abort.IsCancellationRequested)
            {
                // Neither PostgreSQL being away nor a reading it refuses: written again, the batch would fail again.
                var unsettled = batch.Where(p => !p.IsSettled).ToList();
                LogBatchFailed(ex, unsettled.Count);
                _metrics.BatchFailed();
                await CloseConnectionAsync(writer);
                foreach (var pending in unsettled)
                {
                    pending.Fail(ex);
                }

                return;
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="readings"/>; when PostgreSQL refuses them for what one holds, writes each half on its own,
    /// down to single readings, so that only the refused ones fail. Each write commits on its own.
    /// </summary>
    private async Task WriteIsolatingRefusalsAsync(BatchWriter writer, List<PendingReading> readings, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(writer, readings, cancellationToken);
        }
        catch (Exception ex) when (PostgresFaults.IsRefusal(ex))
        {
            // Readings of a month whose partition was refused are settled already.
            var unsettled = readings.FindAll(p => !p.IsSettled);
            if (unsettled.Count == 1)
            {
                unsettled[0].Fail(Refuse(unsettled[0].Reading, PostgresFaults.RefusalReason(ex), ex));
                return;
            }

            var half = unsettled.Count / 2;
            await WriteIsolatingRefusalsAsync(writer, unsettled.GetRange(0, half), cancellationToken);
            await WriteIsolatingRefusalsAsync(writer, unsettled.GetRange(half, unsettled.Count - half), cancellationToken);
        }
    }

    private ReadingRefusedException Refuse(SensorReading reading, string reason, Exception? exception)
    {
        LogReadingRefused(reading.DeviceId, reading.SensorType, reason);
        _metrics.ReadingRefused();
        return new ReadingRefusedException($"the sensor history refused the reading: {reason}", exception);
    }

    private static async Task CloseConnectionAsync(BatchWriter writer)
    {
        if (writer.Connection is not null)
        {
            await writer.Connection.DisposeAsync();
            writer.Connection = null;
        }
    }

    private async Task WriteAsync(BatchWriter writer, List<PendingReading> readings, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(writer, cancellationToken);
        var writable = await EnsurePartitionsAsync(connection, readings, cancellationToken);
        if (writable.Count == 0)
        {
            return;
        }

        var copied = false;
        if (Environment.TickCount64 >= writer.MergeUntil)
        {
            try
            {
                await CopyAsync(connection, writable, cancellationToken);
                copied = true;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Resends tend to come together (a device reconnecting replays what it had in flight): merge for a while.
                writer.MergeUntil = Environment.TickCount64 + MergeAfterConflictMilliseconds;
            }
        }

        if (!copied)
        {
            await MergeAsync(connection, writable, cancellationToken);
        }

        foreach (var pending in writable)
        {
            pending.Committed.TrySetResult();
        }
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
            await copy.WriteAsync(pending.StoredAt, NpgsqlDbType.TimestampTz, cancellationToken);
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
            timestamps[i] = batch[i].StoredAt;
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

    /// <summary>
    /// Creates the monthly partitions these readings need that this node has not seen yet. Readings of a month whose
    /// partition PostgreSQL refuses to create are refused; the others are returned, to be written.
    /// </summary>
    private async Task<List<PendingReading>> EnsurePartitionsAsync(
        NpgsqlConnection connection, List<PendingReading> readings, CancellationToken cancellationToken)
    {
        Dictionary<DateTime, string>? refusedMonths = null;
        // Readings of a batch nearly always fall in one month: look a month up only when a reading leaves the last one.
        DateTime month = default, next = default;
        foreach (var pending in readings)
        {
            var at = pending.StoredAt;
            if (at >= month && at < next)
            {
                continue;
            }

            month = MonthOf(at);
            // December 9999 has no next month in .NET, and so no upper bound to create its partition with.
            var last = month.Year == DateTime.MaxValue.Year && month.Month == 12;
            next = last ? DateTime.MaxValue : month.AddMonths(1);
            if (_partitions.ContainsKey(month) || refusedMonths?.ContainsKey(month) == true)
            {
                continue;
            }

            var refusal = last ? "its month is past the last one the writer can partition" : await CreatePartitionAsync(connection, month, next, cancellationToken);
            if (refusal is null)
            {
                _partitions[month] = true;
            }
            else
            {
                (refusedMonths ??= [])[month] = refusal;
            }
        }

        if (refusedMonths is null)
        {
            return readings;
        }

        var writable = new List<PendingReading>(readings.Count);
        foreach (var pending in readings)
        {
            if (refusedMonths.TryGetValue(MonthOf(pending.StoredAt), out var refusal))
            {
                pending.Fail(Refuse(pending.Reading, refusal, null));
            }
            else
            {
                writable.Add(pending);
            }
        }

        return writable;
    }

    /// <summary>Creates the month's partition; returns why PostgreSQL refused it for what it holds, or null.</summary>
    private static async Task<string?> CreatePartitionAsync(NpgsqlConnection connection, DateTime month, DateTime next, CancellationToken cancellationToken)
    {
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
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidObjectDefinition)
        {
            // It overlaps a partition made otherwise (by an operator, say), which may well hold these readings:
            // the write decides, and refuses any reading that has no partition.
        }
        catch (PostgresException ex) when (PostgresFaults.IsRefusal(ex))
        {
            return $"its month's partition cannot be created ({PostgresFaults.RefusalReason(ex)})";
        }

        return null;
    }

    private static DateTime MonthOf(DateTime at) => new(at.Year, at.Month, 1, 0, 0, 0, DateTimeKind.Utc);

    [LoggerMessage(Level = LogLevel.Information, Message = "A PostgreSQL connection of the history writer was lost while idle ({Reason}); writing its batch again on a new one")]
    private partial void LogStaleConnection(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL unreachable ({Reason}): readings wait in the queue, unacknowledged, and are written when it is back; after {MaxOutageSeconds} s of outage their batches fail and devices resend them")]
    private partial void LogOutageStarted(string reason, int maxOutageSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL reachable again after {OutageSeconds:F1} s: {BatchesWaited} batches waited for it, {BatchesFailed} failed unwritten")]
    private partial void LogOutageEnded(double outageSeconds, int batchesWaited, int batchesFailed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL refused a reading of device {DeviceId}, sensor {SensorType}: {Reason}; the rest of its batch is stored")]
    private partial void LogReadingRefused(string deviceId, string sensorType, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} readings to PostgreSQL failed; they fail")]
    private partial void LogBatchFailed(Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The history writers stopped with {Count} readings unwritten, out of time to write them; they were not acknowledged and devices resend them")]
    private partial void LogStoppedWithUnwritten(int count);

    /// <summary>One writer loop's connection, reopened after a failure.</summary>
    private sealed class BatchWriter
    {
        public NpgsqlConnection? Connection { get; set; }

        /// <summary>Until this <see cref="Environment.TickCount64"/>, batches go straight to the merge.</summary>
        public long MergeUntil { get; set; }
    }

    private sealed class PendingReading(SensorReading reading, DateTime storedAt)
    {
        public SensorReading Reading { get; } = reading;

        public DateTime StoredAt { get; } = storedAt;

        public long QueuedAt { get; } = Stopwatch.GetTimestamp();

        /// <summary>
        /// Completed by the writer. Continuations run inline: the awaiting grain's continuation only posts itself
        /// to the grain's scheduler, which saves a thread-pool hop per reading without holding up the writer.
        /// </summary>
        public TaskCompletionSource Committed { get; } = new();

        public bool IsSettled => Committed.Task.IsCompleted;

        public void Fail(Exception exception) => Committed.TrySetException(exception);
    }
}
