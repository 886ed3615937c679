// The console's pages, drawn from the operator API. Everything shown comes from the API as text nodes, never as HTML.
import { api, ApiError, beginSignOut, consoleHeaders } from "./api.js";
import { sensorChart } from "./chart.js";

const main = document.getElementById("main");
const banner = document.getElementById("banner");

/** Builds an element: h("a", { href: "/" }, "text", child, ...). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) element.append(child);
  }
  return element;
}

function showProblem(error) {
  banner.textContent = error instanceof ApiError ? error.message : `The console failed: ${error.message}`;
  banner.hidden = false;
}

function clearProblem() {
  banner.hidden = true;
  banner.textContent = "";
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function when(value) {
  return value ? h("time", { datetime: value }, dateTime.format(new Date(value))) : "never";
}

function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status);
}

function deviceLink(deviceId) {
  return h("a", { href: `/devices/${encodeURIComponent(deviceId)}` }, deviceId);
}

function table(caption, headers, rows, empty) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))))));
}

/** Reads path from the API; while content shows nothing yet, a failure leaves a line there (the banner says why). */
async function read(content, path, what) {
  try {
    return await api(path);
  } catch (error) {
    if (content.querySelector(".loading")) content.replaceChildren(h("p", { class: "empty" }, `${what} could not be read.`));
    throw error;
  }
}

/** Runs load now and every refreshSeconds; a failure shows in the banner and keeps what the page last showed. */
function poll(load, refreshSeconds) {
  let timer;
  const run = async () => {
    try {
      await load();
      clearProblem();
    } catch (error) {
      showProblem(error);
    } finally {
      timer = window.setTimeout(run, refreshSeconds * 1000);
    }
  };
  run();
  return () => window.clearTimeout(timer);
}

// Fleet: counts by status and type, active alerts by severity, the devices silent longest.
function fleetPage(session) {
  document.title = "Fleet · Orleans.IoT";
  const content = h("div", {}, h("p", { class: "loading" }, "Loading the fleet…"));
  main.replaceChildren(h("h1", {}, "Fleet"), content);
  poll(async () => {
    const health = await read(content, "/api/v1/fleet/health?silent=10", "The fleet");
    const status = health.by_status;
    const types = Object.entries(health.by_type).sort(([a], [b]) => a.localeCompare(b));
    content.replaceChildren(
      h("p", { class: "muted" }, `${health.total_devices} devices; computed `, when(health.computed_at)),
      h("section", { "aria-labelledby": "by-status" },
        h("h2", { id: "by-status" }, "Devices by status"),
        h("ul", { class: "tiles" },
          ["online", "offline", "unregistered"].map((name) =>
            h("li", { class: `tile status-${name}` }, h("span", { class: "count" }, String(status[name])), h("span", {}, name))))),
      h("section", { "aria-labelledby": "by-type" },
        h("h2", { id: "by-type" }, "Devices by type"),
        table("Devices by type", ["Type", "Online", "Offline", "Unregistered"],
          types.map(([type, counts]) => [
            h("a", { href: `/devices?type=${encodeURIComponent(type)}` }, type),
            String(counts.online), String(counts.offline), String(counts.unregistered)]),
          "No devices are registered yet.")),
      h("section", { "aria-labelledby": "alerts" },
        h("h2", { id: "alerts" }, "Active alerts by severity"),
        h("ul", { class: "tiles" },
          Object.entries(health.active_alerts_by_severity).map(([severity, count]) =>
            h("li", { class: `tile severity-${severity}` }, h("span", { class: "count" }, String(count)), h("span", {}, severity))))),
      h("section", { "aria-labelledby": "silent" },
        h("h2", { id: "silent" }, "Silent longest"),
        table("Registered offline devices, silent longest first", ["Device", "Name", "Type", "Last seen"],
          health.silent_longest.map((device) => [deviceLink(device.device_id), device.name, device.type, when(device.last_seen)]),
          "Every registered device is online.")));
  }, session.refresh_seconds);
}

