using Npgsql;

namespace Orleans.IoT.Silo.Adapters.Postgres;

/// <summary>
/// Reads of the history. Every statement bounds <c>ts</c> on both sides with constants, so that the planner keeps only
/// the monthly partitions the range touches and walks the primary key (device_id, sensor_type, ts) over the range:
/// raw pages stop after their rows, buckets aggregate one page's span (at most <c>limit</c> bucket widths) and no more.
/// </summary>
public sealed partial class PostgresSensorHistory : ISensorHistoryReader
{
    /// <summary>One row more than the page, to tell whether the range goes on and where.</summary>
    private const string SelectReadings = """
        SELECT ts, value, unit, quality FROM sensor_readings
        WHERE device_id = $1 AND sensor_type = $2 AND ts >= $3 AND ts < $4
        ORDER BY ts LIMIT $5
        """;

    /// <summary>The first reading of a range: one probe of the primary key.</summary>
    private const string SelectFirst = """
        SELECT ts FROM sensor_readings
        WHERE device_id = $1 AND sensor_type = $2 AND ts >= $3 AND ts < $4
        ORDER BY ts LIMIT 1
        """;

    /// <summary>A page's buckets, computed here rather than by moving the readings: <c>$5</c> the width, <c>$6</c> the origin.</summary>
    private const string SelectBuckets = """
        SELECT date_bin($5, ts, $6), min(value), max(value), avg(value), count(*) FROM sensor_readings
        WHERE device_id = $1 AND sensor_type = $2 AND ts >= $3 AND ts < $4
        GROUP BY 1 ORDER BY 1
        """;

    private static readonly DateTime BucketOrigin = SensorHistory.BucketOrigin.UtcDateTime;

    public Task<SensorReadingsPage> ReadAsync(SensorHistoryRange range, int limit, CancellationToken cancellationToken)
    {
        SensorHistoryRules.ValidateRead(range, limit, SensorHistory.MaxReadings);
        var (from, to) = (SensorHistory.Microseconds(range.From), SensorHistory.Microseconds(range.To));
        return PostgresReads.RetryOnceAsync(_dataSource, "the sensor history", async connection =>
        {
            await using var select = new NpgsqlCommand(SelectReadings, connection);
            AddRange(select.Parameters, range, from, to);
            select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit + 1 });
            await using var rows = await select.ExecuteReaderAsync(cancellationToken);
            var readings = new List<RecordedReading>(Math.Min(limit, 256));
            DateTimeOffset? next = null;
            while (await rows.ReadAsync(cancellationToken))
            {
                var at = Utc(rows.GetFieldValue<DateTime>(0));
                if (readings.Count == limit)
                {
                    next = at;
                    break;
                }

                readings.Add(new RecordedReading(at, rows.GetDouble(1), rows.IsDBNull(2) ? null : rows.GetString(2), rows.GetString(3)));
            }

            return new SensorReadingsPage(readings, next);
        }, cancellationToken);
    }

    public Task<SensorBucketsPage> ReadBucketsAsync(SensorHistoryRange range, TimeSpan width, int limit, CancellationToken cancellationToken)
    {
        SensorHistoryRules.ValidateRead(range, limit, SensorHistory.MaxBuckets);
        var widthMicroseconds = SensorHistoryRules.WidthMicroseconds(width);
        var (from, to) = (SensorHistory.Microseconds(range.From), SensorHistory.Microseconds(range.To));
        return PostgresReads.RetryOnceAsync(_dataSource, "the sensor history", async connection =>
        {
            // The page starts at the first reading's bucket, so that a gap in the history never makes an empty page.
            if (await FirstAsync(connection, range, from, to, cancellationToken) is not { } first)
            {
                return new SensorBucketsPage([], null);
            }

            var end = SensorHistoryRules.PageEnd(first, widthMicroseconds, limit, to);
            await using var batch = new NpgsqlBatch(connection);
            var buckets = new NpgsqlBatchCommand(SelectBuckets);
            AddRange(buckets.Parameters, range, from, end);
            buckets.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = width });
            buckets.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = BucketOrigin });
            batch.BatchCommands.Add(buckets);
            if (end < to)
            {
                // Where the rest of the range starts: the bucket of the first reading after this page, in the same round trip.
                var rest = new NpgsqlBatchCommand(SelectFirst);
                AddRange(rest.Parameters, range, end, to);
                batch.BatchCommands.Add(rest);
            }

            await using var rows = await batch.ExecuteReaderAsync(cancellationToken);
            var page = new List<ReadingBucket>(Math.Min(limit, 256));
            while (await rows.ReadAsync(cancellationToken))
            {
                page.Add(new ReadingBucket(Utc(rows.GetFieldValue<DateTime>(0)), rows.GetDouble(1), rows.GetDouble(2), rows.GetDouble(3), rows.GetInt64(4)));
            }

            DateTimeOffset? next = null;
            if (await rows.NextResultAsync(cancellationToken) && await rows.ReadAsync(cancellationToken))
            {
                var after = SensorHistory.Microseconds(Utc(rows.GetFieldValue<DateTime>(0)));
                next = SensorHistory.Time(SensorHistoryRules.BucketStart(after, widthMicroseconds));
            }

            return new SensorBucketsPage(page, next);
        }, cancellationToken);
    }

    private static async Task<long?> FirstAsync(
        NpgsqlConnection connection, SensorHistoryRange range, long from, long to, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(SelectFirst, connection);
        AddRange(select.Parameters, range, from, to);
        return await select.ExecuteScalarAsync(cancellationToken) is DateTime first
            ? SensorHistory.Microseconds(Utc(first))
            : null;
    }

    /// <summary><c>$1</c> to <c>$4</c>: the series and the time range, in microseconds as stored.</summary>
    private static void AddRange(NpgsqlParameterCollection parameters, SensorHistoryRange range, long from, long to)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = range.DeviceId });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = range.SensorType });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = SensorHistory.Time(from).UtcDateTime });
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = SensorHistory.Time(to).UtcDateTime });
    }

    private static DateTimeOffset Utc(DateTime time) => new(time, TimeSpan.Zero);
}
