// The WebSocket to `/ws/<sid>` and its reconnect policy (docs/protocol.md §10.1).

/** Waits before each retry after an unexpected close; one more failure reloads the page. */
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000];

export function socketUrl(sid) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/${sid}`;
}

/**
 * Keeps a WebSocket open to `url`: `onOpen(socket)` for every successful (re)connection,
 * `onMessage(text)` for each inbound frame. After 5 failed attempts in a row the page reloads,
 * which shows the expired page if the session is gone.
 */
export function keepConnected(url, { onOpen, onMessage }) {
  let failures = 0;
  let leaving = false;
  // The browser closes the socket with 1001 (going away) as the page unloads; the script
  // cannot send that code itself (close() accepts only 1000 and 3000–4999). That close is
  // expected and must not start a reconnect.
  addEventListener("pagehide", () => {
    leaving = true;
  });
  // A page restored from the back/forward cache has no socket and stale views: load it afresh.
  addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });

  function open() {
    const socket = new WebSocket(url);
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      failures = 0;
      onOpen(socket);
    });
    socket.addEventListener("message", (event) => onMessage(event.data));
    socket.addEventListener("close", () => {
      if (leaving) return;
      if (!opened) failures += 1;
      if (failures >= RETRY_DELAYS_MS.length) location.reload();
      else setTimeout(open, RETRY_DELAYS_MS[failures]);
    });
  }

  open();
}
