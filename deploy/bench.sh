#!/usr/bin/env bash
# The benchmark: builds the node, the standalone gateway (ingest-cluster) and the benchmark in Release, starts Redis and PostgreSQL on loopback
# (deploy/services.sh; kept afterwards unless BENCH_STOP_SERVICES=1) and runs the scenarios against the
# durable profile. Arguments go to the benchmark, e.g. `deploy/bench.sh ingest --connections 1000`,
# `deploy/bench.sh --smoke` (seconds, not minutes). See README, "Performance".
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(deploy/services.sh start)"
if [ "${BENCH_STOP_SERVICES:-0}" = 1 ]; then trap 'deploy/services.sh stop' EXIT; fi
dotnet build -c Release Silo -v quiet -nologo >/dev/null
dotnet build -c Release GatewayHost -v quiet -nologo >/dev/null
dotnet build -c Release Tests/Benchmark -v quiet -nologo >/dev/null
dotnet Tests/Benchmark/bin/Release/net10.0/Orleans.IoT.Benchmark.dll "$@"
