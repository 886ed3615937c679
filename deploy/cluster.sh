#!/usr/bin/env bash
# The multi-process cluster on one machine, on loopback: Redis (clustering and grain state, append-only file) and
# PostgreSQL (history, catalog) from deploy/services.sh, two silos without a broker (Gateway:CoHosted=false) and two
# standalone gateways (GatewayHost) with their embedded brokers. Every process has its own log in the state folder.
#
#   deploy/cluster.sh start              build (Release), start everything, wait until every node is ready
#   deploy/cluster.sh status             what runs, on which ports
#   deploy/cluster.sh stop               stop everything and delete the state folder
#   deploy/cluster.sh kill <node>        SIGKILL a node (silo-1, silo-2, gateway-1, gateway-2): a crash
#   deploy/cluster.sh halt <part>        stop a node cleanly (SIGTERM, it drains), or redis or postgres (data kept)
#   deploy/cluster.sh start <part>       start that node, redis or postgres again (and wait until it is ready)
#
# Settings (environment): ORLEANS_IOT_CLUSTER_DIR (/tmp/orleans-iot-cluster), CLUSTER_BASE_PORT (17000; the cluster
# uses the 60 ports from there, see port()), CLUSTER_OPERATOR_KEY (a random one, kept in the state folder),
# CLUSTER_CONFIGURATION (Release), CLUSTER_NO_BUILD=1 (run what is built), CLUSTER_SILO_ARGS and CLUSTER_GATEWAY_ARGS
# (more settings for every silo or gateway, split on spaces, e.g. "--Orleans:Membership:ProbeTimeout=00:00:02").
# Behind an external broker (deploy/mosquitto), the gateways take its settings from CLUSTER_GATEWAY_ARGS, e.g.
# "--Mqtt:Mode=External --Mqtt:External:Host=127.0.0.1 --Mqtt:External:Port=1883 --Mqtt:External:Username=... ";
# each gateway's client id is orleans-iot-<its name>, stable across restarts so that it resumes its broker session.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

dir=${ORLEANS_IOT_CLUSTER_DIR:-/tmp/orleans-iot-cluster}
base=${CLUSTER_BASE_PORT:-17000}
configuration=${CLUSTER_CONFIGURATION:-Release}
nodes=(silo-1 silo-2 gateway-1 gateway-2)

