"use strict";
// Polls variables.json (beside this page) and shows it as a sortable table or as a tree.
const COLUMNS = [
  ["id", "id", (v) => v.id],
  ["parent", "parentId", (v) => v.parentId],
  ["path", "path", (v) => v.path],
  ["type", "type", (v) => v.type],
  ["value", "value", (v) => (v.value === null ? null : JSON.stringify(v.value))],
  ["access", "access", (v) => v.access],
  ["active", "active", (v) => String(v.active)],
  ["error", "error", (v) => (v.error ? v.error.code + ": " + v.error.description : null)],
  ["tab", "connection", (v) => (v.connection === undefined ? null : v.connection + ":" + v.clientId)],
  ["properties", "properties", (v) => Object.entries(v.properties).map(([k, t]) => k + "=" + t).join(" ")],
];
const state = { variables: [], truncated: null, text: "", sort: null, descending: false, tree: false, timer: 0, collapsed: new Set() };
const $ = (id) => document.getElementById(id);

$("session").textContent = location.pathname.split("/")[1].slice(0, 8) + "…";

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

// Empty cells sort last either way.
function compare(a, b, descending) {
  const missing = (x) => x === null || x === undefined;
  if (missing(a) || missing(b)) return missing(a) - missing(b);
  const order = typeof a === "number" && typeof b === "number"
    ? a - b
    : String(a).localeCompare(String(b), undefined, { numeric: true });
  return descending ? -order : order;
}

function renderHead() {
  const row = document.querySelector("#table thead tr");
  row.replaceChildren();
  for (const [label, key] of COLUMNS) {
    const th = element("th", "", label);
    th.dataset.key = key;
    if (state.sort === key) th.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
    th.addEventListener("click", () => {
      state.descending = state.sort === key ? !state.descending : false;
      state.sort = key;
      render();
    });
    row.append(th);
  }
}

function renderTable() {
  renderHead();
  let rows = state.variables.slice();
  if (state.sort !== null) {
    const read = COLUMNS.find(([, key]) => key === state.sort)[2];
    rows.sort((a, b) => compare(read(a), read(b), state.descending));
  }
  const body = document.querySelector("#table tbody");
  body.replaceChildren(...rows.map((v) => {
    const tr = element("tr", [v.error ? "error" : "", v.active ? "" : "inactive"].join(" ").trim());
    tr.dataset.id = v.id;
    for (const [, key, read] of COLUMNS) tr.append(element("td", key === "error" ? "error" : "", read(v)));
    return tr;
  }));
}

function renderTree() {
  const byId = new Map(state.variables.map((v) => [v.id, v]));
  const node = (v) => {
    const li = element("li", [v.error ? "error" : "", v.active ? "" : "inactive"].join(" ").trim());
    li.dataset.id = v.id;
    const line = element("span", "node");
    line.append(element("span", "id", "#" + v.id), " ");
    line.append(element("span", "path", v.path === null ? "(root)" : v.path));
    if (v.type !== null) line.append(" : ", element("span", "type", v.type));
    if (v.value !== null) line.append(" = ", element("span", "value", JSON.stringify(v.value)));
    if (v.error) line.append(" ", element("span", "error", "⚠ " + v.error.code + ": " + v.error.description));
    const children = v.childIds.map((id) => byId.get(id)).filter(Boolean);
    if (children.length === 0) {
      line.classList.add("leaf");
      li.append(line);
      return li;
    }
    const details = element("details");
    details.open = !state.collapsed.has(v.id);
    details.addEventListener("toggle", () => {
      if (details.open) state.collapsed.delete(v.id);
      else state.collapsed.add(v.id);
    });
    const summary = element("summary");
    summary.append(line);
    const list = element("ul");
    list.append(...children.map(node));
    details.append(summary, list);
    li.append(details);
    return li;
  };
  const roots = element("ul");
  roots.append(...state.variables.filter((v) => v.parentId === 0).map(node));
  $("tree").replaceChildren(roots);
}

function render() {
  // variables.json ends with {"truncated":true,"listed":N,"total":M} when it lists only a
  // prefix of the tree (the server bounds its size).
  const cut = state.truncated;
  $("truncated").hidden = !cut;
  $("truncated").textContent = cut
    ? "Truncated: showing the first " + cut.listed + " of " + cut.total + " variables in tree order."
    : "";
  $("table").hidden = state.tree;
  $("tree").hidden = !state.tree;
  $("mode").textContent = state.tree ? "Show as table" : "Show as tree";
  if (state.tree) renderTree();
  else renderTable();
}

function status(text, failed) {
  $("status").textContent = text;
  $("status").classList.toggle("failed", failed);
}

async function poll() {
  clearTimeout(state.timer);
  try {
    const response = await fetch("variables.json", { cache: "no-store" });
    const text = await response.text();
    if (!response.ok) {
      status(response.status === 404 ? "this session is gone (404)" : "HTTP " + response.status, true);
    } else {
      if (text !== state.text) {
        state.text = text;
        const list = JSON.parse(text);
        const last = list[list.length - 1];
        state.truncated = last && last.truncated === true ? last : null;
        state.variables = state.truncated ? list.slice(0, -1) : list;
        render();
      }
      const errors = state.variables.filter((v) => v.error).length;
      const shown = state.truncated
        ? state.variables.length + " of " + state.truncated.total + " variables (truncated), "
        : state.variables.length + " variables, ";
      status(shown + errors + (errors === 1 ? " error" : " errors") +
        " · updated " + new Date().toLocaleTimeString(), false);
    }
  } catch (error) {
    status("cannot reach the server: " + error.message, true);
  }
  schedule();
}

function schedule() {
  clearTimeout(state.timer);
  const every = Number($("every").value);
  if (every > 0) state.timer = setTimeout(poll, every);
}

$("every").addEventListener("change", schedule);
$("now").addEventListener("click", poll);
$("mode").addEventListener("click", () => {
  state.tree = !state.tree;
  render();
});
render();
poll();
