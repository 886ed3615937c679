// Signs in with the operator's name and key: the key travels in the body of a POST, never in a URL, and comes back
// as nothing but an HTTP-only session cookie.
import { consoleHeaders, safeReturnPath } from "./api.js";

const form = document.getElementById("signin-form");
const message = document.getElementById("message");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const operator = form.elements.operator.value.trim();
  const key = form.elements.key.value;
  if (!operator || !key) {
    message.textContent = "Enter your operator name and key.";
    return;
  }

  const button = form.querySelector("button");
  button.disabled = true;
  message.textContent = "";
  try {
    const response = await fetch("/console/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { ...consoleHeaders, "Content-Type": "application/json" },
      body: JSON.stringify({ operator, key }),
    });
    if (response.ok) {
      window.location.assign(safeReturnPath(new URLSearchParams(window.location.search).get("return")));
      return;
    }

    form.elements.key.value = "";
    const retryAfter = response.headers.get("Retry-After");
    message.textContent = response.status === 401
      ? "Sign-in refused: the operator name or key is not valid."
      : response.status === 429
        ? `Sign-in refused: too many wrong keys came from this address. Try again in ${retryAfter ?? "a few"} seconds.`
        : `Sign-in failed: the node answered ${response.status}. Try again shortly.`;
  } catch {
    message.textContent = "The node cannot be reached. Check that it is running, then try again.";
  } finally {
    button.disabled = false;
  }
});
