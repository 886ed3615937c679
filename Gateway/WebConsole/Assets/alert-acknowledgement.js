import { api } from "./api.js";
import { clearProblem, h, showProblem, when } from "./ui.js";

/**
 * Acknowledging alerts from a page: the table cell (who and when, "no" for an alert no longer active, else an
 * Acknowledge button) and the acknowledgements made here, shown until a read of the alerts shows them (a read may lag
 * the store's write). acknowledged(alert) is called after each one the API took.
 */
export function alertAcknowledgements(session, buttonLabel, acknowledged) {
  const made = new Map();

  const acknowledge = async (alert, button) => {
    button.disabled = true;
    try {
      await api(`/api/v1/alerts/${encodeURIComponent(alert.alert_id)}/acknowledge`, { method: "POST" });
      made.set(alert.alert_id, { by: session.operator, at: new Date().toISOString() });
      clearProblem();
      acknowledged(alert);
    } catch (error) {
      button.disabled = false;
      showProblem(error);
    }
  };

  return {
    /** alerts as read, those acknowledged here shown so. */
    applied: (alerts) => alerts.map((alert) => {
      const mine = made.get(alert.alert_id);
      if (alert.acknowledged_by) made.delete(alert.alert_id);
      return mine && !alert.acknowledged_by ? { ...alert, acknowledged_by: mine.by, acknowledged_at: mine.at } : alert;
    }),
    cell: (alert) => {
      if (alert.acknowledged_by) return [`by ${alert.acknowledged_by}, `, when(alert.acknowledged_at)];
      if (alert.state !== "active") return "no";
      const button = h("button", { type: "button", class: "small", "aria-label": buttonLabel(alert) }, "Acknowledge");
      button.addEventListener("click", () => acknowledge(alert, button));
      return button;
    },
  };
}
