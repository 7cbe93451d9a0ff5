// Injected into every document before the page's own scripts (see `Browser::record_frames`):
// records the page's WebSocket frames in `window.__lunetteRecord`, each with its time
// (`performance.now()`, ms since navigation start), and for an outbound frame the inbound frame
// whose task it was sent in, if any. With READY set, also the time at which the elements
// matching READY.css first number READY.count or more, all showing text.
(() => {
  const READY = __READY__;
  const record = { frames: [], socketCreated: null, socketOpened: null, ready: null };
  window.__lunetteRecord = record;

  // The inbound frame whose task is running: set by the first message listener (this one,
  // added before the page's), cleared by a task queued behind it. What is sent before that
  // task runs was sent while the frame was handled or in a microtask right after it.
  let inbound = null;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      record.socketCreated = performance.now();
      this.addEventListener("open", () => {
        record.socketOpened = performance.now();
      });
      this.addEventListener("message", (event) => {
        const index = record.frames.length;
        record.frames.push({ dir: "in", t: performance.now(), text: String(event.data) });
        inbound = index;
        setTimeout(() => {
          if (inbound === index) inbound = null;
        }, 0);
      });
    }

    send(data) {
      record.frames.push({ dir: "out", t: performance.now(), text: String(data), during: inbound });
      super.send(data);
    }
  };

  if (READY) {
    const shown = () =>
      Array.from(document.querySelectorAll(READY.css)).filter((e) => e.textContent.trim() !== "");
    const observer = new MutationObserver(() => {
      if (shown().length >= READY.count) {
        record.ready = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { subtree: true, childList: true, characterData: true });
  }
})();
