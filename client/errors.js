// Marking elements whose variable is in error (docs/protocol.md §10.4), so a developer sees a
// server-side error where it happens: class `ui-error`, `ui-error-code`, `ui-error-description`,
// and a title that shows the description on hover.

/** Element → its marks: variable id → {code, description}, newest last; and its own title. */
const marked = new WeakMap();

export function markError(element, varId, code, description) {
  let state = marked.get(element);
  if (!state) {
    state = { errors: new Map(), title: element.getAttribute("title") };
    marked.set(element, state);
  }
  state.errors.delete(varId);
  state.errors.set(varId, { code, description });
  render(element, state);
}

export function clearError(element, varId) {
  const state = marked.get(element);
  if (state?.errors.delete(varId)) render(element, state);
}

// Several bindings may share one element: it shows the newest error still standing.
function render(element, state) {
  const latest = [...state.errors.values()].at(-1);
  if (latest) {
    element.classList.add("ui-error");
    element.setAttribute("ui-error-code", latest.code);
    element.setAttribute("ui-error-description", latest.description);
    element.setAttribute("title", `${latest.code}: ${latest.description}`);
    return;
  }
  element.classList.remove("ui-error");
  element.removeAttribute("ui-error-code");
  element.removeAttribute("ui-error-description");
  if (state.title === null) element.removeAttribute("title");
  else element.setAttribute("title", state.title);
  marked.delete(element);
}
