#!/usr/bin/env bash
# The operator HTTP API with curl, against a running node with an operator (dotnet run --project Silo --
# --Auth:Operators:ops=opskey), and a device played with mosquitto_rr/_pub (apt-get install mosquitto-clients):
# find offline devices, read a sensor's history as buckets, send a command and watch it finish, see and acknowledge
# an alert. Every request and its answer is printed.
set -euo pipefail
api=${API_URL:-http://localhost:8080}/api/v1
key=${OPERATOR_KEY:-opskey}
mqtt=(-h "${MQTT_HOST:-localhost}" -p "${MQTT_PORT:-1883}")
device=${1:-thermo-$RANDOM}

call() {
  local method=$1 path=$2
  shift 2
  echo "> $method $path" >&2
  curl -sS -X "$method" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@" "$api$path"
  echo >&2
}
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# A device registers (the token comes back on the session that asked) and reports an hour of readings, a hot one last.
token=$(mosquitto_rr "${mqtt[@]}" -q 1 -W 10 -t "iot/devices/register/$device" -e "iot/devices/$device/register/response" \
  -m '{"name":"Boiler room thermometer","type":"temperature_sensor","location":"Building A"}' | field auth_token)
[ -n "$token" ] || { echo "registration failed" >&2; exit 1; }
now=$(date +%s)
for minutes_ago in 50 40 30 20 10 1; do
  value=$(( 60 + (50 - minutes_ago) / 2 ))
  [ "$minutes_ago" -eq 1 ] && value=85
  mosquitto_pub "${mqtt[@]}" -q 1 -t "iot/devices/data/$device/temperature" \
    -m "{\"value\":$value,\"unit\":\"celsius\",\"timestamp\":$(( now - minutes_ago * 60 )),\"auth_token\":\"$token\"}"
done

echo "== the fleet, and the offline devices of this type"
call GET "/fleet/health"
call GET "/devices?status=offline&type=temperature_sensor&limit=5"

echo "== the last hour of temperature in 15-minute buckets"
call GET "/devices/$device/telemetry/temperature?from=$(( now - 3600 ))&bucket=15m"

echo "== a command, answered by the device, watched until it ends"
command_id=reboot-$RANDOM
call POST "/devices/$device/commands" -d "{\"command\":\"reboot\",\"command_id\":\"$command_id\",\"ttl_seconds\":300}"
mosquitto_pub "${mqtt[@]}" -q 1 -t "iot/devices/control/$device/command/$command_id/result" \
  -m "{\"status\":\"succeeded\",\"result\":{\"uptime\":0},\"auth_token\":\"$token\"}"
for _ in 1 2 3 4 5 6 7 8 9 10; do
  status=$(call GET "/devices/$device/commands/$command_id" 2>/dev/null | field status)
  echo "command $command_id: $status"
  case $status in succeeded|failed|rejected|expired) break ;; esac
  sleep 0.5
done

echo "== the alert the hot reading raised, acknowledged"
alerts=$(call GET "/devices/$device/alerts")
echo "$alerts"
alert_id=$(field alert_id <<<"$alerts" | head -1)
[ -n "$alert_id" ] && call POST "/alerts/$alert_id/acknowledge"
call GET "/alerts?severity=high&limit=5"
