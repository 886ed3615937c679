using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.IoT.Grains.Ports;
using Orleans.IoT.Silo.Configuration;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// The alert store in PostgreSQL (<c>alerts</c>, one row per alert). Recording only queues the alert as it now stands
/// (a clear queued while its raise waits takes its place, so the queue holds one entry per alert); one writer, on one
/// connection, writes the queue in batches, each one upsert that keeps a stored clear and acknowledgement, and keeps a
/// batch through an outage until it is stored (<see cref="PostgresBatchWriter{T}"/>). The queue holds at most
/// <c>Alerts:QueueCapacity</c> alerts: past that (a long outage) an alert is dropped and logged as an Error, never
/// failing the device's reading. On stop the writer writes what is queued, for as long as the host gives it. Reads
/// and acknowledgements see what is written: they lag recording by the write of a batch.
/// </summary>
public sealed partial class PostgresAlertStore(
    NpgsqlDataSource dataSource, IOptions<AlertStoreOptions> options, TimeProvider clock, ILogger<PostgresAlertStore> logger)
    : IAlertStore, IAlertReader, IHostedService
{
    private const int MaxBatchSize = 1000;

    private const string Columns = """
        alert_id, device_id, rule, sensor_type, severity, threshold, raised_value, raised_at, cleared_value, cleared_at,
        acknowledged_at, acknowledged_by
        """;

    /// <summary>
    /// Every alert of a batch as arrays unnested into rows; the batch holds one entry per alert. A stored clear and a
    /// stored acknowledgement stand (an acknowledgement queued with the alert it acknowledges is written with it).
    /// </summary>
    private const string UpsertBatch = """
        INSERT INTO alerts (alert_id, device_id, rule, sensor_type, severity, threshold, raised_value, raised_at,
                            cleared_value, cleared_at, acknowledged_at, acknowledged_by, state)
        SELECT *, CASE WHEN cleared_at IS NULL THEN 'active' ELSE 'cleared' END
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[],
                    $8::timestamptz[], $9::float8[], $10::timestamptz[], $11::timestamptz[], $12::text[])
             AS batch (alert_id, device_id, rule, sensor_type, severity, threshold, raised_value, raised_at,
                       cleared_value, cleared_at, acknowledged_at, acknowledged_by)
        ON CONFLICT (alert_id) DO UPDATE SET
            cleared_value = coalesce(alerts.cleared_value, excluded.cleared_value),
            cleared_at = coalesce(alerts.cleared_at, excluded.cleared_at),
            acknowledged_by = CASE WHEN alerts.acknowledged_at IS NULL THEN excluded.acknowledged_by ELSE alerts.acknowledged_by END,
            acknowledged_at = coalesce(alerts.acknowledged_at, excluded.acknowledged_at),
            state = CASE WHEN coalesce(alerts.cleared_at, excluded.cleared_at) IS NULL THEN 'active' ELSE 'cleared' END
        """;

    /// <summary>
    /// The fleet's alerts newest first, by state and severity ($2; of every severity without it), each read up to the
    /// limit on an index in that order (alerts_active_recent, alerts_active, alerts_cleared, alerts_cleared_severity);
    /// both states as a merge of the two reads.
    /// </summary>
    private static readonly string ReadActive = ReadInState(AlertStates.Active, ofSeverity: false);

    private static readonly string ReadActiveOfSeverity = ReadInState(AlertStates.Active, ofSeverity: true);

    private static readonly string ReadCleared = ReadInState(AlertStates.Cleared, ofSeverity: false);

    private static readonly string ReadClearedOfSeverity = ReadInState(AlertStates.Cleared, ofSeverity: true);

    private static readonly string ReadEither = ReadInEitherState(ofSeverity: false);

    private static readonly string ReadEitherOfSeverity = ReadInEitherState(ofSeverity: true);

    private const string ReadDevice = $"SELECT {Columns} FROM alerts WHERE device_id = $2 ORDER BY raised_at DESC, alert_id LIMIT $1";

    private const string CountActive = "SELECT severity, count(*) FROM alerts WHERE state = 'active' GROUP BY severity";

    /// <summary>Sets the acknowledgement unless there is one; counts the alert either way.</summary>
    private const string Acknowledge = """
        WITH acknowledged AS (
            UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE alert_id = $1 AND acknowledged_at IS NULL
        )
        SELECT count(*) FROM alerts WHERE alert_id = $1
        """;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Alert> _queued = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.QueueCapacity;

    /// <summary>Holds one signal at most: something was queued since the writer last looked.</summary>
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly CancellationTokenSource _abort = new();
    private Task _writing = Task.CompletedTask;

    /// <summary>Alerts queued and not yet taken by the writer.</summary>
    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queued.Count;
            }
        }
    }

    public ValueTask RecordAsync(Alert alert, CancellationToken cancellationToken)
    {
        var told = AlertStoreRules.Accept(alert);
        if (!TryQueue(told))
        {
            LogAlertDropped(told.AlertId, told.DeviceId, told.State, _capacity);
        }

        return ValueTask.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Any failure but a refused alert is retried: the store never drops an alert it could still store.
        var writer = new PostgresBatchWriter<Alert>(
            dataSource,
            WriteAsync,
            (reason, batchCount) => LogOutageStarted(reason, batchCount + Queued),
            outage => LogOutageEnded(outage.Duration.TotalSeconds, outage.BatchesWaited),
            (alert, reason) => LogAlertRefused(alert.AlertId, alert.DeviceId, reason));
        _writing = Task.Run(() => writer.RunAsync(_wake.Reader, TakeBatch, PutBack, _abort.Token));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes what is queued; when <paramref name="cancellationToken"/> (the host's shutdown deadline) fires first,
    /// what is left is reported as unwritten.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _wake.Writer.TryComplete();
        await using (cancellationToken.Register(() => _abort.Cancel()))
        {
            await _writing;
        }

        if (Queued is > 0 and var unwritten)
        {
            LogStoppedWithUnwritten(unwritten);
        }
    }

    public Task<IReadOnlyList<Alert>> ReadActiveAsync(string? severity, int limit, CancellationToken cancellationToken) =>
        ReadFleetAsync(severity, AlertStates.Active, limit, cancellationToken);

    public Task<IReadOnlyList<Alert>> ReadFleetAsync(string? severity, string? state, int limit, CancellationToken cancellationToken)
    {
        AlertStoreRules.ValidateLimit(limit);
        if (severity is not null)
        {
            AlertStoreRules.ValidateSeverity(severity);
        }

        if (state is not null)
        {
            AlertStoreRules.ValidateState(state);
        }

        var sql = (state, severity is null) switch
        {
            (AlertStates.Active, true) => ReadActive,
            (AlertStates.Active, false) => ReadActiveOfSeverity,
            (AlertStates.Cleared, true) => ReadCleared,
            (AlertStates.Cleared, false) => ReadClearedOfSeverity,
            (_, true) => ReadEither,
            (_, false) => ReadEitherOfSeverity,
        };
        return QueryAlertsAsync(sql, limit, severity, cancellationToken);
    }

    public Task<IReadOnlyList<Alert>> ReadDeviceHistoryAsync(string deviceId, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        AlertStoreRules.ValidateLimit(limit);
        return QueryAlertsAsync(ReadDevice, limit, deviceId, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, long>> CountActiveBySeverityAsync(CancellationToken cancellationToken) =>
        PostgresReads.RetryOnceAsync(dataSource, "the alerts", async connection =>
        {
            await using var count = new NpgsqlCommand(CountActive, connection);
            await using var rows = await count.ExecuteReaderAsync(cancellationToken);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            while (await rows.ReadAsync(cancellationToken))
            {
                counts[rows.GetString(0)] = rows.GetInt64(1);
            }

            return AlertStoreRules.EverySeverity(counts);
        }, cancellationToken);

    public Task<bool> AcknowledgeAsync(string alertId, string operatorName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(alertId);
        ArgumentException.ThrowIfNullOrEmpty(operatorName);
        var acknowledgedAt = LifecycleAuditRules.Stored(clock.GetUtcNow()).UtcDateTime;
        lock (_lock)
        {
            // Raised a moment ago and not written yet: written with its acknowledgement (the first one stands).
            if (_queued.TryGetValue(alertId, out var queued))
            {
                _queued[alertId] = AlertStoreRules.Merge(queued, queued with { AcknowledgedAt = acknowledgedAt, AcknowledgedBy = operatorName });
                return Task.FromResult(true);
            }
        }

        return PostgresReads.RetryOnceAsync(dataSource, "the alerts", async connection =>
        {
            await using var acknowledge = new NpgsqlCommand(Acknowledge, connection);
            acknowledge.Parameters.Add(new NpgsqlParameter<string> { TypedValue = alertId });
            acknowledge.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = acknowledgedAt });
            acknowledge.Parameters.Add(new NpgsqlParameter<string> { TypedValue = operatorName });
            return (long)(await acknowledge.ExecuteScalarAsync(cancellationToken))! > 0;
        }, cancellationToken);
    }

    private bool TryQueue(Alert alert)
    {
        lock (_lock)
        {
            if (_queued.TryGetValue(alert.AlertId, out var queued))
            {
                _queued[alert.AlertId] = AlertStoreRules.Merge(queued, alert);
            }
            else if (_queued.Count < _capacity)
            {
                _queued[alert.AlertId] = alert;
            }
            else
            {
                return false;
            }
        }

        _wake.Writer.TryWrite(true);
        return true;
    }

    private Task<IReadOnlyList<Alert>> QueryAlertsAsync(string sql, int limit, string? argument, CancellationToken cancellationToken) =>
        PostgresReads.RetryOnceAsync(dataSource, "the alerts", async connection =>
        {
            await using var read = new NpgsqlCommand(sql, connection);
            read.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            if (argument is not null)
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = argument });
            }

            await using var rows = await read.ExecuteReaderAsync(cancellationToken);
            var alerts = new List<Alert>();
            while (await rows.ReadAsync(cancellationToken))
            {
                alerts.Add(new Alert(
                    rows.GetString(0),
                    rows.GetString(1),
                    rows.GetString(2),
                    rows.GetString(3),
                    rows.GetString(4),
                    rows.GetDouble(5),
                    rows.GetDouble(6),
                    Utc(rows.GetFieldValue<DateTime>(7)),
                    rows.IsDBNull(8) ? null : rows.GetDouble(8),
                    rows.IsDBNull(9) ? null : Utc(rows.GetFieldValue<DateTime>(9)),
                    rows.IsDBNull(10) ? null : Utc(rows.GetFieldValue<DateTime>(10)),
                    rows.IsDBNull(11) ? null : rows.GetString(11)));
            }

            return (IReadOnlyList<Alert>)alerts;
        }, cancellationToken);

    private static DateTimeOffset Utc(DateTime time) => new(time, TimeSpan.Zero);

    private static string ReadInState(string state, bool ofSeverity) =>
        $"SELECT {Columns} FROM alerts WHERE state = '{state}'{(ofSeverity ? " AND severity = $2" : "")} ORDER BY raised_at DESC, alert_id LIMIT $1";

    private static string ReadInEitherState(bool ofSeverity) =>
        $"({ReadInState(AlertStates.Active, ofSeverity)}) UNION ALL ({ReadInState(AlertStates.Cleared, ofSeverity)}) ORDER BY raised_at DESC, alert_id LIMIT $1";

    /// <summary>Back in the queue to be counted as unwritten (merged with what was queued for the same alert meanwhile).</summary>
    private void PutBack(List<Alert> batch)
    {
        foreach (var alert in batch)
        {
            TryQueue(alert);
        }
    }

    private List<Alert> TakeBatch()
    {
        lock (_lock)
        {
            var batch = _queued.Values.Take(MaxBatchSize).ToList();
            foreach (var alert in batch)
            {
                _queued.Remove(alert.AlertId);
            }

            return batch;
        }
    }

    private static async Task WriteAsync(NpgsqlConnection connection, List<Alert> alerts, CancellationToken cancellationToken)
    {
        await using var upsert = new NpgsqlCommand(UpsertBatch, connection);
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. alerts.Select(a => a.AlertId)] });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. alerts.Select(a => a.DeviceId)] });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. alerts.Select(a => a.Rule)] });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. alerts.Select(a => a.SensorType)] });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. alerts.Select(a => a.Severity)] });
        upsert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = [.. alerts.Select(a => a.Threshold)] });
        upsert.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = [.. alerts.Select(a => a.RaisedValue)] });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. alerts.Select(a => a.RaisedAt.UtcDateTime)] });
        upsert.Parameters.Add(new NpgsqlParameter<double?[]> { TypedValue = [.. alerts.Select(a => a.ClearedValue)] });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = [.. alerts.Select(a => a.ClearedAt?.UtcDateTime)] });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = [.. alerts.Select(a => a.AcknowledgedAt?.UtcDateTime)] });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. alerts.Select(a => a.AcknowledgedBy)] });
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alerts cannot be written to PostgreSQL ({Reason}); {Count} alerts are kept and written when they can be")]
    private partial void LogOutageStarted(string reason, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alerts are written to PostgreSQL again after {OutageSeconds:F1} s; {BatchesWaited} batches waited")]
    private partial void LogOutageEnded(double outageSeconds, int batchesWaited);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL refused alert {AlertId} of device {DeviceId} ({Reason}); it is left out and the rest of its batch is stored")]
    private partial void LogAlertRefused(string alertId, string deviceId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped alert {AlertId} of device {DeviceId} ({State}): {Capacity} alerts already wait for PostgreSQL (Alerts:QueueCapacity)")]
    private partial void LogAlertDropped(string alertId, string deviceId, string state, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "The alert writer stopped with {Count} alerts unwritten, out of time to write them; they are missing from the store")]
    private partial void LogStoppedWithUnwritten(int count);
}
