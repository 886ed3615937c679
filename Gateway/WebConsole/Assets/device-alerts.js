import { alertAcknowledgements } from "./alert-acknowledgement.js";
import { redrawOnChange } from "./redraw.js";
import { h, read, table, when } from "./ui.js";

// A device's alerts, the active ones first, each active one acknowledged from here as on the Alerts page.
export function deviceAlertsSection(session, deviceId) {
  const list = h("div", {}, h("p", { class: "loading" }, "Loading the alerts…"));
  const notice = h("p", { class: "notice", role: "status" });
  const element = h("section", { "aria-labelledby": "device-alerts" }, h("h2", { id: "device-alerts" }, "Alerts"), notice, list);
  const redraw = redrawOnChange(list);
  let listed = [];
  const acknowledgements = alertAcknowledgements(session, (alert) => `Acknowledge the ${alert.severity} alert of rule ${alert.rule}`, (alert) => {
    notice.textContent = `Acknowledged the ${alert.severity} alert of rule ${alert.rule}.`;
    draw();
    list.querySelector(".table-scroll")?.focus();
  });

  const draw = () => {
    const shown = acknowledgements.applied(listed);
    redraw(shown, () => table("The device's alerts, active first, newest raised first",
      ["Severity", "State", "Acknowledged", "Value", "Threshold", "Rule", "Sensor", "Raised", "Cleared"],
      shown.map((alert) => [h("span", { class: `severity severity-${alert.severity}` }, alert.severity), alert.state,
        acknowledgements.cell(alert), String(alert.value), String(alert.threshold), alert.rule, alert.sensor_type,
        when(alert.raised_at), alert.cleared_at ? when(alert.cleared_at) : ""]),
      "This device has raised no alerts."));
  };

  const load = async () => {
    const answer = await read(list, `/api/v1/devices/${encodeURIComponent(deviceId)}/alerts?limit=50`, "The alerts");
    // The API lists newest raised first; the active ones come first, each group in that order.
    listed = [...answer.alerts.filter((alert) => alert.state === "active"), ...answer.alerts.filter((alert) => alert.state !== "active")];
    draw();
  };
  return { element, load };
}
