import { api } from "./api.js";
import { liveEvents, liveStatusLine } from "./live.js";
import { alertRules } from "./rules.js";
import { clearProblem, deviceLink, h, main, poll, read, showProblem, table, when } from "./ui.js";

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

export function alertsPage(session) {
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
  const liveStatus = liveStatusLine();
  const notice = h("p", { class: "notice", role: "status" });
  const results = h("div", {}, h("p", { class: "loading" }, "Loading alerts…"));
  const rules = alertRules(notice);
  main.replaceChildren(h("h1", {}, "Alerts"), form, liveStatus, notice, results,
    h("section", { "aria-labelledby": "rules" }, h("h2", { id: "rules" }, "Rules in force"), rules.content));

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
    const [list, ruleSet] = await Promise.all([
      read(results, `/api/v1/alerts?${query}`, "The alerts"),
      read(rules.content, "/api/v1/alert-rules", "The rules"),
    ]);
    listed = list.alerts;
    draw();
    rules.show(ruleSet);
  };
  poll(load, session.refresh_seconds);

  liveEvents({
    alert: (event) => {
      const alert = streamedAlert(event);
      streamed.set(alert.alert_id, alert);
      draw();
    },
  }, {
    status: liveStatus,
    liveText: "Live: alerts appear here as they are raised or cleared.",
    what: "the alerts",
    refreshSeconds: session.refresh_seconds,
    onOpen: () => load().then(clearProblem, showProblem),
  });
}
