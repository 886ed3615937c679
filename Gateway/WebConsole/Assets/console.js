// The console's entry: the signed-in operator, the page the address names, and sign-out.
import { api, beginSignOut, consoleHeaders } from "./api.js";
import { alertsPage } from "./alerts.js";
import { devicePage } from "./device.js";
import { devicesPage } from "./devices.js";
import { fleetPage } from "./fleet.js";
import { h, main, showProblem } from "./ui.js";

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
