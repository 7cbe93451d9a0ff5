// Binding attribute values (docs/protocol.md §10.3): a path with an optional query, `p?k=v&flag`.

/** Query keys that tune the client itself; they are never sent as properties. */
const CLIENT_FLAGS = new Set(["keypress", "replace", "scrollOnOutput"]);

/**
 * Splits `p?k=v&flag` into the path, the properties to send (a bare key means "true"; values
 * are literal, as the server reads them) and the client's own flags.
 */
export function splitPath(text) {
  const at = text.indexOf("?");
  const path = at < 0 ? text : text.slice(0, at);
  const properties = {};
  const flags = new Set();
  const query = at < 0 ? "" : text.slice(at + 1);
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "true" : pair.slice(eq + 1);
    if (CLIENT_FLAGS.has(key)) {
      if (value !== "false") flags.add(key);
    } else if (key !== "") {
      properties[key] = value;
    }
  }
  return { path, properties, flags };
}

/** `name(_)`: written with the value as argument. */
export const isSetter = (path) => path.endsWith("(_)");

/** `name()`: a method call. */
export const isCall = (path) => path.endsWith("()");

const MODIFIERS = ["ctrl", "alt", "shift", "meta"];

/**
 * The key combination of a `ui-event-keypress-[mods-]key` attribute, given the part after
 * `ui-event-keypress-` (HTML has already lower-cased it): `"ctrl-shift-enter"`.
 */
export function parseKeyCombination(text) {
  const parts = text.split("-");
  const key = parts.pop();
  return { key, modifiers: new Set(parts) };
}

/** Whether a `keydown` is exactly this combination: same key, same set of modifiers. */
export function matchesKey(combination, event) {
  const key = event.key === " " ? "space" : String(event.key).toLowerCase();
  if (key !== combination.key) return false;
  return MODIFIERS.every((name) => event[name + "Key"] === combination.modifiers.has(name));
}

const SID = /^[0-9a-f]{32}$/;

/** The session id (§10.1): the page path's first segment if well-formed, else the cookie. */
export function sessionId(pathname, cookies) {
  const first = pathname.split("/")[1] ?? "";
  if (SID.test(first)) return first;
  const cookie = cookies
    .split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith("ui-session="));
  const fromCookie = cookie ? cookie.slice("ui-session=".length) : "";
  return SID.test(fromCookie) ? fromCookie : null;
}
