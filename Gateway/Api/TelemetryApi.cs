using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans.IoT.Gateway.Handlers;
using Orleans.IoT.Gateway.Routing;

namespace Orleans.IoT.Gateway.Api;

/// <summary>
/// <c>/api/v1/devices/{device_id}/telemetry</c>: a device's latest readings, from its grain, and one sensor's history,
/// from the history store (<see cref="ISensorHistoryReader"/>), raw or in time buckets, cursor-paged. History is read
/// without asking whether the device exists: a device that never reported the sensor, or was never registered, has none
/// (200, no readings), and an unregistered device's history stays readable. Telling an unknown device apart would take
/// its grain (activated for any id asked about) or the device catalog, which in PostgreSQL lags a registration by a batch
/// and could answer 404 for a new device whose readings are already stored.
/// </summary>
public static class TelemetryApi
{
    /// <summary>The range read when <c>from</c> is not given: this long before <c>to</c>.</summary>
    public static readonly TimeSpan DefaultRange = TimeSpan.FromHours(24);

    public static RouteGroupBuilder MapTelemetryApi(this RouteGroupBuilder api)
    {
        var telemetry = api.MapGroup("devices/{device_id}/telemetry").WithTags("Telemetry");
        telemetry.MapGet("", GetLatest)
            .WithName("GetLatestTelemetry")
            .WithSummary("The latest reading of each sensor of a device");
        telemetry.MapGet("{sensor_type}", GetHistory)
            .WithName("GetTelemetryHistory")
            .WithSummary("One sensor's history over a time range, raw or in time buckets, cursor-paged")
            .WithDescription("Readings with `from` <= timestamp < `to` (RFC 3339 or Unix seconds; defaults: `to` now, `from` 24 h "
                + $"before `to`), oldest first. Without `bucket`, the readings (`limit` 1-{SensorHistory.MaxReadings}, default "
                + $"{SensorHistory.DefaultReadings}); with `bucket` (whole seconds from 1 s to 31 d: 30s, 5m, 1h, 1d or ISO 8601 "
                + "such as PT5M), their min, max, avg and count per bucket, buckets aligned on 2000-01-01T00:00:00Z, empty ones left "
                + $"out, a page spanning at most `limit` (1-{SensorHistory.MaxBuckets}, default {SensorHistory.DefaultBuckets}) bucket "
                + "widths and at most 31 days. `next_cursor` continues the walk (pass it alone, or with the same from, to and bucket); null when it is "
                + "done. A device or sensor without readings has an empty history.");
        return api;
    }

