#!/usr/bin/env bash
# Runs the node in the durable profile: Redis clustering and grain state, PostgreSQL history and catalog,
# against a Redis and a PostgreSQL on loopback started by deploy/services.sh (their data is kept between
# runs; `deploy/services.sh stop` removes it). Extra arguments go to the node, e.g. --Mqtt:Port=1884.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(deploy/services.sh start)"
exec dotnet run --project Silo -- \
  --Orleans:Clustering=Redis --Storage:Provider=Redis --History:Provider=Postgres \
  "--Redis:ConnectionString=$ORLEANS_IOT_TEST_REDIS" "--Postgres:ConnectionString=$ORLEANS_IOT_TEST_POSTGRES" "$@"
