#!/usr/bin/env bash
# The test command: starts a throw-away Redis and PostgreSQL on free loopback ports (installing them with
# apt-get when missing), runs every test against them, and stops them again. Extra arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo "$1"
}

export ORLEANS_IOT_SERVICES_DIR
ORLEANS_IOT_SERVICES_DIR=$(mktemp -d /tmp/orleans-iot-test.XXXXXX)
export REDIS_PORT=${REDIS_PORT:-$(free_port 26379)}
export PG_PORT=${PG_PORT:-$(free_port 25432)}
export PG_DATABASE=orleans_iot_test
trap 'deploy/services.sh stop' EXIT

eval "$(deploy/services.sh start)"
dotnet test Orleans.IoT.sln "$@"