// Alerts: the fleet's alerts by state and severity (kept in the page's URL), acknowledged from here, then the rules in
// force. Raises and clears arrive on the event stream as they happen; the periodic read catches up on whatever the
// stream missed (it has no history) and stands in for it while it is down.
const alertStates = ["active", "cleared", "all"];
const alertSeverities = ["info", "low", "medium", "high", "critical"];

/** An alert as the stream carries it, in the shape the alerts API lists alerts. */
function streamedAlert(event) {
  const cleared = event.state === "cleared";
  return {
    alert_id: event.alert_id, device_id: event.device_id, rule: event.rule, sensor_type: event.sensor_type,
    severity: event.severity, threshold: event.threshold, state: event.state, value: event.value,
    raised_at: event.raised_at, cleared_at: cleared ? event.timestamp : null, acknowledged_at: null, acknowledged_by: null,
  };
}

function alertsPage(session) {
  document.title = "Alerts · Orleans.IoT";
  const params = new URLSearchParams(window.location.search);
  const state = alertStates.includes(params.get("state")) ? params.get("state") : "active";
  const severity = alertSeverities.includes(params.get("severity")) ? params.get("severity") : "";
  const select = (name, label, values, selected, anyLabel) => h("div", { class: "field" },
    h("label", { for: `filter-${name}` }, label),
    h("select", { id: `filter-${name}`, name },
      values.map((value) => h("option", { value, selected: value === selected }, value || anyLabel))));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter alerts" },
    select("state", "State", alertStates, state),
    select("severity", "Severity", ["", ...alertSeverities], severity, "any"),
    h("button", { type: "submit" }, "Apply"));
  const liveStatus = h("p", { class: "muted", id: "live-status", "aria-live": "polite" }, "Connecting to live updates…");
  const notice = h("p", { class: "notice", role: "status" });
  const results = h("div", {}, h("p", { class: "loading" }, "Loading alerts…"));
  const rulesContent = h("div", {}, h("p", { class: "loading" }, "Loading the rules…"));
  main.replaceChildren(h("h1", {}, "Alerts"), form, liveStatus, notice, results,
    h("section", { "aria-labelledby": "rules" }, h("h2", { id: "rules" }, "Rules in force"), rulesContent));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const element of form.elements) {
      if (element.name && element.value) query.set(element.name, element.value);
    }
    window.location.assign(`/alerts${query.size ? `?${query}` : ""}`);
  });

  const matches = (alert) => (state === "all" || alert.state === state) && (!severity || alert.severity === severity);
  let listed = [];
  // Alerts the stream told of that the last read did not show so: a read lags the stream by the store's write.
  const streamed = new Map();
  // Acknowledgements made here, shown until a read shows them.
  const acknowledged = new Map();
  let drawn = null;

  const shownAlerts = () => {
    const byId = new Map(listed.map((alert) => [alert.alert_id, alert]));
    const fresh = [];
    for (const [id, alert] of streamed) {
      const known = byId.get(id);
      if (known && (known.state === alert.state || known.state === "cleared")) streamed.delete(id);
      else if (known) byId.set(id, { ...known, state: alert.state, value: alert.value, cleared_at: alert.cleared_at });
      else if (matches(alert)) fresh.unshift(alert);
      else streamed.delete(id);
    }
    return [...fresh, ...byId.values()].filter(matches).map((alert) => {
      const mine = acknowledged.get(alert.alert_id);
      if (alert.acknowledged_by) acknowledged.delete(alert.alert_id);
      return mine && !alert.acknowledged_by ? { ...alert, acknowledged_by: mine.by, acknowledged_at: mine.at } : alert;
    });
  };

  const acknowledge = async (alert, button) => {
    button.disabled = true;
    try {
      await api(`/api/v1/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`, { method: "POST" });
      acknowledged.set(alert.alert_id, { by: session.operator, at: new Date().toISOString() });
      clearProblem();
      notice.textContent = `Acknowledged the ${alert.severity} alert of ${alert.device_id}.`;
      draw();
      results.querySelector(".table-scroll")?.focus();
    } catch (error) {
      button.disabled = false;
      showProblem(error);
    }
  };

  const acknowledgement = (alert) => {
    if (alert.acknowledged_by) return [`by ${alert.acknowledged_by}, `, when(alert.acknowledged_at)];
    if (alert.state !== "active") return "no";
    const button = h("button", { type: "button", class: "small", "aria-label": `Acknowledge the alert of ${alert.device_id}` }, "Acknowledge");
    button.addEventListener("click", () => acknowledge(alert, button));
    return button;
  };

  // The columns an operator acts on come first, so that they show on a narrow screen before any scrolling.
  // Drawn again only when something changed, so that a periodic read does not take the keyboard's focus away.
  const draw = () => {
    const shown = shownAlerts();
    const fingerprint = JSON.stringify(shown);
    if (fingerprint === drawn) return;
    drawn = fingerprint;
    results.replaceChildren(table("Alerts, newest raised first",
      ["Device", "Severity", "State", "Acknowledged", "Value", "Threshold", "Rule", "Sensor", "Raised", "Cleared"],
      shown.map((alert) => [deviceLink(alert.device_id), h("span", { class: `severity severity-${alert.severity}` }, alert.severity),
        alert.state, acknowledgement(alert), String(alert.value), String(alert.threshold), alert.rule, alert.sensor_type,
        when(alert.raised_at), alert.cleared_at ? when(alert.cleared_at) : ""]),
      state === "active" ? "No alert is active." : "No alerts match."));
  };

  const query = new URLSearchParams({ state, limit: "200" });
  if (severity) query.set("severity", severity);
  const load = async () => {
    const [list, rules] = await Promise.all([
      read(results, `/api/v1/alerts?${query}`, "The alerts"),
      read(rulesContent, "/api/v1/alert-rules", "The rules"),
    ]);
    listed = list.alerts;
    draw();
    rulesContent.replaceChildren(
      h("p", { class: "muted" }, `Version ${rules.version}. A rule raises an alert when a reading of its sensor meets the raise condition, and clears it when a reading no longer meets the clear condition.`),
      table("Alert rules", ["Rule", "Sensor", "Device type", "Raise condition", "Clear condition", "Severity"],
        rules.rules.map((rule) => [rule.id, rule.sensor_type, rule.device_type ?? "any",
          `value ${rule.operator} ${rule.threshold}`, `value ${rule.operator} ${rule.clear_threshold ?? rule.threshold}`,
          h("span", { class: `severity severity-${rule.severity}` }, rule.severity)]),
        "No rules are in force."));
  };
  poll(load, session.refresh_seconds);

  const interrupted = `Live updates are interrupted: the page reads the alerts every ${session.refresh_seconds} s meanwhile.`;
  const openStream = () => {
    const stream = new EventSource("/api/v1/events");
    stream.addEventListener("open", () => {
      liveStatus.textContent = "Live: alerts appear here as they are raised or cleared.";
      // The stream has no history: what happened while it was down comes from a read.
      load().then(clearProblem, showProblem);
    });
    stream.addEventListener("alert", (message) => {
      const alert = streamedAlert(JSON.parse(message.data));
      streamed.set(alert.alert_id, alert);
      draw();
    });
    stream.addEventListener("error", () => {
      liveStatus.textContent = interrupted;
      // EventSource reconnects by itself after a dropped stream, but not after a refusal (too many streams, say).
      if (stream.readyState === EventSource.CLOSED) window.setTimeout(openStream, session.refresh_seconds * 1000);
    });
  };
  openStream();
}

