using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// The lifecycle audit in PostgreSQL (<c>lifecycle_audit</c>): every state a command, config change or firmware
/// update passed through, and when. Recording only queues the entry; one writer, on one connection, writes the queue
/// in batches of up to <c>Audit:BatchSize</c>, each one statement that skips entries already stored, so an entry
/// written again after a retry is stored once. A batch is kept through any failure and written again with backoff
/// until it is stored (one Warning when that starts, one when it ends); an entry PostgreSQL refuses for what it holds
/// is left out on its own (the batch is split in halves down to it) and logged as an Error. On stop the writer writes
/// what is queued, for as long as the host gives it.
/// <para>
/// The queue holds <c>Audit:QueueCapacity</c> entries. When it is full (PostgreSQL has been away long enough to fill
/// it) a recording grain waits for room, up to <c>Audit:QueueFullWaitMilliseconds</c>; past that its entry is dropped,
/// counted (<c>entries.dropped</c>) and logged as an Error naming it, so that an outage slows lifecycles by a bounded
/// time and never fails them. Reads see what is written: they lag recording by the write of a batch.
/// </para>
/// </summary>
public sealed partial class PostgresLifecycleAudit : ILifecycleAudit, ILifecycleAuditReader, IHostedService
{
    /// <summary>
    /// Every entry of a batch as six arrays, unnested into rows in the order they were recorded (which numbers them
    /// in <c>seq</c>), skipping any already stored.
    /// </summary>
    private const string InsertBatch = """
        INSERT INTO lifecycle_audit (device_id, kind, id, state, at, detail)
        SELECT device_id, kind, id, state, at, detail
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])
             WITH ORDINALITY AS batch (device_id, kind, id, state, at, detail, position)
        ORDER BY position
        ON CONFLICT DO NOTHING
        """;

    /// <summary>One device's entries in a range, oldest first: a scan of the (device_id, at, seq) index.</summary>
    private const string ReadRange = """
        SELECT kind, id, state, at, detail::text
        FROM lifecycle_audit
        WHERE device_id = $1 AND at >= $2 AND at < $3
        ORDER BY at, seq
        LIMIT $4
        """;

    /// <summary>
    /// A device's latest items of one kind with every entry they have: their ids from a backward scan of the range on
    /// the (device_id, kind, at, seq) INCLUDE (id) index, up to $5 entries (an index-only scan), then each one's
    /// entries on the primary key's (device_id, kind, id) prefix.
    /// </summary>
    private const string ReadLatestOfKind = """
        WITH newest AS (
            SELECT id, at, seq
            FROM lifecycle_audit
            WHERE device_id = $1 AND kind = $2 AND at >= $3 AND at < $4
            ORDER BY at DESC, seq DESC
            LIMIT $5
        ), latest AS (
            SELECT id FROM newest GROUP BY id ORDER BY max(at) DESC, max(seq) DESC LIMIT $6
        )
        SELECT kind, id, state, at, detail::text
        FROM lifecycle_audit
        WHERE device_id = $1 AND kind = $2 AND id IN (SELECT id FROM latest)
        ORDER BY at, seq
        LIMIT $5
        """;

