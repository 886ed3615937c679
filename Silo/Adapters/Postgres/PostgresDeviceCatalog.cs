using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// The device catalog in PostgreSQL, written when a registration or presence changes. An upsert only queues the
/// device's entry (a newer one replaces it, so the queue holds at most one entry per device); one writer, on one
/// connection, writes the queue in batches, each one statement, and keeps a batch through an outage until it is
/// stored. On shutdown it writes what is queued, for as long as the host gives it.
/// </summary>
public sealed partial class PostgresDeviceCatalog(NpgsqlDataSource dataSource, ILogger<PostgresDeviceCatalog> logger)
    : IDeviceCatalog, IPresenceWatchList, IHostedService
{
    /// <summary>Entries per statement: a few hundred kilobytes of parameters at most.</summary>
    private const int MaxBatchSize = 1000;

    /// <summary>
    /// Every entry of a batch as thirteen arrays, unnested into rows; the batch holds one entry per device, since
    /// <c>ON CONFLICT DO UPDATE</c> may not touch a row twice in one statement.
    /// </summary>
    private const string UpsertBatch = """
        INSERT INTO devices (device_id, name, type, firmware_version, hardware_version, location, capabilities,
                             active, online, last_seen, created_at, updated_at, watched_by)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                             $8::boolean[], $9::boolean[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[])
        ON CONFLICT (device_id) DO UPDATE SET
            name = excluded.name, type = excluded.type, firmware_version = excluded.firmware_version,
            hardware_version = excluded.hardware_version, location = excluded.location,
            capabilities = excluded.capabilities, active = excluded.active, online = excluded.online,
            last_seen = excluded.last_seen, updated_at = excluded.updated_at, watched_by = excluded.watched_by
        """;

    /// <summary>The distinct watchers of online devices, one index probe each (a loose index scan), not a scan of the fleet.</summary>
    private const string SelectWatchers = """
        WITH RECURSIVE watcher AS (
            (SELECT watched_by FROM devices WHERE online AND watched_by IS NOT NULL ORDER BY watched_by LIMIT 1)
            UNION ALL
            SELECT (SELECT d.watched_by FROM devices d
                    WHERE d.online AND d.watched_by > watcher.watched_by ORDER BY d.watched_by LIMIT 1)
            FROM watcher WHERE watcher.watched_by IS NOT NULL
        )
        SELECT watched_by FROM watcher WHERE watched_by IS NOT NULL
        """;

    private const string SelectWatchedBy = """
        SELECT device_id FROM devices
        WHERE online AND watched_by = $1 AND device_id > $2
        ORDER BY watched_by, device_id LIMIT $3
        """;

    private readonly ConcurrentDictionary<string, DeviceCatalogEntry> _queued = new(StringComparer.Ordinal);

    /// <summary>Holds one signal at most: something was queued since the writer last looked.</summary>
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly CancellationTokenSource _abort = new();
    private Task _writing = Task.CompletedTask;

    /// <summary>Entries queued and not yet written.</summary>
    public int Queued => _queued.Count;

    public ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken)
    {
        _queued[entry.DeviceId] = entry;
        _wake.Writer.TryWrite(true);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<IReadOnlyList<string>> WatchersAsync(CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand(SelectWatchers);
        return await ReadIdsAsync(select, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<string>> WatchedByAsync(string watcher, string? afterDeviceId, int limit, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand(SelectWatchedBy);
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = watcher });
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterDeviceId ?? string.Empty });
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadIdsAsync(select, cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> ReadIdsAsync(NpgsqlCommand select, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Any failure but a refused entry is retried: the catalog never drops an entry it could still store.
        var writer = new PostgresBatchWriter<DeviceCatalogEntry>(
            dataSource,
            WriteAsync,
            (reason, batchCount) => LogOutageStarted(reason, batchCount + _queued.Count),
            outage => LogOutageEnded(outage.Duration.TotalSeconds, outage.BatchesWaited),
            (entry, reason) => LogEntryRefused(entry.DeviceId, reason));
        _writing = Task.Run(() => writer.RunAsync(_wake.Reader, TakeBatch, PutBack, _abort.Token));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes what is queued; when <paramref name="cancellationToken"/> (the host's shutdown deadline) fires first,
    /// what is left is reported: those devices' catalog rows lag until their next change.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _wake.Writer.TryComplete();
        await using (cancellationToken.Register(() => _abort.Cancel()))
        {
            await _writing;
        }

        if (!_queued.IsEmpty)
        {
            LogStoppedWithUnwritten(_queued.Count);
        }
    }

    /// <summary>Back in the queue to be counted as unwritten, unless a newer entry for the device came meanwhile.</summary>
    private void PutBack(List<DeviceCatalogEntry> batch)
    {
        foreach (var entry in batch)
        {
            _queued.TryAdd(entry.DeviceId, entry);
        }
    }

    /// <summary>
    /// Takes up to <see cref="MaxBatchSize"/> entries out of the queue. An entry replaced while it is taken stays
    /// queued (the removal compares the value), so a newer entry is always written after an older one.
    /// </summary>
    private List<DeviceCatalogEntry> TakeBatch()
    {
        var batch = new List<DeviceCatalogEntry>();
        foreach (var queued in _queued)
        {
            if (batch.Count == MaxBatchSize)
            {
                break;
            }

            if (_queued.TryRemove(queued))
            {
                batch.Add(queued.Value);
            }
        }

        return batch;
    }

    private static async Task WriteAsync(NpgsqlConnection connection, List<DeviceCatalogEntry> entries, CancellationToken cancellationToken)
    {
        var count = entries.Count;
        var deviceIds = new string[count];
        var names = new string[count];
        var types = new string[count];
        var firmwareVersions = new string?[count];
        var hardwareVersions = new string?[count];
        var locations = new string?[count];
        var capabilities = new string[count];
        var active = new bool[count];
        var online = new bool[count];
        var lastSeen = new DateTime?[count];
        var createdAt = new DateTime[count];
        var updatedAt = new DateTime[count];
        var watchedBy = new string?[count];
        for (var i = 0; i < count; i++)
        {
            var entry = entries[i];
            deviceIds[i] = entry.DeviceId;
            names[i] = entry.Name;
            types[i] = entry.Type;
            firmwareVersions[i] = entry.FirmwareVersion;
            hardwareVersions[i] = entry.HardwareVersion;
            locations[i] = entry.Location;
            capabilities[i] = JsonSerializer.Serialize(entry.Capabilities);
            active[i] = entry.Active;
            online[i] = entry.Online;
            lastSeen[i] = entry.LastSeen?.UtcDateTime;
            createdAt[i] = entry.CreatedAt.UtcDateTime;
            updatedAt[i] = entry.UpdatedAt.UtcDateTime;
            watchedBy[i] = entry.WatchedBy;
        }

        await using var upsert = new NpgsqlCommand(UpsertBatch, connection);
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deviceIds });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = firmwareVersions });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = hardwareVersions });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = locations });
        upsert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = capabilities, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        upsert.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = active });
        upsert.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = online });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime?[]> { TypedValue = lastSeen });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = createdAt });
        upsert.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = updatedAt });
        upsert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = watchedBy });
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The device catalog cannot be written to PostgreSQL ({Reason}); {Count} entries are kept and written when it can be")]
    private partial void LogOutageStarted(string reason, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The device catalog is written to PostgreSQL again after {OutageSeconds:F1} s; {BatchesWaited} batches waited")]
    private partial void LogOutageEnded(double outageSeconds, int batchesWaited);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL refused the catalog entry of device {DeviceId} ({Reason}); its row stays as it was until the device's next change")]
    private partial void LogEntryRefused(string deviceId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The device catalog writer stopped with {Count} entries unwritten, out of time to write them; those devices' rows lag until their next change")]
    private partial void LogStoppedWithUnwritten(int count);
}
