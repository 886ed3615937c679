#!/usr/bin/env bash
# An operator and a device with nothing but mosquitto_rr/_pub/_sub (apt-get install mosquitto-clients), MQTT 3.1.1
# apart from the registration: a command, a configuration change and a firmware update run to their ends, and every
# state change the operator sees on iot/events/# is printed. Needs a running node with an operator, for example
#   dotnet run --project Silo -- --Auth:Operators:ops=opskey
# Settings: MQTT_HOST, MQTT_PORT, OPERATOR (ops), OPERATOR_KEY (opskey), the device id as the first argument.
set -euo pipefail
host=${MQTT_HOST:-localhost}
port=${MQTT_PORT:-1883}
operator=${OPERATOR:-ops}
key=${OPERATOR_KEY:-opskey}
device=${1:-demo_$RANDOM}
mqtt=(-h "$host" -p "$port")

response=$(mosquitto_rr "${mqtt[@]}" -q 1 -W 10 -t "iot/devices/register/$device" -e "iot/devices/$device/register/response" \
  -m '{"name":"Demo device","type":"sensor","firmware_version":"1.0"}')
token=$(sed -n 's/.*"auth_token":"\([^"]*\)".*/\1/p' <<<"$response")
[ -n "$token" ] || { echo "registration failed: $response" >&2; exit 1; }
echo "registered $device"

events=$(mktemp)
received=$(mktemp)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -f "$events" "$received"' EXIT
# The device listens as itself; it publishes its answers with the token in the payload, from other connections.
mosquitto_sub "${mqtt[@]}" -V mqttv311 -i "$device" -u "$device" -P "$token" -q 1 -v \
  -t "iot/devices/$device/commands/+" -t "iot/devices/$device/config/+" -t "iot/devices/$device/firmware/update/+" >"$received" &
mosquitto_sub "${mqtt[@]}" -V mqttv311 -u "$operator" -P "$key" -q 1 -v -t "iot/events/commands/$device/+" \
  -t "iot/events/config/$device/+" -t "iot/events/firmware/$device/+" >"$events" &
sleep 1

as_operator() { mosquitto_pub "${mqtt[@]}" -V mqttv311 -u "$operator" -P "$key" -q 2 -t "iot/devices/$1" -m "$2"; }
as_device() { mosquitto_pub "${mqtt[@]}" -V mqttv311 -q 1 -t "iot/devices/$1" -m "${2%\}},\"auth_token\":\"$token\"}"; }

as_operator "control/$device/command" '{"command":"reboot","command_id":"reboot-1","parameters":{"delay":5}}'
as_operator "control/$device/config" '{"config":{"interval":30},"config_id":"config-1"}'
as_operator "firmware/$device/update" \
  '{"version":"2.0","url":"https://firmware.example/2.0.bin","checksum":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","update_id":"update-1"}'
sleep 1
as_device "control/$device/command/reboot-1/result" '{"status":"delivered"}'
as_device "control/$device/command/reboot-1/result" '{"status":"succeeded","result":{"uptime":0}}'
as_device "control/$device/config/config-1/result" '{"status":"applied","reported":{"interval":30}}'
for state in downloading downloaded verified updating updated; do
  as_device "firmware/$device/update/update-1/progress" "{\"state\":\"$state\"}"
done
sleep 1

echo "the device received:"
sed 's/^/  /' "$received"
echo "the operator saw:"
sed -E 's/^([^ ]+) .*"status":"([a-z]+)".*/  \1 -> \2/' "$events"
