-- The history the telemetry reads were measured on (README "Sensor history"): psql -f telemetry-load.sql, then
-- psql -d telemetry_explain -f telemetry.sql (twice: cold, then warm).
CREATE DATABASE telemetry_explain;
\c telemetry_explain
-- sensor_readings as migration 1 creates it, and the monthly partitions the writer creates.
CREATE TABLE sensor_readings (
    device_id   text NOT NULL,
    sensor_type text NOT NULL,
    ts          timestamptz NOT NULL,
    value       double precision NOT NULL,
    unit        text,
    quality     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, sensor_type, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE sensor_readings_p202602 PARTITION OF sensor_readings FOR VALUES FROM ('2026-02-01T00:00:00Z') TO ('2026-03-01T00:00:00Z');
CREATE TABLE sensor_readings_p202603 PARTITION OF sensor_readings FOR VALUES FROM ('2026-03-01T00:00:00Z') TO ('2026-04-01T00:00:00Z');
-- 4 devices, one reading a second each for 8 days (2026-02-25 to 2026-03-05, across the month boundary), in arrival
-- order (by time, devices interleaved): 2,764,800 rows, 691,200 per device.
INSERT INTO sensor_readings (device_id, sensor_type, ts, value, unit, quality)
SELECT 'dev-' || d, 'temperature', t, 20 + 5 * sin(extract(epoch FROM t) / 3600) + d, 'celsius', 'good'
FROM generate_series('2026-02-25T00:00:00Z'::timestamptz, '2026-03-04T23:59:59Z', interval '1 second') AS t,
     generate_series(0, 3) AS d
ORDER BY t, d;
VACUUM ANALYZE sensor_readings;   -- 456 MB with the primary keys
