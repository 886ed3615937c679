#!/usr/bin/env bash
# The seed guide's device flow with nothing but mosquitto_rr/_pub/_sub (apt-get install mosquitto-clients)
# against a running node (dotnet run --project Silo). Registers a device, then sends a heartbeat, a status
# report and a reading carrying the token in the payload, and shows what the system published back.
set -euo pipefail
host=${MQTT_HOST:-localhost}
port=${MQTT_PORT:-1883}
device=${1:-device_001}

# Registration is a request and its response on one MQTT 5 session: the token is delivered only to the session that
# asked for it (mosquitto_rr publishes with a Response Topic and waits there).
response=$(mosquitto_rr -h "$host" -p "$port" -q 1 -W 10 \
  -t "iot/devices/register/$device" -e "iot/devices/$device/register/response" -m '{
  "name": "Temperature Sensor 001", "type": "temperature_sensor", "firmware_version": "1.2.3",
  "hardware_version": "2.1", "location": "Building A, Room 101",
  "capabilities": ["temperature", "humidity", "battery_monitoring"]}')
echo "register -> $response"
token=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$response")
[ -n "$token" ] || { echo "registration failed" >&2; exit 1; }

# The device's own session: client id = user name = device id, password = token.
mosquitto_sub -h "$host" -p "$port" -i "$device" -u "$device" -P "$token" -C 1 -W 10 -v -t "iot/devices/$device/errors" &
errors=$!
sleep 0.5
mosquitto_pub -h "$host" -p "$port" -q 0 -t "iot/devices/heartbeat/$device" \
  -m "{\"battery_level\": 85, \"signal_strength\": -67, \"auth_token\": \"$token\"}"
mosquitto_pub -h "$host" -p "$port" -q 1 -t "iot/devices/status/$device" \
  -m "{\"status\": \"online\", \"auth_token\": \"$token\"}"
mosquitto_pub -h "$host" -p "$port" -q 1 -t "iot/devices/data/$device/temperature" \
  -m "{\"value\": 23.5, \"unit\": \"celsius\", \"quality\": \"good\", \"timestamp\": 1694678400, \"auth_token\": \"$token\"}"
echo "heartbeat, status and temperature sent with the token in the payload"
# A reading without the token is refused; its error arrives on the device's error topic.
mosquitto_pub -h "$host" -p "$port" -q 1 -t "iot/devices/data/$device/temperature" -m '{"value": 24}'
wait "$errors"
