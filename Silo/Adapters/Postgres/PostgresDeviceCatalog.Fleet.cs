using Npgsql;
using Orleans.IoT.Grains.Ports;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>The fleet health report's reads of the catalog, each served by an index of migration 5.</summary>
public sealed partial class PostgresDeviceCatalog : IFleetCatalog
{
    /// <summary>
    /// An index-only scan of <c>devices_type_status</c> when the table's visibility map is current, else a sequential
    /// scan: the planner picks by what the last vacuum left (see migration 5).
    /// </summary>
    private const string CountByTypeAndStatus = "SELECT type, active, online, count(*) FROM devices GROUP BY type, active, online";

    /// <summary>The first <c>$1</c> entries of the partial index <c>devices_silent</c>, already in this order.</summary>
    private const string SelectSilentLongest = """
        SELECT device_id, name, type, last_seen FROM devices
        WHERE active AND NOT online
        ORDER BY last_seen NULLS FIRST, device_id LIMIT $1
        """;

    public async ValueTask<IReadOnlyList<FleetCatalogGroup>> CountByTypeAndStatusAsync(CancellationToken cancellationToken) =>
        await PostgresReads.RetryOnceAsync(dataSource, "the device catalog", async connection =>
        {
            await using var count = new NpgsqlCommand(CountByTypeAndStatus, connection);
            await using var rows = await count.ExecuteReaderAsync(cancellationToken);
            var groups = new List<FleetCatalogGroup>();
            while (await rows.ReadAsync(cancellationToken))
            {
                groups.Add(new FleetCatalogGroup(rows.GetString(0), rows.GetBoolean(1), rows.GetBoolean(2), rows.GetInt64(3)));
            }

            return (IReadOnlyList<FleetCatalogGroup>)groups;
        }, cancellationToken);

    public async ValueTask<IReadOnlyList<SilentDevice>> SilentLongestAsync(int limit, CancellationToken cancellationToken) =>
        await PostgresReads.RetryOnceAsync(dataSource, "the device catalog", async connection =>
        {
            await using var select = new NpgsqlCommand(SelectSilentLongest, connection);
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
            await using var rows = await select.ExecuteReaderAsync(cancellationToken);
            var devices = new List<SilentDevice>();
            while (await rows.ReadAsync(cancellationToken))
            {
                devices.Add(new SilentDevice(
                    rows.GetString(0),
                    rows.GetString(1),
                    rows.GetString(2),
                    rows.IsDBNull(3) ? null : new DateTimeOffset(rows.GetFieldValue<DateTime>(3), TimeSpan.Zero)));
            }

            return (IReadOnlyList<SilentDevice>)devices;
        }, cancellationToken);
}
