// lunette browser client (docs/protocol.md §10), its main module. Finds the session, keeps a
// WebSocket to it and renders variable 1 into the `ui-app` element; the modules beside this one do
// the rest (client.js loads them all, bundled by core):
//   connection.js  the socket and its reconnect policy
//   variables.js   a connection's variables and the inbound messages
//   outbox.js      batching of outbound messages
//   viewdefs.js    the templates received and which one a view uses
//   views.js       views and view lists
//   bindings.js    the ui-* binding attributes
//   elements.js    what a ui-value element is (web components too) and which events it fires
//   paths.js       binding paths, key combinations, the session id
//   errors.js      marking elements whose variable is in error
//   banner.js      the hot-reload error banner

import { ReloadBanner } from "./banner.js";
import { keepConnected, socketUrl } from "./connection.js";
import { Outbox } from "./outbox.js";
import { sessionId } from "./paths.js";
import { Variables } from "./variables.js";
import { Viewdefs } from "./viewdefs.js";
import { ElementSlot, View } from "./views.js";

function appElement() {
  let app = document.querySelector("[ui-app]");
  if (!app) {
    app = document.createElement("div");
    app.setAttribute("ui-app", "");
    document.body.append(app);
  }
  return app;
}

function start(sid, app) {
  let variables = null;
  const banner = new ReloadBanner();
  keepConnected(socketUrl(sid), {
    // Every (re)connection starts from nothing: the server has dropped this tab's variables,
    // so ids start again at 2 and variable 1 is watched anew. The page keeps showing the old
    // view until the new one renders over it.
    onOpen(socket) {
      variables?.dispose();
      banner.hide();
      const outbox = new Outbox((batch) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(batch));
      });
      variables = new Variables(outbox, new Viewdefs(), banner);
      const namespace = app.getAttribute("ui-namespace") ?? "";
      variables.watchApp(app, (variable) =>
        new View(variables, variable, new ElementSlot(app), namespace));
    },
    onMessage(text) {
      variables?.receiveFrame(text);
    },
  });
}

const sid = sessionId(location.pathname, document.cookie);
if (sid) start(sid, appElement());
else location.assign("/");
