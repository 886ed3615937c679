#!/usr/bin/env python3
"""EXPLAIN (ANALYZE, BUFFERS) of the device list's statements, built as PostgresDeviceCatalog.ListStatement builds them,
prepared with their parameters and executed with custom plans (as Npgsql's unnamed statements are planned).
Usage: explain_list.py "<psql connection arguments>"; prints a Markdown table."""
import re, subprocess, sys

STATUS = "(CASE WHEN NOT active THEN 'unregistered' WHEN online THEN 'online' ELSE 'offline' END)"
COLUMNS = """device_id, name, type, location, firmware_version, hardware_version, capabilities::text,
active, online, last_seen, created_at, updated_at"""

def statement(status, type_, location, name):
    p = 4 if name else 3
    cond = ""
    if status: cond += f" AND {STATUS} = ${p}"; p += 1
    if type_: cond += f" AND type = ${p}"; p += 1
    if location: cond += f" AND location = ${p}"; p += 1
    if not name:
        return f"SELECT {COLUMNS} FROM devices WHERE device_id > $1{cond} ORDER BY device_id LIMIT $2"
    return f"""WITH window_matches AS MATERIALIZED (
    SELECT * FROM (
        SELECT {COLUMNS} FROM devices WHERE device_id > $1{cond} ORDER BY device_id LIMIT $3
    ) examined
    WHERE name ILIKE ${p} ORDER BY device_id LIMIT $2
), window_end AS MATERIALIZED (
    SELECT device_id FROM devices WHERE device_id > $1{cond} ORDER BY device_id OFFSET $3 - 1 LIMIT 1
)
SELECT * FROM window_matches
UNION ALL
SELECT * FROM (
    SELECT {COLUMNS} FROM devices
    WHERE (SELECT count(*) FROM window_matches) < $2
      AND EXISTS (SELECT FROM window_end)
      AND (device_id || '') > (SELECT device_id FROM window_end)
      AND name ILIKE ${p}{cond}
    OFFSET 0
) beyond_window
ORDER BY device_id LIMIT $2"""

def pattern(q): return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

def lit(v): return "'" + str(v).replace("'", "''") + "'"

def explain(psql, label, after="", status=None, type_=None, location=None, q=None, limit=50):
    sql = statement(status, type_, location, q)
    types = ["text", "int"] + (["int"] if q else []) + ["text"] * sum(x is not None for x in (status, type_, location, q))
    args = [lit(after), str(limit + 1)] + ([str(max(5000, 10 * (limit + 1)))] if q else [])
    args += [lit(v) for v in (status, type_, location) if v is not None] + ([lit(pattern(q))] if q else [])
    script = (f"SET plan_cache_mode = force_custom_plan;\nPREPARE list({', '.join(types)}) AS {sql};\n"
              f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE list({', '.join(args)});\n")
    plan = subprocess.run(psql.split() + ["-X", "-At", "-q"], input=script, capture_output=True, text=True, check=True).stdout
    time = re.search(r"Execution Time: ([0-9.]+)", plan).group(1)
    rows = re.search(r"actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+)", plan).group(1)
    scans = []
    for line in plan.splitlines():
        m = re.search(r"(Index Scan using \w+|Index Only Scan using \w+|Bitmap Index Scan on \w+|Seq Scan on \w+|Sort)\s.*actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+)", line)
        if m and "never executed" not in line:
            scans.append(f"{m.group(1).replace('Scan using ', 'Scan ').replace(' on ', ' ')} ({m.group(2)})")
    hits = re.search(r"Buffers: shared (.*)", plan).group(1)
    print(f"| {label} | {time} | {rows} | {'; '.join(scans)} | {hits} |")

psql = sys.argv[1]
deep = "dev-0900000"
print("| case | ms | rows | scans that ran (rows each) | buffers |")
print("|---|---|---|---|---|")
explain(psql, "no filter, first page")
explain(psql, "no filter, deep page", after=deep)
explain(psql, "no filter, limit 500, deep", after=deep, limit=500)
explain(psql, "status=online (65 %)", status="online")
explain(psql, "status=online, deep", after=deep, status="online")
explain(psql, "status=unregistered (2 %)", status="unregistered")
explain(psql, "status=unregistered, deep", after=deep, status="unregistered")
explain(psql, "type=sensor (60 %)", type_="sensor")
explain(psql, "type=lock (0.1 %)", type_="lock")
explain(psql, "type=lock, deep", after=deep, type_="lock")
explain(psql, "location=site-17 (0.1 %)", location="site-17")
explain(psql, "location=site-17, deep", after=deep, location="site-17")
explain(psql, "location=nowhere (none)", location="nowhere")
explain(psql, "q=temperature (14 %)", q="temperature")
explain(psql, "q=temperature, deep", after=deep, q="temperature")
explain(psql, "q=pump pressure (1.4 %)", q="pump pressure")
explain(psql, "q=pump pressure, deep", after=deep, q="pump pressure")
explain(psql, "q=pump pressure 1 (0.16 %)", q="pump pressure 1")
explain(psql, "q=987654 (1 device)", q="987654")
explain(psql, "q=987654, deep", after=deep, q="987654")
explain(psql, "q=zzz (none)", q="zzz")
explain(psql, "q=sensor 1 (11 %, none after dev-0200000)", after="dev-0200000", q="sensor 1")
explain(psql, "status=offline, type=camera", status="offline", type_="camera")
explain(psql, "status=offline, type=camera, deep", after=deep, status="offline", type_="camera")
explain(psql, "status=unregistered, type=lock (none)", status="unregistered", type_="lock")
explain(psql, "status, type, location", status="online", type_="sensor", location="site-17")
explain(psql, "status, type, location, deep", after=deep, status="online", type_="sensor", location="site-17")
explain(psql, "type=sensor, q=temperature", type_="sensor", q="temperature")
explain(psql, "status=online, q=987654", status="online", q="987654")
explain(psql, "location=site-17, q=temperature", location="site-17", q="temperature")
explain(psql, "all four", status="online", type_="sensor", location="site-17", q="temperature")
explain(psql, "all four, deep", after=deep, status="online", type_="sensor", location="site-17", q="temperature")
