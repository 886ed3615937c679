-- The adapter's statements, verbatim (PostgresSensorHistory.Reads.cs), prepared with the parameter types Npgsql sends.
PREPARE select_first(text, text, timestamptz, timestamptz) AS
  SELECT ts FROM sensor_readings
  WHERE device_id = $1 AND sensor_type = $2 AND ts >= $3 AND ts < $4
  ORDER BY ts LIMIT 1;
PREPARE select_buckets(text, text, timestamptz, timestamptz, interval, timestamptz) AS
  SELECT date_bin($5, ts, $6), min(value), max(value), avg(value), count(*) FROM sensor_readings
  WHERE device_id = $1 AND sensor_type = $2 AND ts >= $3 AND ts < $4
  GROUP BY 1 ORDER BY 1;
PREPARE select_readings(text, text, timestamptz, timestamptz, integer) AS
  SELECT ts, value, unit, quality FROM sensor_readings
  WHERE device_id = $1 AND sensor_type = $2 AND ts >= $3 AND ts < $4
  ORDER BY ts LIMIT $5;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE select_first('dev-1', 'temperature', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z');
EXPLAIN (ANALYZE, BUFFERS) EXECUTE select_buckets('dev-1', 'temperature', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z', '300 seconds', '2000-01-01T00:00:00Z');
EXPLAIN (ANALYZE, BUFFERS) EXECUTE select_buckets('dev-1', 'temperature', '2026-02-26T00:00:00Z', '2026-03-05T00:00:00Z', '3600 seconds', '2000-01-01T00:00:00Z');
EXPLAIN (ANALYZE, BUFFERS) EXECUTE select_readings('dev-1', 'temperature', '2026-02-28T23:50:00Z', '2026-03-05T00:00:00Z', 1001);