# redis +0, postgres +1; silo N: silo port +10+N, Orleans gateway port +20+N, HTTP +30+N; gateway N: MQTT +40+N, HTTP +50+N
port() {
  case "$1" in
    redis) echo $((base)) ;;
    postgres) echo $((base + 1)) ;;
    silo-*) case "$2" in silo) echo $((base + 10 + ${1#silo-})) ;; orleans-gateway) echo $((base + 20 + ${1#silo-})) ;; http) echo $((base + 30 + ${1#silo-})) ;; esac ;;
    gateway-*) case "$2" in mqtt) echo $((base + 40 + ${1#gateway-})) ;; http) echo $((base + 50 + ${1#gateway-})) ;; esac ;;
  esac
}

services() {
  ORLEANS_IOT_SERVICES_DIR="$dir/services" REDIS_PORT=$(port redis) PG_PORT=$(port postgres) PG_DATABASE=orleans_iot \
    REDIS_APPENDONLY=yes deploy/services.sh "$@"
}

operator_key() {
  if [ -n "${CLUSTER_OPERATOR_KEY:-}" ]; then echo "$CLUSTER_OPERATOR_KEY"; return; fi
  [ -f "$dir/operator.key" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/operator.key")
  cat "$dir/operator.key"
}

cluster_settings() {
  echo "--Orleans:Clustering=Redis" "--Redis:ConnectionString=127.0.0.1:$(port redis)" \
    "--Orleans:ClusterId=orleans-iot-cluster" "--Orleans:ServiceId=orleans-iot-cluster" \
    "--Logging:LogLevel:Default=Warning" "--Logging:LogLevel:Orleans.IoT=Information"
}

pid_of() { cat "$dir/$1.pid" 2>/dev/null || true; }

running() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_node() {
  local name=$1 project assembly http
  http=$(port "$name" http)
  # shellcheck disable=SC2046 # the settings are words on purpose
  case "$name" in
    silo-*)
      project=Silo; assembly=Orleans.IoT.Silo.dll
      set -- $(cluster_settings) --Gateway:CoHosted=false --Storage:Provider=Redis --History:Provider=Postgres \
        "--Postgres:ConnectionString=Host=127.0.0.1;Port=$(port postgres);Username=postgres;Database=orleans_iot" \
        "--Orleans:SiloPort=$(port "$name" silo)" "--Orleans:GatewayPort=$(port "$name" orleans-gateway)" \
        "--Orleans:AdvertisedAddress=127.0.0.1" "--Auth:Operators:ops=$(operator_key)" ${CLUSTER_SILO_ARGS:-} ;;
    gateway-*)
      project=GatewayHost; assembly=Orleans.IoT.GatewayHost.dll
      set -- $(cluster_settings) "--Gateway:Id=$name" "--Mqtt:Port=$(port "$name" mqtt)" --Mqtt:BindAddress=127.0.0.1 \
        "--Mqtt:External:ClientId=orleans-iot-$name" \
        "--Auth:Operators:ops=$(operator_key)" ${CLUSTER_GATEWAY_ARGS:-} ;;
    *) echo "no node $name (${nodes[*]})" >&2; exit 2 ;;
  esac
  if running "$name"; then return; fi
  local output="$root/$project/bin/$configuration/net10.0/$assembly"
  [ -f "$output" ] || { echo "$output is not built (run without CLUSTER_NO_BUILD)" >&2; exit 1; }
  # Its own session and process group, so that kill and halt reach the whole node; the project folder as the working
  # folder, so that it reads its appsettings.json as `dotnet run --project` would.
  (cd "$root/$project" && exec setsid dotnet "$output" "$@" "--Urls=http://127.0.0.1:$http" \
    >>"$dir/$name.log" 2>&1 </dev/null) &
  echo $! >"$dir/$name.pid"
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + ${CLUSTER_READY_SECONDS:-90}))
  until curl -fs -o /dev/null "http://127.0.0.1:$(port "$name" http)/health/ready"; do
    if ! running "$name"; then
      echo "$name exited; the end of $dir/$name.log:" >&2
      tail -20 "$dir/$name.log" >&2
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "$name is not ready after ${CLUSTER_READY_SECONDS:-90} s; the end of $dir/$name.log:" >&2
      tail -20 "$dir/$name.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

signal_node() {
  local signal=$1 name=$2 pid
  pid=$(pid_of "$name")
  [ -n "$pid" ] || return 0
  kill "-$signal" -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do
    running "$name" || break
    sleep 0.1
  done
  if running "$name"; then
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$dir/$name.pid"
}

build() {
  [ "${CLUSTER_NO_BUILD:-0}" = 1 ] && return
  dotnet build -c "$configuration" Silo -v quiet -nologo >/dev/null
  dotnet build -c "$configuration" GatewayHost -v quiet -nologo >/dev/null
}

start_all() {
  mkdir -p "$dir"
  build
  eval "$(services start)"
  local name
  for name in "${nodes[@]}"; do start_node "$name"; done
  for name in "${nodes[@]}"; do wait_ready "$name"; done
  status
}

status() {
  local name state
  for part in redis postgres; do
    echo "$part: 127.0.0.1:$(port $part)"
  done
  for name in "${nodes[@]}"; do
    if running "$name"; then state="pid $(pid_of "$name")"; else state="not running"; fi
    case "$name" in
      silo-*) echo "$name: $state; silo 127.0.0.1:$(port "$name" silo), HTTP http://127.0.0.1:$(port "$name" http)" ;;
      gateway-*) echo "$name: $state; MQTT 127.0.0.1:$(port "$name" mqtt), HTTP API http://127.0.0.1:$(port "$name" http)/api/v1" ;;
    esac
  done
  echo "operator: ops, key in $dir/operator.key (or CLUSTER_OPERATOR_KEY); logs in $dir/<node>.log"
}

stop_all() {
  local name
  for name in "${nodes[@]}"; do signal_node TERM "$name"; done
  [ -d "$dir/services" ] && services stop
  rm -rf "$dir"
}

case "${1:-}:${2:-}" in
  start:) start_all ;;
  start:redis | start:postgres) eval "$(services start)" ;;
  start:*) start_node "$2"; wait_ready "$2" ;;
  halt:redis | halt:postgres) services halt "$2" ;;
  halt:?*) signal_node TERM "$2" ;;
  kill:?*) signal_node KILL "$2" ;;
  status:) status ;;
  stop:) stop_all ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