    /// <summary>The entries of one command, config change or update: the primary key's (device_id, kind, id) prefix, a few rows sorted.</summary>
    private const string ReadOfId = """
        SELECT kind, id, state, at, detail::text
        FROM lifecycle_audit
        WHERE device_id = $1 AND kind = $2 AND id = $3
        ORDER BY at, seq
        LIMIT $4
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly AuditMetrics _metrics;
    private readonly ILogger<PostgresLifecycleAudit> _logger;
    private readonly int _batchSize;
    private readonly TimeSpan _queueFullWait;
    private readonly Channel<LifecycleAuditEntry> _queue;
    private readonly PostgresBatchWriter<PendingEntry> _writer;
    private readonly CancellationTokenSource _abort = new();
    private Task _writing = Task.CompletedTask;
    private int _unwrittenAtStop;
    private volatile bool _stopping;

    public PostgresLifecycleAudit(
        NpgsqlDataSource dataSource, IOptions<AuditOptions> options, AuditMetrics metrics, ILogger<PostgresLifecycleAudit> logger)
    {
        _dataSource = dataSource;
        _metrics = metrics;
        _logger = logger;
        _batchSize = options.Value.BatchSize;
        _queueFullWait = TimeSpan.FromMilliseconds(options.Value.QueueFullWaitMilliseconds);
        _queue = Channel.CreateBounded<LifecycleAuditEntry>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // Any failure but a refused entry is retried: the audit never drops an entry it could still store.
        _writer = new PostgresBatchWriter<PendingEntry>(
            dataSource,
            WriteAsync,
            (reason, batchCount) => LogOutageStarted(reason, batchCount + _queue.Reader.Count),
            outage => LogOutageEnded(outage.Duration.TotalSeconds, outage.BatchesWaited),
            Refused,
            _metrics.BatchRetried);
        _metrics.ObserveQueue(() => _queue.Reader.Count);
        _metrics.ObserveOutage(() => _writer.OutageDuration.TotalSeconds);
    }

    /// <summary>Entries queued and not yet taken by the writer.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>
    /// Queues the entry; never fails for the store. A malformed entry is refused with an <see cref="ArgumentException"/>;
    /// a cancelled <paramref name="cancellationToken"/> while waiting for room in a full queue ends the wait with an
    /// <see cref="OperationCanceledException"/>, the entry unrecorded.
    /// </summary>
    public ValueTask RecordAsync(LifecycleAuditEntry entry, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateEntry(entry);
        var stored = entry with { At = LifecycleAuditRules.Stored(entry.At) };
        return _queue.Writer.TryWrite(stored) ? ValueTask.CompletedTask : RecordWhenQueueHasRoomAsync(stored, cancellationToken);
    }

    private async ValueTask RecordWhenQueueHasRoomAsync(LifecycleAuditEntry entry, CancellationToken cancellationToken)
    {
        if (!_stopping)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(_queueFullWait);
            try
            {
                while (await _queue.Writer.WaitToWriteAsync(wait.Token))
                {
                    if (_queue.Writer.TryWrite(entry))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Full for longer than the wait: dropped below.
            }
        }

        _metrics.EntryDropped();
        LogEntryDropped(
            entry.DeviceId, entry.Kind, entry.Id, entry.State, entry.At,
            _stopping
                ? "the audit writer has stopped"
                : $"the queue of entries waiting for PostgreSQL stayed full for {_queueFullWait.TotalMilliseconds:F0} ms");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writing = Task.Run(() => WriteLoopAsync(_abort.Token));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes no more entries and writes what is queued; when <paramref name="cancellationToken"/> (the host's shutdown
    /// deadline) fires first, what is left is reported as unwritten.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        await using (cancellationToken.Register(() => _abort.Cancel()))
        {
            await _writing;
        }

        var unwritten = Interlocked.Exchange(ref _unwrittenAtStop, 0);
        while (_queue.Reader.TryRead(out _))
        {
            unwritten++;
        }

        if (unwritten > 0)
        {
            LogStoppedWithUnwritten(unwritten);
        }
    }

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadAsync(
        string deviceId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateRead(deviceId, from, to, limit);
        return QueryAsync(deviceId, ReadRange, p =>
        {
            p.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
            p.Add(Time(from));
            p.Add(Time(to));
            p.Add(new NpgsqlParameter<int> { TypedValue = limit });
        }, cancellationToken);
    }

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadLatestAsync(
        string deviceId, string kind, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateRead(deviceId, kind, from, to, limit);
        return QueryAsync(deviceId, ReadLatestOfKind, p =>
        {
            p.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
            p.Add(new NpgsqlParameter<string> { TypedValue = kind });
            p.Add(Time(from));
            p.Add(Time(to));
            p.Add(new NpgsqlParameter<int> { TypedValue = LifecycleAuditRules.MaxReadLimit });
            p.Add(new NpgsqlParameter<int> { TypedValue = limit });
        }, cancellationToken);
    }

    public Task<IReadOnlyList<LifecycleAuditEntry>> ReadOneAsync(string deviceId, string kind, string id, int limit, CancellationToken cancellationToken)
    {
        LifecycleAuditRules.ValidateReadOne(deviceId, kind, id, limit);
        return QueryAsync(deviceId, ReadOfId, p =>
        {
            p.Add(new NpgsqlParameter<string> { TypedValue = deviceId });
            p.Add(new NpgsqlParameter<string> { TypedValue = kind });
            p.Add(new NpgsqlParameter<string> { TypedValue = id });
            p.Add(new NpgsqlParameter<int> { TypedValue = limit });
        }, cancellationToken);
    }

    private static NpgsqlParameter<DateTime> Time(DateTimeOffset at) => new() { TypedValue = LifecycleAuditRules.Stored(at).UtcDateTime };

    /// <summary>Runs a read of <paramref name="deviceId"/>'s entries whose rows are (kind, id, state, at, detail).</summary>
    private Task<IReadOnlyList<LifecycleAuditEntry>> QueryAsync(
        string deviceId, string sql, Action<NpgsqlParameterCollection> bind, CancellationToken cancellationToken) =>
        PostgresReads.RetryOnceAsync(_dataSource, "the lifecycle audit", async connection =>
        {
            await using var read = new NpgsqlCommand(sql, connection);
            bind(read.Parameters);
            await using var rows = await read.ExecuteReaderAsync(cancellationToken);
            var entries = new List<LifecycleAuditEntry>();
            while (await rows.ReadAsync(cancellationToken))
            {
                entries.Add(new LifecycleAuditEntry(
                    deviceId,
                    rows.GetString(0),
                    rows.GetString(1),
                    rows.GetString(2),
                    new DateTimeOffset(rows.GetFieldValue<DateTime>(3), TimeSpan.Zero),
                    rows.IsDBNull(4) ? null : rows.GetString(4)));
            }

            return (IReadOnlyList<LifecycleAuditEntry>)entries;
        }, cancellationToken);

    private async Task WriteLoopAsync(CancellationToken abort)
    {
        var batch = new List<PendingEntry>(_batchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(abort))
            {
                while (batch.Count < _batchSize && reader.TryRead(out var entry))
                {
                    batch.Add(new PendingEntry(entry));
                }

                _metrics.BatchTaken(batch.Count);
                await _writer.StoreAsync(batch, abort);
                batch.Clear();
            }
        }
        catch (Exception) when (abort.IsCancellationRequested)
        {
            // The shutdown deadline passed: StopAsync reports the batch in hand and what is still queued.
            _unwrittenAtStop = batch.Count(p => !p.Settled);
        }
        finally
        {
            await _writer.DisposeAsync();
        }
    }

    private void Refused(PendingEntry refused, string reason)
    {
        refused.Settled = true;
        _metrics.EntryRefused();
        LogEntryRefused(refused.Entry.DeviceId, refused.Entry.Kind, refused.Entry.Id, refused.Entry.State, reason);
    }

    /// <summary>
    /// Writes the entries not yet settled, as one statement that commits on its own: after a failure the batch is
    /// written again, and what an earlier attempt wrote or saw refused is not.
    /// </summary>
    private async Task WriteAsync(NpgsqlConnection connection, List<PendingEntry> batch, CancellationToken cancellationToken)
    {
        var entries = batch.FindAll(p => !p.Settled);
        var count = entries.Count;
        if (count == 0)
        {
            return;
        }

        var deviceIds = new string[count];
        var kinds = new string[count];
        var ids = new string[count];
        var states = new string[count];
        var times = new DateTime[count];
        var details = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var entry = entries[i].Entry;
            deviceIds[i] = entry.DeviceId;
            kinds[i] = entry.Kind;
            ids[i] = entry.Id;
            states[i] = entry.State;
            times[i] = entry.At.UtcDateTime;
            details[i] = entry.DetailJson;
        }

        await using var insert = new NpgsqlCommand(InsertBatch, connection);
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deviceIds });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = states });
        insert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = times });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = details, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        foreach (var pending in entries)
        {
            pending.Settled = true;
        }

        _metrics.EntriesWritten(count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lifecycle audit cannot be written to PostgreSQL ({Reason}); {Count} entries are kept and written when it can be")]
    private partial void LogOutageStarted(string reason, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lifecycle audit is written to PostgreSQL again after {OutageSeconds:F1} s; {BatchesWaited} batches waited")]
    private partial void LogOutageEnded(double outageSeconds, int batchesWaited);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL refused the audit entry of device {DeviceId}, {Kind} {Id} state {State} ({Reason}); it is left out and the rest of its batch is stored")]
    private partial void LogEntryRefused(string deviceId, string kind, string id, string state, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lifecycle audit dropped the entry of device {DeviceId}, {Kind} {Id} state {State} at {At:O}: {Reason}")]
    private partial void LogEntryDropped(string deviceId, string kind, string id, string state, DateTimeOffset at, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The lifecycle audit writer stopped with {Count} entries unwritten, out of time to write them; they are missing from the audit")]
    private partial void LogStoppedWithUnwritten(int count);

    private sealed class PendingEntry(LifecycleAuditEntry entry)
    {
        public LifecycleAuditEntry Entry { get; } = entry;

        /// <summary>Written or refused: not written again when the rest of its batch is.</summary>
        public bool Settled { get; set; }
    }
}
