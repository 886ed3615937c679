using System.Text;
using System.Text.Json;
using Npgsql;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>The device list's reads of the catalog, each page a range scan of an index of migration 7.</summary>
public sealed partial class PostgresDeviceCatalog : IDeviceDirectory
{
    /// <summary>A device's status in SQL: the expression indexed by <c>devices_status_id</c>, word for word.</summary>
    private const string StatusExpression = "(CASE WHEN NOT active THEN 'unregistered' WHEN online THEN 'online' ELSE 'offline' END)";

    private const string Columns = """
        device_id, name, type, location, firmware_version, hardware_version, capabilities::text,
        active, online, last_seen, created_at, updated_at
        """;

    private const int StatusFilter = 1, TypeFilter = 2, LocationFilter = 4, NameFilter = 8;

    /// <summary>The rows a page with <c>q</c> reads in id order before it looks for the rest of its matches by trigrams.</summary>
    private static int NameScanWindow(int limit) => Math.Max(5_000, 10 * (limit + 1));

    /// <summary>The list's statement for each combination of filters (a bit each), so that none is built per request.</summary>
    private static readonly string[] ListStatements = [.. Enumerable.Range(0, 16).Select(ListStatement)];

    /// <summary>
    /// <c>$1</c> the id the page follows, <c>$2</c> one more row than the page (to tell whether more follow), with a
    /// name filter <c>$3</c> its scan window; then the filters present, in the order of their bits.
    /// </summary>
    /// <remarks>
    /// Without a name filter a page is one range scan, from the cursor, of the index of the filter the planner finds
    /// most selective; the other filters are checked on its rows. A name filter (ILIKE '%q%') cannot be read in id order
    /// from its trigram index, and the planner cannot tell where in id order a substring's matches lie: left to choose,
    /// it reads the primary key in order for a substring that is common overall, which walked 800,000 rows (1.7 s) for
    /// one whose matches all lay before the cursor. So a page first reads up to a window of the next rows in id order
    /// (a common substring fills the page there), and only when the window is full and holds less than a page does it
    /// look past the window's end through the trigram index, every match there sorted by id: its cost follows the
    /// substring's matches, not the distance walked (the conditions before it are one-time filters, checked in order,
    /// so the window's end is looked up only for a short page). <c>device_id || ''</c> keeps that second part off the primary
    /// key's order (the same comparison, in the same collation, that no index serves); <c>OFFSET 0</c> keeps it from
    /// being merged into the outer query.
    /// </remarks>
    private static string ListStatement(int filters)
    {
        var hasName = (filters & NameFilter) != 0;
        var parameter = hasName ? 4 : 3;
        var conditions = new StringBuilder();
        if ((filters & StatusFilter) != 0)
        {
            conditions.Append($" AND {StatusExpression} = ${parameter++}");
        }

        if ((filters & TypeFilter) != 0)
        {
            conditions.Append($" AND type = ${parameter++}");
        }

        if ((filters & LocationFilter) != 0)
        {
            conditions.Append($" AND location = ${parameter++}");
        }

        if (!hasName)
        {
            return $"SELECT {Columns} FROM devices WHERE device_id > $1{conditions} ORDER BY device_id LIMIT $2";
        }

        return $"""
            WITH window_matches AS MATERIALIZED (
                SELECT * FROM (
                    SELECT {Columns} FROM devices WHERE device_id > $1{conditions} ORDER BY device_id LIMIT $3
                ) examined
                WHERE name ILIKE ${parameter} ORDER BY device_id LIMIT $2
            ), window_end AS MATERIALIZED (
                SELECT device_id FROM devices WHERE device_id > $1{conditions} ORDER BY device_id OFFSET $3 - 1 LIMIT 1
            )
            SELECT * FROM window_matches
            UNION ALL
            SELECT * FROM (
                SELECT {Columns} FROM devices
                WHERE (SELECT count(*) FROM window_matches) < $2
                  AND EXISTS (SELECT FROM window_end)
                  AND (device_id || '') > (SELECT device_id FROM window_end)
                  AND name ILIKE ${parameter}{conditions}
                OFFSET 0
            ) beyond_window
            ORDER BY device_id LIMIT $2
            """;
    }

    public async Task<DevicePage> ListAsync(DeviceQuery query, CancellationToken cancellationToken) =>
        await PostgresReads.RetryOnceAsync(dataSource, "the device catalog", async connection =>
        {
            var filters = (query.Status is null ? 0 : StatusFilter)
                | (query.Type is null ? 0 : TypeFilter)
                | (query.Location is null ? 0 : LocationFilter)
                | (query.NameContains is null ? 0 : NameFilter);
            await using var select = new NpgsqlCommand(ListStatements[filters], connection);
            select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = query.AfterDeviceId ?? string.Empty });
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = query.Limit + 1 });
            if (query.NameContains is not null)
            {
                select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = NameScanWindow(query.Limit) });
            }

            foreach (var value in (ReadOnlySpan<string?>)[query.Status, query.Type, query.Location, ContainsPattern(query.NameContains)])
            {
                if (value is not null)
                {
                    select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
                }
            }

            await using var rows = await select.ExecuteReaderAsync(cancellationToken);
            var devices = new List<DeviceSummary>(query.Limit + 1);
            while (await rows.ReadAsync(cancellationToken))
            {
                devices.Add(new DeviceSummary(
                    rows.GetString(0),
                    rows.GetString(1),
                    rows.GetString(2),
                    rows.IsDBNull(3) ? null : rows.GetString(3),
                    rows.IsDBNull(4) ? null : rows.GetString(4),
                    rows.IsDBNull(5) ? null : rows.GetString(5),
                    JsonSerializer.Deserialize<string[]>(rows.GetString(6)) ?? [],
                    DeviceStatuses.Of(registered: rows.GetBoolean(7), online: rows.GetBoolean(8)),
                    rows.IsDBNull(9) ? null : Utc(rows.GetFieldValue<DateTime>(9)),
                    Utc(rows.GetFieldValue<DateTime>(10)),
                    Utc(rows.GetFieldValue<DateTime>(11))));
            }

            var hasMore = devices.Count > query.Limit;
            if (hasMore)
            {
                devices.RemoveAt(query.Limit);
            }

            return new DevicePage(devices, hasMore);
        }, cancellationToken);

    /// <summary><c>%text%</c> for ILIKE, with the pattern's own characters (<c>\</c>, <c>%</c>, <c>_</c>) escaped.</summary>
    private static string? ContainsPattern(string? text) =>
        text is null ? null : "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";

    private static DateTimeOffset Utc(DateTime time) => new(time, TimeSpan.Zero);
}
