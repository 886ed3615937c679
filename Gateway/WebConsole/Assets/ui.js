// What every console page is built from: elements from text (never HTML), the problem banner, tables, and reads that
// refresh themselves.
import { api, ApiError } from "./api.js";

export const main = document.getElementById("main");
const banner = document.getElementById("banner");

/** Builds an element: h("a", { href: "/" }, "text", child, ...). */
export function h(tag, attributes = {}, ...children) {
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

export function showProblem(error) {
  banner.textContent = error instanceof ApiError ? error.message : `The console failed: ${error.message}`;
  banner.hidden = false;
}

export function clearProblem() {
  banner.hidden = true;
  banner.textContent = "";
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function when(value) {
  return value ? h("time", { datetime: value }, dateTime.format(new Date(value))) : "never";
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status);
}

export function deviceLink(deviceId) {
  return h("a", { href: `/devices/${encodeURIComponent(deviceId)}` }, deviceId);
}

export function table(caption, headers, rows, empty) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))))));
}

/** Reads path from the API; while content shows nothing yet, a failure leaves a line there (the banner says why). */
export async function read(content, path, what) {
  try {
    return await api(path);
  } catch (error) {
    if (content.querySelector(".loading")) content.replaceChildren(h("p", { class: "empty" }, `${what} could not be read.`));
    throw error;
  }
}

/** Runs load now and every refreshSeconds; a failure shows in the banner and keeps what the page last showed. */
export function poll(load, refreshSeconds) {
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
