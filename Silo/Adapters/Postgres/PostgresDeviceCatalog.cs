using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>The device catalog in PostgreSQL, written when a registration or presence changes.</summary>
public sealed class PostgresDeviceCatalog(NpgsqlDataSource dataSource) : IDeviceCatalog
{
    private const string Upsert = """
        INSERT INTO devices (device_id, name, type, firmware_version, hardware_version, location, capabilities,
                             active, online, last_seen, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (device_id) DO UPDATE SET
            name = excluded.name, type = excluded.type, firmware_version = excluded.firmware_version,
            hardware_version = excluded.hardware_version, location = excluded.location,
            capabilities = excluded.capabilities, active = excluded.active, online = excluded.online,
            last_seen = excluded.last_seen, updated_at = excluded.updated_at
        """;

    public async ValueTask UpsertAsync(DeviceCatalogEntry entry, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Upsert);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.DeviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Type });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.FirmwareVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.HardwareVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(entry.Capabilities), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = entry.Active });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = entry.Online });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)entry.LastSeen ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.CreatedAt });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.UpdatedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
