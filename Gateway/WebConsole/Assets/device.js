import { api, ApiError } from "./api.js";
import { deviceAlertsSection } from "./device-alerts.js";
import { chosenRange, rangeChooser, sensorCharts } from "./device-charts.js";
import { configSection } from "./device-config.js";
import { firmwareSection } from "./device-firmware.js";
import { liveEvents, liveStatusLine } from "./live.js";
import { redrawOnChange } from "./redraw.js";
import { clearProblem, h, main, poll, read, showProblem, statusBadge, table, when } from "./ui.js";

// One device: registration, presence, metrics, latest readings, a chart per sensor over the chosen range, its
// configuration, commands (send one; watch them), firmware updates and alerts. The device's event stream refreshes the
// page as things happen; the periodic refresh goes on beneath it, so that a stream refused or lost costs only
// freshness. Each part is drawn again only when what it shows changed, and forms are never redrawn, so that a refresh
// neither takes the keyboard's focus nor wipes what the operator is typing.
export function devicePage(session, deviceId) {
  document.title = `${deviceId} · Orleans.IoT`;
  const path = `/api/v1/devices/${encodeURIComponent(deviceId)}`;
  const range = chosenRange();
  const facts = h("div", {}, h("p", { class: "loading" }, "Loading the device…"));
  const readings = h("div", {});
  const charts = h("div", { class: "charts" });
  const commands = h("div", { "aria-live": "polite" }, h("p", { class: "loading" }, "Loading the commands…"));
  const commandForm = commandSender(path, () => refresh());
  const config = configSection(path, () => refresh());
  const firmware = firmwareSection(path, () => refresh());
  const alerts = deviceAlertsSection(session, deviceId);
  const drawFacts = redrawOnChange(facts);
  const drawReadings = redrawOnChange(readings);
  const drawCommands = redrawOnChange(commands);
  const liveStatus = liveStatusLine();
  main.replaceChildren(
    h("p", {}, h("a", { href: "/devices" }, "← Devices")), h("h1", {}, deviceId), liveStatus, facts,
    h("section", { "aria-labelledby": "latest" }, h("h2", { id: "latest" }, "Latest readings"), readings),
    h("section", { "aria-labelledby": "chart-range" }, h("h2", { id: "chart-range" }, range.heading), rangeChooser(range), charts),
    config.element,
    h("section", { "aria-labelledby": "commands" }, h("h2", { id: "commands" }, "Commands"), commandForm, commands),
    firmware.element, alerts.element);

  const load = async () => {
    const device = await read(facts, path, "The device");
    const metrics = device.metrics;
    const rows = [
      ["Name", device.name ?? ""], ["Type", device.type ?? ""], ["Location", device.location ?? ""],
      ["Presence", device.status], ["Last seen", device.last_seen], ["Registered", device.registered_at],
      ["Battery", percent(metrics.battery_level)], ["Signal", metrics.signal_strength === null ? "not reported" : `${metrics.signal_strength} dBm`],
      ["Memory", percent(metrics.memory_usage)], ["CPU", percent(metrics.cpu_usage)],
      ["Firmware", device.firmware_version ?? ""], ["Hardware", device.hardware_version ?? ""],
      ["Capabilities", device.capabilities.join(", ")],
    ];
    const shownFact = (term, value) => term === "Presence" ? statusBadge(value) : term === "Last seen" || term === "Registered" ? when(value) : value;
    drawFacts(rows, () => h("dl", { class: "facts" }, rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, shownFact(term, value))])));
    firmware.show(device.firmware);

    const sensors = Object.keys(device.latest).sort();
    drawReadings(sensors.map((sensor) => [sensor, device.latest[sensor]]), () => table("Latest readings", ["Sensor", "Value", "Quality", "At"],
      sensors.map((sensor) => {
        const reading = device.latest[sensor];
        return [sensor, `${reading.value}${reading.unit ? ` ${reading.unit}` : ""}`, reading.quality, when(reading.timestamp)];
      }), "The device has sent no readings."));

    const [figures, list] = await Promise.all([
      sensorCharts(path, sensors, range),
      read(commands, `${path}/commands`, "The commands"),
      config.load(),
      alerts.load(),
    ]);
    const before = new Map([...charts.querySelectorAll("figure[data-sensor]")].map((figure) => [figure.dataset.sensor, figure]));
    const focused = document.activeElement?.closest?.("figure[data-sensor]")?.dataset.sensor;
    charts.replaceChildren(...figures);
    for (const figure of figures) {
      const previous = before.get(figure.dataset?.sensor)?.querySelector(".chart-frame");
      if (previous) figure.querySelector(".chart-frame")?.takeOver(previous, figure.dataset.sensor === focused);
    }
    drawCommands(list.commands, () => table("Commands, most recently changed first", ["Command", "Status", "Updated", "ID", "Result"],
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
  const changedHere = (event) => {
    if (event.device_id === deviceId) refresh();
  };
  liveEvents(Object.fromEntries(["command", "config", "firmware", "alert", "reading", "presence"].map((kind) => [kind, changedHere])), {
    status: liveStatus,
    liveText: "Live: this page follows the device's readings, presence, commands, configuration, firmware and alerts.",
    what: "the device",
    refreshSeconds: session.refresh_seconds,
    deviceId,
    onOpen: refresh,
  });
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

