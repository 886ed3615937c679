import { api, ApiError } from "./api.js";
import { redrawOnChange } from "./redraw.js";
import { clearProblem, h, read, showProblem, statusBadge, table, when } from "./ui.js";

// A device's configuration twin: desired and reported side by side, the settings that differ (pending until the device
// reports them), the editor that pushes a change (a JSON merge patch), and the recent updates with their states.
export function configSection(path, changed) {
  const twinPath = `${path}/config`;
  const summary = h("p", { class: "config-summary", role: "status" });
  const sides = h("div", { class: "config-sides" }, h("p", { class: "loading" }, "Loading the configuration…"));
  const difference = h("div", {});
  const updates = h("div", {});
  const notice = h("p", { class: "notice", role: "status" });
  const drawSides = redrawOnChange(sides);
  const drawDifference = redrawOnChange(difference);
  const drawUpdates = redrawOnChange(updates);
  const element = h("section", { "aria-labelledby": "configuration" },
    h("h2", { id: "configuration" }, "Configuration"), summary, sides,
    h("h3", {}, "Difference"), difference,
    configEditor(twinPath, notice, changed), notice,
    h("h3", {}, "Recent updates"), updates);

  const load = async () => {
    const twin = await read(sides, twinPath, "The configuration");
    const pending = Object.keys(twin.delta).length;
    const unset = twin.desired_version === 0 && twin.reported === null;
    summary.textContent = pending > 0
      ? `Pending: ${pending === 1 ? "1 setting differs" : `${pending} settings differ`} until the device reports ${pending === 1 ? "it" : "them"} (desired version ${twin.desired_version}, reported version ${twin.reported_version}).`
      : unset
        ? "No configuration has been set for this device."
        : `In step: the device reports every desired setting (desired version ${twin.desired_version}, reported version ${twin.reported_version}).`;
    summary.className = `config-summary ${pending > 0 ? "config-pending" : unset ? "muted" : "config-in-step"}`;

    drawSides([twin.desired, twin.desired_version, twin.reported, twin.reported_version], () => [
      configCard("Desired", `version ${twin.desired_version}`, twin.desired, "Nothing desired yet."),
      configCard("Reported", twin.reported === null ? "nothing reported" : `version ${twin.reported_version}`, twin.reported, "The device has reported no configuration."),
    ]);
    const rows = differences(twin);
    drawDifference(rows, () => table("Settings that differ", ["Setting", "Desired", "Reported", "State"],
      rows.map((row) => [row.key, shown(row.desired), shown(row.reported), h("span", { class: `config-state config-state-${row.state.replace(" ", "-")}` }, row.state)]),
      "No difference: the device reports every desired setting."));
    const newest = [...twin.updates].reverse();
    drawUpdates(newest, () => table("Configuration updates, newest first", ["Version", "Status", "Updated", "Changes", "Config ID", "Error"],
      newest.map((update) => [String(update.version), statusBadge(update.status), when(update.updated_at),
        h("code", {}, JSON.stringify(update.updates)), update.config_id, update.error ?? ""]),
      "No configuration updates have been sent to this device."));
  };
  return { element, load };
}

function configCard(title, version, config, empty) {
  const settings = config === null ? {} : config;
  return h("figure", { class: "config-card" },
    h("figcaption", {}, `${title} (${version})`),
    Object.keys(settings).length === 0 ? h("p", { class: "empty" }, empty) : h("pre", { tabindex: "0" }, JSON.stringify(settings, null, 2)));
}

/**
 * The settings (top-level keys) where desired and reported part: pending while the API's delta holds the key (a desired
 * value the device does not report yet), "reported only" for what the device reports and nobody desired.
 */
function differences(twin) {
  const reported = twin.reported ?? {};
  const keys = [...new Set([...Object.keys(twin.desired), ...Object.keys(reported)])].sort();
  return keys.flatMap((key) => {
    if (Object.hasOwn(twin.delta, key)) return [{ key, desired: twin.desired[key], reported: reported[key], state: "pending" }];
    if (!Object.hasOwn(twin.desired, key)) return [{ key, desired: undefined, reported: reported[key], state: "reported only" }];
    return [];
  });
}

function shown(value) {
  return value === undefined ? h("span", { class: "muted" }, "not set") : h("code", {}, JSON.stringify(value));
}

/** The editor: a JSON object merged into the desired configuration (null removes a setting), checked before it is sent. */
function configEditor(twinPath, notice, changed) {
  const change = h("textarea", { id: "config-change", name: "config", rows: "4", placeholder: '{"interval": 30, "mode": null}', "aria-describedby": "config-change-hint" });
  const form = h("form", { class: "config-form", "aria-label": "Change the configuration" },
    h("div", { class: "field" }, h("label", { for: "config-change" }, "Change (JSON object)"),
      h("p", { class: "hint", id: "config-change-hint" }, "Merged into the desired configuration; null removes a setting."), change),
    h("button", { type: "submit" }, "Push change"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let config;
    try {
      config = JSON.parse(change.value);
    } catch (error) {
      refuse(`The change is not JSON: ${error.message}`);
      return;
    }
    if (config === null || typeof config !== "object" || Array.isArray(config) || Object.keys(config).length === 0) {
      refuse('The change must be a JSON object with at least one setting, such as {"interval": 30}.');
      return;
    }

    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const update = await api(twinPath, { method: "POST", body: { config } });
      clearProblem();
      change.value = "";
      notice.textContent = update.status === "pending"
        ? `Saved as version ${update.version}: the device gets it when it is next heard from.`
        : `Sent version ${update.version} to the device.`;
      changed();
    } catch (error) {
      showProblem(error);
    } finally {
      button.disabled = false;
    }
  });

  function refuse(message) {
    showProblem(new ApiError(message));
    change.focus();
  }
  return form;
}