    public static async Task<Results<Ok<LatestTelemetry>, ApiProblem>> GetLatest([FromRoute(Name = "device_id")] string deviceId, DeviceGrains devices)
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem))
        {
            return problem!;
        }

        var snapshot = await devices.Get(deviceId).GetSnapshot();
        if (snapshot.RegisteredAt is null)
        {
            return ApiProblems.Problem(ErrorCodes.NotRegistered, "no device was ever registered under this id");
        }

        var latest = new SortedDictionary<string, RecordedReading>(StringComparer.Ordinal);
        foreach (var (sensorType, reading) in snapshot.Latest)
        {
            latest[sensorType] = new RecordedReading(SensorHistory.StoredTime(reading.Timestamp), reading.Value, reading.Unit, reading.Quality);
        }

        return TypedResults.Ok(new LatestTelemetry(snapshot.DeviceId, latest));
    }

    public static async Task<Results<Ok<TelemetryHistory>, ApiProblem>> GetHistory(
        [FromRoute(Name = "device_id")] string deviceId,
        [FromRoute(Name = "sensor_type")] string sensorType,
        [AsParameters] TelemetryHistoryQuery query,
        ISensorHistoryReader history,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!ApiRequests.TryDeviceId(deviceId, out var problem) || !ApiRequests.TryIdentifier(sensorType, "sensor_type", out problem))
        {
            return problem!;
        }

        if (!TryWalk(deviceId, sensorType, query, clock, out var cursor, out problem))
        {
            return problem!;
        }

        TimeSpan? width = cursor.WidthSeconds > 0 ? TimeSpan.FromSeconds(cursor.WidthSeconds) : null;
        var (defaultLimit, maxLimit) = width is null
            ? (SensorHistory.DefaultReadings, SensorHistory.MaxReadings)
            : (SensorHistory.DefaultBuckets, SensorHistory.MaxBuckets);
        if (!ApiRequests.TryLimit(query.Limit, defaultLimit, maxLimit, out var limit, out problem))
        {
            return problem!;
        }

        var range = new SensorHistoryRange(deviceId, sensorType, SensorHistory.Time(cursor.Resume), SensorHistory.Time(cursor.To));
        IReadOnlyList<RecordedReading>? readings = null;
        IReadOnlyList<ReadingBucket>? buckets = null;
        DateTimeOffset? next;
        if (width is { } bucketWidth)
        {
            var spanLimit = (int)Math.Max(1, SensorHistory.MaxBucketPageSpan.Ticks / bucketWidth.Ticks);
            var page = await history.ReadBucketsAsync(range, bucketWidth, Math.Min(limit, spanLimit), cancellationToken);
            (buckets, next) = (page.Buckets, page.Next);
        }
        else
        {
            var page = await history.ReadAsync(range, limit, cancellationToken);
            (readings, next) = (page.Readings, page.Next);
        }

        return TypedResults.Ok(new TelemetryHistory(
            deviceId,
            sensorType,
            SensorHistory.Time(cursor.From),
            SensorHistory.Time(cursor.To),
            width is { } shown ? BucketWidths.Format(shown) : null,
            readings,
            buckets,
            next is { } resume ? (cursor with { Resume = SensorHistory.Microseconds(resume) }).Encode(deviceId, sensorType) : null));
    }

    /// <summary>
    /// Where the read starts, as a cursor: the one given (from, to and bucket may then be left out, or must say the same),
    /// or a new walk of from, to and bucket with their defaults.
    /// </summary>
    private static bool TryWalk(
        string deviceId, string sensorType, TelemetryHistoryQuery query, TimeProvider clock, out TelemetryCursor cursor, out ApiProblem? problem)
    {
        cursor = default;
        if (!ApiRequests.TryTime(query.From, "from", out var from, out problem) || !ApiRequests.TryTime(query.To, "to", out var to, out problem))
        {
            return false;
        }

        long widthSeconds = 0;
        if (!string.IsNullOrEmpty(query.Bucket))
        {
            if (!BucketWidths.TryParse(query.Bucket, out var width))
            {
                problem = Invalid("bucket must be a duration of whole seconds from 1 s to 366 days: 30s, 5m, 1h, 1d, or ISO 8601 such as PT5M or P1DT12H");
                return false;
            }

            widthSeconds = (long)width.TotalSeconds;
        }

        if (!string.IsNullOrEmpty(query.Cursor))
        {
            if (!TelemetryCursor.TryDecode(query.Cursor, deviceId, sensorType, out cursor))
            {
                problem = Invalid("cursor is not a next_cursor of this device's sensor");
                return false;
            }

            if ((from is { } f && SensorHistory.Microseconds(f) != cursor.From)
                || (to is { } t && SensorHistory.Microseconds(t) != cursor.To)
                || (widthSeconds > 0 && widthSeconds != cursor.WidthSeconds))
            {
                problem = Invalid("cursor belongs to another query: leave out from, to and bucket, or give the ones it was issued for");
                return false;
            }

            return true;
        }

        var end = SensorHistory.Microseconds(to ?? clock.GetUtcNow());
        var start = from is { } given
            ? SensorHistory.Microseconds(given)
            : Math.Max(SensorHistory.Microseconds(SensorHistory.BucketOrigin), end - (long)DefaultRange.TotalMicroseconds);
        if (start >= end)
        {
            problem = Invalid("from must lie before to");
            return false;
        }

        cursor = new TelemetryCursor(start, end, widthSeconds, start);
        return true;
    }


    private static ApiProblem Invalid(string detail) => ApiProblems.Problem(ErrorCodes.ValidationFailed, detail);
}

/// <summary>The query of a history read, taken as text and checked by <see cref="TelemetryApi.GetHistory"/>.</summary>
public readonly record struct TelemetryHistoryQuery(
    [property: FromQuery(Name = "from")] string? From,
    [property: FromQuery(Name = "to")] string? To,
    [property: FromQuery(Name = "bucket")] string? Bucket,
    [property: FromQuery(Name = "cursor")] string? Cursor,
    [property: FromQuery(Name = "limit")] string? Limit);

/// <summary>A device's latest reading of each sensor it reported, by sensor type.</summary>
public sealed record LatestTelemetry(string DeviceId, IReadOnlyDictionary<string, RecordedReading> Latest);

/// <summary>
/// A page of one sensor's history: <see cref="Readings"/> when raw (<see cref="Buckets"/> null), <see cref="Buckets"/>
/// when <see cref="Bucket"/> (ISO 8601) is set (<see cref="Readings"/> null); <see cref="NextCursor"/> continues the walk,
/// null when it is done.
/// </summary>
public sealed record TelemetryHistory(
    string DeviceId,
    string SensorType,
    DateTimeOffset From,
    DateTimeOffset To,
    string? Bucket,
    IReadOnlyList<RecordedReading>? Readings,
    IReadOnlyList<ReadingBucket>? Buckets,
    string? NextCursor);
