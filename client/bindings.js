// Binding attributes (PROTOCOL §10.3): each `ui-*` binding of a rendered viewdef becomes a child
// variable of the view, created in document order, and keeps its element and the variable in
// step.

import { isCall, isSetter, matchesKey, parseKeyCombination, splitPath } from "./paths.js";
import { ElementSlot, View, ViewList } from "./views.js";

/** Numbers the `ui-N` ids of bound elements, for the page's whole life. */
let elementCounter = 0;

/** Element → its `ui-value` binding, for events that first send the element's edit. */
const valueBindings = new WeakMap();

/** Binds every element of a freshly cloned viewdef to the variable of `view`. */
export function bindTemplate(fragment, view) {
  for (const element of fragment.children) bindTree(element, view);
}

function bindTree(element, view) {
  const names = element.getAttributeNames().filter(isBindingAttribute);
  if (names.length > 0) {
    if (!element.id) element.id = `ui-${++elementCounter}`;
    for (const name of names) bindAttribute(element, name, element.getAttribute(name), view);
  }
  // What a view, a list or `ui-html` puts inside its element is not part of this viewdef.
  if (names.some((name) => OWNS_CONTENT.has(name))) return;
  for (const child of element.children) bindTree(child, view);
}

const OWNS_CONTENT = new Set(["ui-view", "ui-viewlist", "ui-html"]);
const PREFIXES = ["ui-attr-", "ui-class-", "ui-style-", "ui-event-"];

function isBindingAttribute(name) {
  return name === "ui-value" || name === "ui-action" || OWNS_CONTENT.has(name) ||
    PREFIXES.some((prefix) => name.startsWith(prefix) && name.length > prefix.length);
}

function bindAttribute(element, name, text, view) {
  if (name === "ui-value") {
    bind(view, element, text, {
      access: (path) => (isSetter(path) ? "w" : isCall(path) || !isInputLike(element) ? "r" : "rw"),
      binding: (variables, variable, flags) => new ValueBinding(variables, variable, element, flags),
    });
  } else if (name === "ui-view" || name === "ui-viewlist") {
    bindView(view, element, name, text);
  } else if (name === "ui-html") {
    bind(view, element, text, {
      access: () => "r",
      binding: (_, variable, flags) => new HtmlBinding(variable, element, flags.has("replace")),
    });
  } else if (name === "ui-action") {
    bindEvent(view, element, text, "click");
  } else if (name.startsWith("ui-event-keypress-")) {
    bindKey(view, element, text, parseKeyCombination(name.slice("ui-event-keypress-".length)));
  } else if (name.startsWith("ui-event-")) {
    bindEvent(view, element, text, name.slice("ui-event-".length));
  } else {
    const [kind, target] = splitOnce(name.slice("ui-".length), "-");
    const Show = { attr: AttrBinding, class: ClassBinding, style: StyleBinding }[kind];
    bind(view, element, text, {
      access: () => "r",
      binding: (_, variable) => new Show(variable, element, target),
    });
  }
}

/**
 * `ui-action` (a click) and `ui-event-E`: first the element's unsent edit, if it has a
 * `ui-value`, then `null`, or the element's value for `m(_)`, at once as a user event.
 */
function bindEvent(view, element, text, type) {
  bind(view, element, text, {
    access: () => "action",
    binding: (variables, variable) => {
      listen(variable, element, type, (event) => {
        // A bound click or submit is the app's to handle (no navigation, no form post); other
        // events (keydown, input, …) keep their default so that typing still works.
        if (type === "click" || type === "submit") event.preventDefault();
        valueBindings.get(element)?.sendEdit();
        variables.sendValue(variable, actionValue(element, variable), true);
      });
    },
  });
}

/** `ui-event-keypress-[mods-]key`: `null` for `m()`, else the key's name. */
function bindKey(view, element, text, combination) {
  bind(view, element, text, {
    access: (path) => (isCall(path) || isSetter(path) ? "action" : "w"),
    binding: (variables, variable) => {
      listen(variable, element, "keydown", (event) => {
        if (!matchesKey(combination, event)) return;
        event.preventDefault();
        valueBindings.get(element)?.sendEdit();
        const value = isCall(variable.properties.path) ? null : combination.key;
        variables.sendValue(variable, value, true);
      });
    },
  });
}

/**
 * Creates the variable of one binding: `path`, `access` (the query's, else `access(path)`),
 * `elementId`, `extra`, then the query's other properties but those in `omit`. `binding`
 * returns what shows the variable's values, if anything.
 */
function bind(view, element, text, { access: byDefault, extra = {}, omit = [], binding }) {
  const { path, properties: query, flags } = splitPath(text);
  const { access = byDefault(path), ...others } = query;
  for (const name of omit) delete others[name];
  const properties = { path, access, elementId: element.id, ...extra, ...others };
  const { variables } = view;
  return variables.create(view.variable, properties, element, (variable) =>
    binding(variables, variable, flags) ?? null);
}

/** `ui-view`, `ui-viewlist`: namespaces come from the element, else the enclosing view. */
function bindView(view, element, name, text) {
  const extra = {};
  const namespace = element.getAttribute("ui-namespace") || view.namespace();
  const fallbackNamespace = view.variable.properties.fallbackNamespace;
  if (namespace) extra.namespace = namespace;
  if (fallbackNamespace) extra.fallbackNamespace = fallbackNamespace;
  if (name === "ui-view") {
    bind(view, element, text, {
      access: () => "r",
      extra,
      binding: (variables, variable) => new View(variables, variable, new ElementSlot(element)),
    });
  } else {
    // The list itself is neither wrapped nor created: its items are views of the elements.
    bind(view, element, text, {
      access: () => "r",
      extra,
      omit: ["wrapper", "create"],
      binding: (variables, variable) => new ViewList(variables, variable, element),
    });
  }
}

