import { api } from "./api.js";
import { redrawOnChange } from "./redraw.js";
import { clearProblem, h, showProblem, statusBadge, table, when } from "./ui.js";

// A device's firmware: the form that starts an update (the API checks version, URL and checksum and says what is
// wrong), and the update in flight with its progress above the recently ended ones, as the device's state holds them.
export function firmwareSection(path, changed) {
  const updates = h("div", { "aria-live": "polite" }, h("p", { class: "loading" }, "Loading the firmware updates…"));
  const notice = h("p", { class: "notice", role: "status" });
  const draw = redrawOnChange(updates);
  const element = h("section", { "aria-labelledby": "firmware" },
    h("h2", { id: "firmware" }, "Firmware"), firmwareForm(`${path}/firmware`, notice, changed), notice, updates);

  /** Shows the device's firmware state (the firmware of GET /api/v1/devices/{id}). */
  const show = (firmware) => {
    const listed = [...(firmware.in_flight ? [firmware.in_flight] : []), ...[...firmware.recent].reverse()];
    draw(listed, () => table("Firmware updates, the one in flight first", ["Version", "Status", "Progress", "Updated", "Started", "Update ID", "Error"],
      listed.map((update) => [update.version, statusBadge(update.state), progress(update), when(update.updated_at), when(update.created_at),
        update.update_id, update.error ?? ""]),
      "No firmware updates have been started on this device."));
  };
  return { element, show };
}

function progress(update) {
  if (update.progress === null || update.progress === undefined) return h("span", { class: "muted" }, "not reported");
  const percent = `${update.progress} %`;
  return h("span", { class: "progress" },
    h("progress", { max: "100", value: String(update.progress), "aria-label": `Progress of ${update.version}` }, percent), ` ${percent}`);
}

function firmwareForm(firmwarePath, notice, changed) {
  const field = (id, name, label, attributes) => h("div", { class: "field" },
    h("label", { for: id }, label), h("input", { id, name, required: true, autocomplete: "off", ...attributes }));
  const form = h("form", { class: "firmware-form", "aria-label": "Start a firmware update" },
    field("firmware-version", "version", "Version", { placeholder: "2.1.0" }),
    field("firmware-url", "url", "Download URL", { type: "url", placeholder: "https://firmware.example/2.1.0.bin" }),
    field("firmware-checksum", "checksum", "Checksum (SHA-256)", { placeholder: "sha256:…", spellcheck: "false" }),
    h("button", { type: "submit" }, "Start update"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(["version", "url", "checksum"].map((name) => [name, form.elements[name].value.trim()]));
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const update = await api(firmwarePath, { method: "POST", body });
      clearProblem();
      form.reset();
      notice.textContent = update.status === "initiated"
        ? `Update to ${update.version} started: the device gets it when it is next heard from.`
        : `Update to ${update.version} sent to the device.`;
      changed();
    } catch (error) {
      showProblem(error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
