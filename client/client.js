// lunette browser client (PROTOCOL §10). This version does the bootstrap's first half: it finds
// the session id and the ui-app element. Rendering over the WebSocket comes with the variable
// protocol; until then the page says so instead of staying blank.

const SID = /^[0-9a-f]{32}$/;

export function sessionId() {
  const first = location.pathname.split("/")[1] || "";
  if (SID.test(first)) return first;
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("ui-session="));
  const fromCookie = cookie ? cookie.slice("ui-session=".length) : "";
  return SID.test(fromCookie) ? fromCookie : null;
}

function appElement() {
  let app = document.querySelector("[ui-app]");
  if (!app) {
    app = document.createElement("div");
    app.setAttribute("ui-app", "");
    document.body.append(app);
  }
  return app;
}

const sid = sessionId();
if (!sid) {
  location.href = "/";
} else {
  const app = appElement();
  app.dataset.session = sid.slice(0, 8);
  const note = document.createElement("p");
  note.className = "ui-status";
  note.textContent = "Session " + sid.slice(0, 8) + "… is live. This server does not render views yet.";
  app.replaceChildren(note);
}
