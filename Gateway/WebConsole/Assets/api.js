// The console's one way to the operator API: same-origin fetches with the session cookie and the console header
// (which a cross-site form cannot set, so the gateway takes changes only from the console's own scripts).

export const consoleHeaders = { "X-Orleans-IoT-Console": "1", Accept: "application/json" };

/** Where to go after signing in: a path of this site only, never another origin. */
export function safeReturnPath(path) {
  return typeof path === "string" && path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\") ? path : "/";
}

/** A refusal or an outage, worded for the banner. */
export class ApiError extends Error {
  constructor(message, { unreachable = false, status = 0 } = {}) {
    super(message);
    this.unreachable = unreachable;
    this.status = status;
  }
}

/** Set once the operator signs out: a refresh answered 401 meanwhile must not send the page to sign-in a second time. */
let signingOut = false;

export function beginSignOut() {
  signingOut = true;
}

/** Sends a request to the gateway; returns the JSON answer (null for 204), or throws an ApiError. */
export async function api(path, { method = "GET", body, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { ...consoleHeaders, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The node cannot be reached: it may be down or restarting. The page retries by itself.", { unreachable: true });
  }

  if (response.status === 401) {
    // The session ended (signed out elsewhere, expired, or the node restarted): sign in again, then come back.
    if (!signingOut) {
      const back = window.location.pathname + window.location.search;
      window.location.assign(`/signin?return=${encodeURIComponent(back)}`);
    }
    throw new ApiError("The session has ended: signing in again.", { status: 401 });
  }

  if (!response.ok) {
    throw new ApiError(await describeRefusal(response), { status: response.status });
  }

  return response.status === 204 ? null : response.json();
}

async function describeRefusal(response) {
  let detail = "";
  try {
    const problem = await response.json();
    detail = [problem.detail, problem.code && `(${problem.code})`].filter(Boolean).join(" ");
  } catch {
    // Not a problem document (a proxy's error page, say): the status says enough.
  }

  const what = response.status >= 500 ? "The node could not answer" : "The API refused the request";
  return `${what} (${response.status})${detail ? `: ${detail}` : "."}`;
}
