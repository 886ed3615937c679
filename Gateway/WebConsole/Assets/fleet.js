import { sensorChart } from "./chart.js";
import { liveEvents, liveStatusLine, throttle } from "./live.js";
import { clearProblem, h, main, poll, read, showProblem, table, when, deviceLink } from "./ui.js";

// Fleet: counts by status and type, devices online over the last hour, active alerts by severity, the devices silent
// longest. Presence and alert events read the report again (at most once a second) rather than waiting for the poll.
const chartMinutes = 60;
const sampleTime = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

/** The minute samples of devices online (GET /api/v1/fleet/online) as a chart, or a line saying there are none yet. */
function onlineChart(online) {
  const caption = "Devices online, last hour";
  if (online.samples.length === 0) {
    return h("p", { class: "empty" }, "No samples yet: the node counts the devices online once a minute.");
  }
  const to = new Date();
  const from = new Date(to.getTime() - online.minutes * 60_000);
  const points = online.samples.map((sample) => ({
    time: sample.at,
    value: sample.online,
    text: `${sample.online} of ${sample.registered} online at ${sampleTime.format(new Date(sample.at))}`,
  }));
  return h("figure", { class: "chart-card" }, h("figcaption", {}, caption), sensorChart(caption, points, from, to, { fromZero: true }));
}

export function fleetPage(session) {
  document.title = "Fleet · Orleans.IoT";
  const content = h("div", {}, h("p", { class: "loading" }, "Loading the fleet…"));
  const liveStatus = liveStatusLine();
  main.replaceChildren(h("h1", {}, "Fleet"), liveStatus, content);
  const computed = h("p", { class: "muted" });
  let drawn = null;
  const load = async () => {
    const [health, online] = await Promise.all([
      read(content, "/api/v1/fleet/health?silent=10", "The fleet"),
      read(content, `/api/v1/fleet/online?minutes=${chartMinutes}`, "The fleet"),
    ]);
    computed.replaceChildren(`${health.total_devices} devices; computed `, when(health.computed_at));
    // Drawn again only when something changed, so that a read (one a second while events come) does not take the
    // keyboard's focus or a pointer's tooltip away.
    const fingerprint = JSON.stringify([{ ...health, computed_at: null }, online.samples]);
    if (fingerprint === drawn) return;
    drawn = fingerprint;
    const status = health.by_status;
    const types = Object.entries(health.by_type).sort(([a], [b]) => a.localeCompare(b));
    content.replaceChildren(
      computed,
      h("section", { "aria-labelledby": "by-status" },
        h("h2", { id: "by-status" }, "Devices by status"),
        h("ul", { class: "tiles" },
          ["online", "offline", "unregistered"].map((name) =>
            h("li", { class: `tile status-${name}` }, h("span", { class: "count" }, String(status[name])), h("span", {}, name))))),
      h("section", { "aria-labelledby": "online-chart" },
        h("h2", { id: "online-chart" }, "Devices online over time"),
        onlineChart(online)),
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
  };
  poll(load, session.refresh_seconds);

  const readAgain = throttle(() => load().then(clearProblem, showProblem), 1000);
  liveEvents({ presence: readAgain, alert: readAgain }, {
    status: liveStatus,
    liveText: "Live: the counts follow devices coming online and going offline.",
    what: "the fleet",
    refreshSeconds: session.refresh_seconds,
    onOpen: readAgain,
  });
}