// Devices: the catalog with the API's filters, a page at a time by the API's cursor.
function devicesPage(session) {
  document.title = "Devices · Orleans.IoT";
  const params = new URLSearchParams(window.location.search);
  const field = (name, label, attributes = {}) => h("div", { class: "field" },
    h("label", { for: `filter-${name}` }, label),
    h("input", { id: `filter-${name}`, name, value: params.get(name) ?? "", ...attributes }));
  const statusSelect = h("select", { id: "filter-status", name: "status" },
    ["", "online", "offline", "unregistered"].map((value) =>
      h("option", { value, selected: (params.get("status") ?? "") === value }, value || "any")));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter devices" },
    h("div", { class: "field" }, h("label", { for: "filter-status" }, "Status"), statusSelect),
    field("type", "Type"),
    field("location", "Location"),
    field("q", "Name contains", { minlength: "3", placeholder: "3 characters or more" }),
    h("button", { type: "submit" }, "Apply"));
  const results = h("div", { "aria-live": "polite" }, h("p", { class: "loading" }, "Loading devices…"));
  const previous = h("button", { type: "button", disabled: true }, "Previous page");
  const next = h("button", { type: "button", disabled: true }, "Next page");
  const pageLabel = h("span", { class: "muted" });
  main.replaceChildren(h("h1", {}, "Devices"), form, results, h("nav", { class: "pager", "aria-label": "Pages" }, previous, pageLabel, next));

  // cursors[i] is the cursor of page i (null for the first); the API's next_cursor opens the page after.
  let cursors = [null];
  let nextCursor = null;
  const load = async () => {
    const query = new URLSearchParams();
    for (const name of ["status", "type", "location", "q"]) {
      const value = params.get(name);
      if (value) query.set(name, value);
    }
    const cursor = cursors[cursors.length - 1];
    if (cursor) query.set("cursor", cursor);
    const page = await read(results, `/api/v1/devices?${query}`, "The devices");
    nextCursor = page.next_cursor;
    results.replaceChildren(table("Devices", ["Device", "Name", "Type", "Location", "Status", "Last seen", "Firmware"],
      page.devices.map((device) => [deviceLink(device.device_id), device.name, device.type, device.location ?? "",
        statusBadge(device.status), when(device.last_seen), device.firmware_version ?? ""]),
      "No devices match."));
    previous.disabled = cursors.length === 1;
    next.disabled = !nextCursor;
    pageLabel.textContent = `Page ${cursors.length}`;
  };

  let stop = poll(load, session.refresh_seconds);
  const reload = () => {
    stop();
    stop = poll(load, session.refresh_seconds);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const element of form.elements) {
      if (!element.name) continue;
      if (element.value.trim()) params.set(element.name, element.value.trim());
      else params.delete(element.name);
    }
    const q = params.get("q");
    if (q && q.length < 3) {
      showProblem(new ApiError("Name contains needs at least 3 characters."));
      return;
    }
    window.history.replaceState(null, "", `/devices${params.size ? `?${params}` : ""}`);
    cursors = [null];
    reload();
  });
  next.addEventListener("click", () => {
    if (!nextCursor) return;
    cursors.push(nextCursor);
    reload();
  });
  previous.addEventListener("click", () => {
    if (cursors.length > 1) cursors.pop();
    reload();
  });
}

