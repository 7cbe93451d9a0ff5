// Views (docs/protocol.md §10.2): an object-valued variable shown with the viewdef of its type, and
// lists of them (`ui-viewlist`, §10.3).

import { bindTemplate } from "./bindings.js";

/** A view that owns all children of one element: `ui-app`, `ui-view`. */
export class ElementSlot {
  constructor(element) {
    this.element = element;
  }

  fill(fragment, key) {
    this.element.replaceChildren(fragment);
    this.element.setAttribute("ui-viewdef", key);
  }

  clear() {
    this.element.replaceChildren();
    this.element.removeAttribute("ui-viewdef");
  }
}

/**
 * A list item's view: its nodes go straight into the list element, between two empty text
 * nodes that keep the item's place among its siblings however often it re-renders.
 */
class RangeSlot {
  #start = document.createTextNode("");
  #end = document.createTextNode("");

  constructor(list) {
    list.append(this.#start, this.#end);
  }

  fill(fragment, key) {
    this.#end.before(fragment);
    // There is no view element: the item's top-level elements say which viewdef they came from.
    for (let node = this.#start.nextSibling; node !== this.#end; node = node.nextSibling) {
      if (node.nodeType === Node.ELEMENT_NODE) node.setAttribute("ui-viewdef", key);
    }
  }

  clear() {
    while (this.#start.nextSibling !== this.#end) this.#start.nextSibling.remove();
  }

  remove() {
    this.clear();
    this.#start.remove();
    this.#end.remove();
  }
}

export class View {
  /** The viewdef key rendered now, or null. */
  #key = null;
  /** The `viewdef` property as last sent. */
  #reported = "";
  #disposed = false;

  /**
   * `namespace` is given for variable 1 only (the `ui-app` element's `ui-namespace`); other
   * views read the `namespace` property their variable was created with.
   */
  constructor(variables, variable, slot, namespace = null) {
    this.variables = variables;
    this.variable = variable;
    this.slot = slot;
    this.fixedNamespace = namespace;
    variables.views.add(this);
  }

  namespace() {
    return this.fixedNamespace ?? this.variable.properties.namespace ?? "";
  }

  show() {
    this.refresh(null);
  }

  /** Renders what the variable calls for now; `resent` are viewdef keys just delivered again. */
  refresh(resent) {
    if (this.#disposed) return;
    const { value, properties } = this.variable;
    const type = properties.type ?? "";
    const key =
      value == null || type === ""
        ? null
        : this.variables.viewdefs.choose(type, this.namespace(), properties.fallbackNamespace);
    if (key === this.#key && !(key !== null && resent?.has(key))) return;
    this.#unrender();
    if (key !== null) this.#render(key);
    this.#report(key ?? "");
  }

  dispose() {
    this.#disposed = true;
    this.variables.views.delete(this);
  }

  #render(key) {
    const fragment = document.importNode(this.variables.viewdefs.template(key).content, true);
    const scripts = holdScripts(fragment);
    bindTemplate(fragment, this);
    this.slot.fill(fragment, key);
    scripts.forEach(runScript);
    this.#key = key;
  }

  #unrender() {
    const bindings = [...this.variable.children];
    if (bindings.length > 0) this.variables.drop(bindings);
    if (this.#key !== null) this.slot.clear();
    this.#key = null;
  }

  #report(key) {
    if (this.variable.id === 1 || key === this.#reported) return;
    this.#reported = key;
    this.variables.sendProperties(this.variable, { viewdef: key });
  }
}

/**
 * `ui-viewlist`: one item variable (path "<i>") per array element, each rendered as a view
 * whose nodes go directly into the list element. Follows the array's length only: an item's
 * own variable tracks what is at its index.
 */
export class ViewList {
  #items = [];

  constructor(variables, variable, element) {
    this.variables = variables;
    this.variable = variable;
    this.element = element;
    element.replaceChildren();
  }

  show(hasValue) {
    if (!hasValue) return;
    const value = this.variable.value;
    const length = Array.isArray(value) ? value.length : 0;
    while (this.#items.length < length) this.#add(this.#items.length);
    if (this.#items.length > length) this.#shrink(length);
  }


  #add(index) {
    const { namespace, fallbackNamespace } = this.variable.properties;
    const properties = { path: String(index), access: "r", elementId: this.element.id };
    if (namespace) properties.namespace = namespace;
    if (fallbackNamespace) properties.fallbackNamespace = fallbackNamespace;
    const item = this.variables.create(this.variable, properties, this.element, (variable) => {
      return new View(this.variables, variable, new RangeSlot(this.element));
    });
    this.#items.push(item);
  }

  #shrink(length) {
    const removed = this.#items.splice(length);
    this.variables.drop(removed);
    for (const item of removed) item.binding.slot.remove();
  }
}

// Scripts cloned from a template would run as they are inserted, before the view is complete
// (and, being clones, some browsers would not run them at all). Each is swapped for an empty
// placeholder and a fresh copy runs in its place once the whole view is in the document.
function holdScripts(fragment) {
  return [...fragment.querySelectorAll("script")].map((script) => {
    const placeholder = document.createTextNode("");
    script.replaceWith(placeholder);
    return { script, placeholder };
  });
}

// The page's Content-Security-Policy allows no inline script (so that markup shown by `ui-html`
// cannot run event handlers), so the text of an inline JavaScript template script runs from a
// `blob:` URL, which the policy allows. Such a script runs once fetched, in order with the
// other scripts of the view; `document.currentScript` is still its element.
function runScript({ script, placeholder }) {
  const fresh = document.createElement("script");
  for (const name of script.getAttributeNames()) {
    fresh.setAttribute(name, script.getAttribute(name));
  }
  fresh.textContent = script.textContent;
  if (!script.hasAttribute("src") && isJavaScript(script)) {
    const url = URL.createObjectURL(new Blob([script.textContent], { type: "text/javascript" }));
    const revoke = () => URL.revokeObjectURL(url);
    fresh.addEventListener("load", revoke);
    fresh.addEventListener("error", revoke);
    fresh.async = false;
    fresh.src = url;
  }
  placeholder.replaceWith(fresh);
}

/** Whether the browser would run this script: a classic or module script, not a data block. */
function isJavaScript(script) {
  const type = (script.getAttribute("type") ?? "").trim().toLowerCase();
  return type === "" || type === "module" || /^(text|application)\/(x-)?(java|ecma)script$/.test(type);
}
