import { api } from "./api.js";
import { redrawOnChange } from "./redraw.js";
import { clearProblem, h, read, showProblem, table, when } from "./ui.js";

// A device's alerts, the active ones first, each active one acknowledged from here as on the Alerts page.
export function deviceAlertsSection(session, deviceId) {
  const list = h("div", {}, h("p", { class: "loading" }, "Loading the alerts…"));
  const notice = h("p", { class: "notice", role: "status" });
  const element = h("section", { "aria-labelledby": "device-alerts" }, h("h2", { id: "device-alerts" }, "Alerts"), notice, list);
  const redraw = redrawOnChange(list);
  let listed = [];
  // Acknowledgements made here, shown until a read shows them.
  const acknowledged = new Map();

  const draw = () => {
    const shown = listed.map((alert) => {
      const mine = acknowledged.get(alert.alert_id);
      if (alert.acknowledged_by) acknowledged.delete(alert.alert_id);
      return mine && !alert.acknowledged_by ? { ...alert, acknowledged_by: mine.by, acknowledged_at: mine.at } : alert;
    });
    redraw(shown, () => table("The device's alerts, active first, newest raised first",
      ["Severity", "State", "Acknowledged", "Value", "Threshold", "Rule", "Sensor", "Raised", "Cleared"],
      shown.map((alert) => [h("span", { class: `severity severity-${alert.severity}` }, alert.severity), alert.state,
        acknowledgement(alert), String(alert.value), String(alert.threshold), alert.rule, alert.sensor_type,
        when(alert.raised_at), alert.cleared_at ? when(alert.cleared_at) : ""]),
      "This device has raised no alerts."));
  };

  const acknowledge = async (alert, button) => {
    button.disabled = true;
    try {
      await api(`/api/v1/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`, { method: "POST" });
      acknowledged.set(alert.alert_id, { by: session.operator, at: new Date().toISOString() });
      clearProblem();
      notice.textContent = `Acknowledged the ${alert.severity} alert of rule ${alert.rule}.`;
      draw();
      list.querySelector(".table-scroll")?.focus();
    } catch (error) {
      button.disabled = false;
      showProblem(error);
    }
  };

  const acknowledgement = (alert) => {
    if (alert.acknowledged_by) return [`by ${alert.acknowledged_by}, `, when(alert.acknowledged_at)];
    if (alert.state !== "active") return "no";
    const button = h("button", { type: "button", class: "small", "aria-label": `Acknowledge the ${alert.severity} alert of rule ${alert.rule}` }, "Acknowledge");
    button.addEventListener("click", () => acknowledge(alert, button));
    return button;
  };

  const load = async () => {
    const answer = await read(list, `/api/v1/devices/${encodeURIComponent(deviceId)}/alerts?limit=50`, "The alerts");
    // The API lists newest raised first; the active ones come first, each group in that order.
    listed = [...answer.alerts.filter((alert) => alert.state === "active"), ...answer.alerts.filter((alert) => alert.state !== "active")];
    draw();
  };
  return { element, load };
}