// One device: registration, presence, metrics, latest readings, a chart per sensor over the last hour, and its
// commands (send one; watch them). The device's event stream refreshes the page as things happen; the periodic
// refresh goes on beneath it, so that a stream refused or lost costs only freshness.
function devicePage(session, deviceId) {
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

async function signOut() {
  beginSignOut();
  try {
    await fetch("/console/session", { method: "DELETE", credentials: "same-origin", headers: consoleHeaders });
  } finally {
    window.location.assign("/signin");
  }
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", signOut);
  let session;
  try {
    session = await api("/console/session");
  } catch (error) {
    main.replaceChildren(h("h1", {}, "Orleans.IoT fleet console"), h("p", { class: "empty" }, "The console could not start."));
    showProblem(error);
    return;
  }
  document.getElementById("operator-name").textContent = session.operator;

  const path = window.location.pathname;
  const device = path.match(/^\/devices\/([^/]+)$/);
  const page = path === "/" ? "fleet" : path === "/devices" ? "devices" : path === "/alerts" ? "alerts" : device ? "device" : "fleet";
  for (const link of document.querySelectorAll("nav a[data-page]")) {
    if (link.dataset.page === page || (page === "device" && link.dataset.page === "devices")) link.setAttribute("aria-current", "page");
  }
  if (page === "devices") devicesPage(session);
  else if (page === "alerts") alertsPage(session);
  else if (page === "device") devicePage(session, decodeURIComponent(device[1]));
  else fleetPage(session);
}

start();
