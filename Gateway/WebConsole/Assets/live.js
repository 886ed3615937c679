// The fleet's event stream (GET /api/v1/events) for a page, and reads paced for a stream that may be busy.
import { h } from "./ui.js";

/** The line that says whether the page is live; liveEvents keeps it up to date. */
export function liveStatusLine() {
  return h("p", { class: "muted", id: "live-status", "aria-live": "polite" }, "Connecting to live updates…");
}

/**
 * Opens the stream with a handler per event name (each gets the event's JSON), and says on status whether it is live
 * (liveText) or the page is reading what every refreshSeconds meanwhile. onOpen runs at each (re)connection: the
 * stream has no history, so the page reads what it missed. EventSource reconnects by itself after a dropped stream,
 * not after a refusal (too many streams): the stream is opened again after refreshSeconds.
 */
export function liveEvents(handlers, { status, liveText, what, refreshSeconds, onOpen, deviceId }) {
  // With deviceId, the stream carries that device's readings too.
  const path = deviceId === undefined ? "/api/v1/events" : `/api/v1/events?device_id=${encodeURIComponent(deviceId)}`;
  const open = () => {
    const stream = new EventSource(path);
    stream.addEventListener("open", () => {
      status.textContent = liveText;
      onOpen();
    });
    for (const [name, handler] of Object.entries(handlers)) {
      stream.addEventListener(name, (message) => handler(JSON.parse(message.data)));
    }
    stream.addEventListener("error", () => {
      status.textContent = `Live updates are interrupted: the page reads ${what} every ${refreshSeconds} s meanwhile.`;
      if (stream.readyState === EventSource.CLOSED) window.setTimeout(open, refreshSeconds * 1000);
    });
  };
  open();
}

/**
 * Runs run intervalMs after it is asked, and so at most once per intervalMs however often it is asked: the read that
 * follows an event then finds the catalog's batch with that change written.
 */
export function throttle(run, intervalMs) {
  let pending = null;
  return () => {
    if (pending !== null) return;
    pending = window.setTimeout(() => {
      pending = null;
      run();
    }, intervalMs);
  };
}

/**
 * Presence events the stream told of, laid over what a read showed: the catalog behind a read lags a device's change
 * by a batch. A streamed status stands until a read agrees with it or has heard from the device since.
 */
export class StreamedPresence {
  #byDevice = new Map();

  /** Records a presence event ({ device_id, status, timestamp: Unix seconds }). */
  record(event) {
    this.#byDevice.set(event.device_id, { status: event.status, at: event.timestamp * 1000 });
  }

  /** The status to show for a device as read ({ device_id, status, last_seen }). */
  statusOf(device) {
    const streamed = this.#byDevice.get(device.device_id);
    if (!streamed) return device.status;
    const seenSince = device.last_seen && Date.parse(device.last_seen) > streamed.at;
    if (device.status === streamed.status || seenSince || device.status === "unregistered") {
      this.#byDevice.delete(device.device_id);
      return device.status;
    }
    return streamed.status;
  }
}
