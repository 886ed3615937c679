import { ApiError } from "./api.js";
import { liveEvents, liveStatusLine, StreamedPresence, throttle } from "./live.js";
import { clearProblem, deviceLink, h, main, poll, read, showProblem, statusBadge, table, when } from "./ui.js";

// Devices: the catalog with the API's filters, a page at a time by the API's cursor. A presence event changes the
// device's status on the page at once, and the page is read again (at most once a second), since the change may move
// the device in or out of a filtered list.
export function devicesPage(session) {
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
  const liveStatus = liveStatusLine();
  main.replaceChildren(h("h1", {}, "Devices"), form, liveStatus, results, h("nav", { class: "pager", "aria-label": "Pages" }, previous, pageLabel, next));

  // cursors[i] is the cursor of page i (null for the first); the API's next_cursor opens the page after.
  let cursors = [null];
  let nextCursor = null;
  let listed = [];
  const presence = new StreamedPresence();
  // Drawn again only when something changed, so that a periodic read does not take the keyboard's focus away.
  let drawn = null;
  const draw = () => {
    const shown = listed.map((device) => ({ ...device, status: presence.statusOf(device) }));
    const fingerprint = JSON.stringify(shown);
    if (fingerprint === drawn) return;
    drawn = fingerprint;
    results.replaceChildren(table("Devices", ["Device", "Name", "Type", "Location", "Status", "Last seen", "Firmware"],
      shown.map((device) => [deviceLink(device.device_id), device.name, device.type, device.location ?? "",
        statusBadge(device.status), when(device.last_seen), device.firmware_version ?? ""]),
      "No devices match."));
  };
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
    listed = page.devices;
    draw();
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

  const readAgain = throttle(() => load().then(clearProblem, showProblem), 1000);
  liveEvents({
    presence: (event) => {
      presence.record(event);
      draw();
      readAgain();
    },
  }, {
    status: liveStatus,
    liveText: "Live: a device's status changes here as it comes online or goes offline.",
    what: "the devices",
    refreshSeconds: session.refresh_seconds,
    onOpen: readAgain,
  });
}
