import { api, ApiError } from "./api.js";
import { sensorChart } from "./chart.js";
import { clearProblem, h, main, poll, read, showProblem, statusBadge, table, when } from "./ui.js";

// One device: registration, presence, metrics, latest readings, a chart per sensor over the last hour, and its
// commands (send one; watch them). The device's event stream refreshes the page as things happen; the periodic
// refresh goes on beneath it, so that a stream refused or lost costs only freshness.
export function devicePage(session, deviceId) {
  document.title = `${deviceId} · Orleans.IoT`;
  const path = `/api/v1/devices/${encodeURIComponent(deviceId)}`;
  const facts = h("div", {}, h("p", { class: "loading" }, "Loading the device…"));
  const readings = h("div", {});
  const charts = h("div", { class: "charts" });
  const commands = h("div", { "aria-live": "polite" }, h("p", { class: "loading" }, "Loading the commands…"));
  const commandForm = commandSender(path, () => refresh());
  main.replaceChildren(
    h("p", {}, h("a", { href: "/devices" }, "← Devices")), h("h1", {}, deviceId), facts,
    h("section", { "aria-labelledby": "latest" }, h("h2", { id: "latest" }, "Latest readings"), readings),
    h("section", { "aria-labelledby": "last-hour" }, h("h2", { id: "last-hour" }, "Last hour"), charts),
    h("section", { "aria-labelledby": "commands" }, h("h2", { id: "commands" }, "Commands"), commandForm, commands));

  const load = async () => {
    const device = await read(facts, path, "The device");
    const metrics = device.metrics;
    const rows = [
      ["Name", device.name ?? ""], ["Type", device.type ?? ""], ["Location", device.location ?? ""],
      ["Presence", statusBadge(device.status)], ["Last seen", when(device.last_seen)], ["Registered", when(device.registered_at)],
      ["Battery", percent(metrics.battery_level)], ["Signal", metrics.signal_strength === null ? "not reported" : `${metrics.signal_strength} dBm`],
      ["Memory", percent(metrics.memory_usage)], ["CPU", percent(metrics.cpu_usage)],
      ["Firmware", device.firmware_version ?? ""], ["Hardware", device.hardware_version ?? ""],
      ["Capabilities", device.capabilities.join(", ")],
    ];
    facts.replaceChildren(h("dl", { class: "facts" }, rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])));

    const sensors = Object.keys(device.latest).sort();
    readings.replaceChildren(table("Latest readings", ["Sensor", "Value", "Quality", "At"],
      sensors.map((sensor) => {
        const reading = device.latest[sensor];
        return [sensor, `${reading.value}${reading.unit ? ` ${reading.unit}` : ""}`, reading.quality, when(reading.timestamp)];
      }), "The device has sent no readings."));

    const to = new Date();
    const from = new Date(to.getTime() - 3600_000);
    const charted = await Promise.all(sensors.map((sensor) => lastHour(`${path}/telemetry/${encodeURIComponent(sensor)}`, from, to)));
    charts.replaceChildren(...(sensors.length === 0 ? [h("p", { class: "empty" }, "No readings to chart.")] : []),
      ...sensors.map((sensor, index) => h("figure", { class: "chart-card", "data-sensor": sensor },
        h("figcaption", {}, `${sensor}: ${charted[index].caption}`),
        charted[index].points.length === 0 ? h("p", { class: "empty" }, "No readings in the last hour.")
          : sensorChart(`${sensor} over the last hour`, charted[index].points, from, to))));

    const list = await read(commands, `${path}/commands`, "The commands");
    commands.replaceChildren(table("Commands, most recently changed first", ["Command", "Status", "Updated", "ID", "Result"],
      list.commands.map((command) => [command.command ?? "", statusBadge(command.status), when(command.updated_at), command.command_id,
        command.error ?? (command.result ? JSON.stringify(command.result) : "")]),
      "No commands have been sent to this device."));
  };

  let stop = poll(load, session.refresh_seconds);
  // At most one reload per half second however fast events come (a device may send many readings a second).
  let pending;
  function refresh() {
    if (pending !== undefined) return;
    pending = window.setTimeout(() => {
      pending = undefined;
      stop();
      stop = poll(load, session.refresh_seconds);
    }, 500);
  }
  followEvents(deviceId, refresh, session.refresh_seconds);
}

const chartedReadings = 300;
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });
const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/**
 * A sensor's points between from and to: each raw reading when there are at most chartedReadings, else the average
 * of each minute (the API's buckets), so that a chatty sensor costs one small read and a readable chart.
 */
async function lastHour(history, from, to) {
  const range = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  const raw = await api(`${history}?${range}&limit=${chartedReadings}`);
  if (!raw.next_cursor) {
    return {
      caption: `${raw.readings.length} readings`,
      points: raw.readings.map((reading) => ({
        time: reading.timestamp,
        value: reading.value,
        text: `${number.format(reading.value)}${reading.unit ? ` ${reading.unit}` : ""} at ${timeOfDay.format(new Date(reading.timestamp))}`,
      })),
    };
  }

  const minutes = await api(`${history}?${range}&bucket=1m&limit=61`);
  return {
    caption: `average of each minute, ${minutes.buckets.reduce((sum, bucket) => sum + bucket.count, 0)} readings`,
    points: minutes.buckets.map((bucket) => ({
      time: bucket.start,
      value: bucket.avg,
      text: `${number.format(bucket.avg)} on average (${number.format(bucket.min)} to ${number.format(bucket.max)}, ${bucket.count} readings) in the minute from ${timeOfDay.format(new Date(bucket.start))}`,
    })),
  };
}

function percent(value) {
  return value === null || value === undefined ? "not reported" : `${value} %`;
}

/** The form that sends the device a command: a name and, optionally, its parameters as a JSON object. */
function commandSender(path, sent) {
  const name = h("input", { id: "command-name", name: "command", required: true, autocomplete: "off" });
  const parameters = h("textarea", { id: "command-parameters", name: "parameters", rows: "3", placeholder: '{"seconds": 30}' });
  const form = h("form", { class: "command-form", "aria-label": "Send a command" },
    h("div", { class: "field" }, h("label", { for: "command-name" }, "Command"), name),
    h("div", { class: "field" }, h("label", { for: "command-parameters" }, "Parameters (JSON object, optional)"), parameters),
    h("button", { type: "submit" }, "Send command"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { command: name.value.trim() };
    if (parameters.value.trim()) {
      try {
        body.parameters = JSON.parse(parameters.value);
      } catch (error) {
        showProblem(new ApiError(`The parameters are not JSON: ${error.message}`));
        parameters.focus();
        return;
      }
    }

    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await api(`${path}/commands`, { method: "POST", body });
      clearProblem();
      name.value = "";
      parameters.value = "";
      sent();
    } catch (error) {
      showProblem(error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/**
 * Calls changed on each of the device's command, reading and presence events. The browser reconnects a stream that
 * drops; one the gateway refuses (it is at its cap) is opened again after retrySeconds.
 */
function followEvents(deviceId, changed, retrySeconds) {
  const open = () => {
    const events = new EventSource(`/api/v1/events?device_id=${encodeURIComponent(deviceId)}`);
    for (const kind of ["command", "reading", "presence"]) {
      events.addEventListener(kind, (event) => {
        if (JSON.parse(event.data).device_id === deviceId) changed();
      });
    }
    events.addEventListener("error", () => {
      if (events.readyState === EventSource.CLOSED) window.setTimeout(open, retrySeconds * 1000);
    });
  };
  open();
}
