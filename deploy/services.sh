#!/usr/bin/env bash
# Throw-away Redis and PostgreSQL on loopback for the durable profile and its tests; also installs Mosquitto, which the
# external-broker tests start themselves, each on its own free port with the configuration of deploy/mosquitto, and
# Chromium, which the fleet console's browser tests drive.
#
#   deploy/services.sh start    install what is missing, start both, print the settings to export
#   deploy/services.sh stop     stop both and delete their data
#   deploy/services.sh halt redis|postgres    stop one, keeping its data (`start` starts it again): for fault drills
#
# State lives in $ORLEANS_IOT_SERVICES_DIR (default /tmp/orleans-iot-services). Ports: REDIS_PORT (16379),
# PG_PORT (15432). REDIS_APPENDONLY=yes keeps Redis' data in an append-only file
# (fsync every second, and on a clean shutdown), so that a restarted Redis still holds it. PostgreSQL comes from the machine's packages (/usr/lib/postgresql/<version>/bin); initdb
# refuses to run as root, so the cluster belongs to the postgres user.
set -euo pipefail

dir=${ORLEANS_IOT_SERVICES_DIR:-/tmp/orleans-iot-services}
redis_port=${REDIS_PORT:-16379}
pg_port=${PG_PORT:-15432}
pg_db=${PG_DATABASE:-orleans_iot}
redis_appendonly=${REDIS_APPENDONLY:-no}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }
  echo "$bin"
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi
}

install_missing() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
  # The external-broker tests start their own Mosquitto (Tests/EndToEnd/MosquittoBroker.cs) on a free loopback port.
  [ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || missing+=(mosquitto)
  # The fleet console's browser tests (Tests/WebConsole) drive Debian's Chromium through Playwright.
  [ -x "${ORLEANS_IOT_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  id postgres >/dev/null 2>&1 || as_root useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
}

# promtool (Debian's prometheus package) checks the /metrics format in the tests. Only the tool is taken from the
# package, unpacked into a cache folder: installing the package would also start a Prometheus server.
promtool_path() {
  if command -v promtool >/dev/null; then command -v promtool; return; fi
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/orleans-iot/promtool
  if [ ! -x "$cache/usr/bin/promtool" ]; then
    echo "unpacking promtool from Debian's prometheus package" >&2
    local download
    download=$(mktemp -d)
    if ! (cd "$download" && apt-get download -qq prometheus >/dev/null 2>&1); then
      as_root apt-get update -qq
      (cd "$download" && apt-get download -qq prometheus >/dev/null 2>&1)
    fi
    mkdir -p "$cache"
    dpkg-deb -x "$download"/prometheus_*.deb "$cache"
    rm -rf "$download"
  fi
  echo "$cache/usr/bin/promtool"
}

start() {
  install_missing
  local promtool
  promtool=$(promtool_path)
  mkdir -p "$dir"
  chmod 755 "$dir"

  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly "$redis_appendonly" --appendfsync everysec \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  fi

  local bin data="$dir/pg"
  bin=$(pg_bin)
  if [ ! -f "$data/PG_VERSION" ]; then
    as_root mkdir -p "$data"
    as_root chown postgres "$data"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust --no-sync >/dev/null
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w start \
      -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$data -c fsync=off -c max_connections=200" >/dev/null
  fi

  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$redis_port" ping >/dev/null || { echo "Redis did not start; see $dir/redis.log" >&2; exit 1; }

  echo "export ORLEANS_IOT_PROMTOOL=$promtool"
  echo "export ORLEANS_IOT_TEST_REDIS=127.0.0.1:$redis_port"
  echo "export ORLEANS_IOT_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$pg_db'"
}

stop() {
  if [ -f "$dir/redis.pid" ]; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/pg/PG_VERSION" ]; then
    as_postgres "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  as_root rm -rf "$dir"
}

halt() {
  case "${1:-}" in
    redis) redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || true ;;
    postgres) as_postgres "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true ;;
    *) echo "usage: $0 halt redis|postgres" >&2; exit 2 ;;
  esac
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  halt) halt "${2:-}" ;;
  *) echo "usage: $0 start|stop|halt redis|postgres" >&2; exit 2 ;;
esac