function listen(variable, element, type, handler) {
  element.addEventListener(type, handler, { signal: variable.listeners.signal });
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** `input`, `textarea`, `select`, or a custom element with a `value`. */
function isInputLike(element) {
  if (["input", "textarea", "select"].includes(element.localName)) return true;
  if (!element.localName.includes("-")) return false;
  // The element may not be upgraded yet; its class says whether it will have a value.
  const definition = customElements.get(element.localName);
  return "value" in element || (definition !== undefined && "value" in definition.prototype);
}

/** Checkboxes and switches hold a boolean in `.checked`. */
function isCheckable(element) {
  if (element.localName === "input") {
    return element.type === "checkbox" || element.type === "radio";
  }
  return /-(checkbox|switch)$/.test(element.localName);
}

/** What a `(_)` action sends: the element's value, if it has one. */
function actionValue(element, variable) {
  if (!isSetter(variable.properties.path)) return null;
  if (isCheckable(element)) return element.checked;
  return "value" in element ? element.value : null;
}

/** `null` and object refs show as empty; anything else as its string. */
function displayText(value) {
  if (value == null || (typeof value === "object" && !Array.isArray(value))) return "";
  return String(value);
}

class ValueBinding {
  /** The value last sent or received, as the element shows it. */
  #last;

  constructor(variables, variable, element, flags) {
    this.variables = variables;
    this.variable = variable;
    this.element = element;
    this.input = isInputLike(element);
    this.checkable = this.input && isCheckable(element);
    this.scroll = flags.has("scrollOnOutput");
    this.#last = this.input ? this.#current() : undefined;
    if (element.localName === "select") this.#followOptions();
    if (!this.input || variable.properties.access === "r") return;
    valueBindings.set(element, this);
    listen(variable, element, "change", () => this.#send());
    if (flags.has("keypress")) listen(variable, element, "input", () => this.#send());
  }

  show(hasValue) {
    if (!hasValue) return;
    const { element } = this;
    const value = this.variable.value;
    const shown = this.checkable ? Boolean(value) && value !== "false" : displayText(value);
    // A focused field whose text differs from the last value sent or received holds an edit
    // the user has not sent yet: the server's value must not wipe it out.
    const editing = this.input && element === document.activeElement && this.#current() !== this.#last;
    this.#last = shown;
    if (editing) return;
    if (!this.input) element.textContent = shown;
    else if (this.checkable) element.checked = shown;
    else if (element.value !== shown) element.value = shown;
    if (this.scroll) element.scrollTop = element.scrollHeight;
  }

  /** Sends the element's value if the user changed it since the last value sent or received. */
  sendEdit() {
    if (this.#current() !== this.#last) this.#send();
  }

  dispose() {
    if (valueBindings.get(this.element) === this) valueBindings.delete(this.element);
    this.observer?.disconnect();
  }

  /**
   * A select drops a value that none of its options has, and its options may arrive after
   * the value (a `ui-view` rendering them inside it, their `value`s bound too): apply the
   * value again whenever they change.
   */
  #followOptions() {
    const { element } = this;
    this.observer = new MutationObserver(() => {
      if (element.value !== this.#last && element !== document.activeElement) {
        element.value = this.#last;
      }
    });
    this.observer.observe(element, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["value"],
    });
  }

  #current() {
    return this.checkable ? this.element.checked : this.element.value;
  }

  #send() {
    const value = this.#current();
    // A write-only variable may want the same value twice (e.g. a command line).
    if (value === this.#last && this.variable.properties.access !== "w") return;
    this.#last = value;
    this.variables.sendValue(this.variable, value);
  }
}

class AttrBinding {
  constructor(variable, element, name) {
    Object.assign(this, { variable, element, name });
  }

  show(hasValue) {
    if (!hasValue) return;
    const value = this.variable.value;
    if (value == null || value === false) this.element.removeAttribute(this.name);
    else this.element.setAttribute(this.name, String(value));
  }

}

class ClassBinding {
  constructor(variable, element, name) {
    Object.assign(this, { variable, element, name });
  }

  show(hasValue) {
    if (hasValue) this.element.classList.toggle(this.name, Boolean(this.variable.value));
  }

}

class StyleBinding {
  constructor(variable, element, name) {
    Object.assign(this, { variable, element, name });
  }

  show(hasValue) {
    if (!hasValue) return;
    const value = this.variable.value;
    if (value == null) this.element.style.removeProperty(this.name);
    else this.element.style.setProperty(this.name, String(value));
  }

}

/** `ui-html`: the element's `innerHTML`, or with `?replace` the element itself. */
class HtmlBinding {
  /** With `replace`: the nodes standing where the element was. */
  #nodes;

  constructor(variable, element, replace) {
    this.variable = variable;
    this.element = element;
    this.replace = replace;
    this.#nodes = [element];
  }

  show(hasValue) {
    if (!hasValue) return;
    const html = this.variable.value == null ? "" : String(this.variable.value);
    if (!this.replace) {
      this.element.innerHTML = html;
      return;
    }
    const parsed = document.createElement("template");
    parsed.innerHTML = html;
    const nodes = [...parsed.content.childNodes];
    // An empty text node keeps the place when the HTML is empty.
    if (nodes.length === 0) nodes.push(document.createTextNode(""));
    this.#nodes[0].before(...nodes);
    for (const old of this.#nodes) old.remove();
    this.#nodes = nodes;
  }

}
