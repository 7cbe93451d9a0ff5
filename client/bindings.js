// Binding attributes (docs/protocol.md §10.3): each `ui-*` binding of a rendered viewdef becomes a
// child variable of the view, created in document order, and keeps its element and the variable in
// step.

import { CHECKBOX, FIELD, TEXT, contentDefined, elementKind, isCustomElement, valueEvents } from "./elements.js";
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
      access: (path) => (isSetter(path) ? "w" : isCall(path) || !mayHoldValue(element) ? "r" : "rw"),
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

/**
 * Whether the user may edit the element's value: a field or a checkbox, or a custom element,
 * which may turn out to be one once it is defined. The answer must not depend on whether its
 * library has loaded yet.
 */
function mayHoldValue(element) {
  return isCustomElement(element) || elementKind(element) !== TEXT;
}

/** What a `(_)` action sends: the element's value, if it has one. */
function actionValue(element, variable) {
  if (!isSetter(variable.properties.path)) return null;
  if (elementKind(element) === CHECKBOX) return element.checked;
  return "value" in element ? element.value : null;
}

/** `null` and object refs show as empty; anything else as its string. */
function displayText(value) {
  if (value == null || (typeof value === "object" && !Array.isArray(value))) return "";
  return String(value);
}

/**
 * What a field is given: the value itself, as a component's property may want a number (a
 * range) or an array (a multiple select), but `null` and object refs as empty. A native field
 * makes a string of it.
 */
function fieldValue(value) {
  return displayText(value) === "" ? "" : value;
}

/** Whether an element's value and one sent or received read the same (`5` and `"5"` do). */
function same(a, b) {
  return displayText(a) === displayText(b);
}

class ValueBinding {
  /** The value last sent or received, as the element shows it. */
  #last;
  /** `elementKind`: null while a custom element waits for its definition. */
  #kind;

  constructor(variables, variable, element, flags) {
    this.variables = variables;
    this.variable = variable;
    this.element = element;
    this.scroll = flags.has("scrollOnOutput");
    this.#kind = elementKind(element);
    if (this.#kind === null) {
      customElements.whenDefined(element.localName).then(() => this.#defined());
    } else {
      this.#judged();
    }
    if (!mayHoldValue(element) || variable.properties.access === "r") return;
    valueBindings.set(element, this);
    for (const type of valueEvents(element, flags.has("keypress"))) {
      listen(variable, element, type, () => this.#send());
    }
  }

  show(hasValue) {
    // A custom element not defined yet shows nothing: as text, a checkbox's value would
    // become its label. It shows the value once defined.
    if (!hasValue || this.#kind === null) return;
    const value = this.variable.value;
    if (this.#kind === TEXT) {
      this.element.textContent = displayText(value);
    } else {
      // A focused field whose value differs from the last value sent or received holds an
      // edit the user has not sent yet: the server's value must not wipe it out.
      const editing = this.#focused() && !same(this.#current(), this.#last);
      const checked = Boolean(value) && value !== "false";
      this.#last = this.#kind === CHECKBOX ? checked : fieldValue(value);
      if (editing) return;
      this.#apply();
    }
    if (this.scroll) this.element.scrollTop = this.element.scrollHeight;
  }

  /** Sends the element's value if the user changed it since the last value sent or received. */
  sendEdit() {
    if (this.#holdsValue() && !same(this.#current(), this.#last)) this.#send();
  }

  dispose() {
    if (valueBindings.get(this.element) === this) valueBindings.delete(this.element);
    this.observer?.disconnect();
  }

  /** The custom element is defined now: it shows the value that came while it was not. */
  #defined() {
    if (this.variable.listeners.signal.aborted) return;
    this.#kind = elementKind(this.element);
    this.#judged();
    if (this.variable.value !== undefined) this.show(true);
  }

  /** What the element holds before any value arrives is what counts as unedited. */
  #judged() {
    if (!this.#holdsValue()) return;
    this.#last = this.#current();
    const { element } = this;
    if (this.#kind === FIELD && (element.localName === "select" || isCustomElement(element))) {
      this.#followOptions();
    }
  }

  #holdsValue() {
    return this.#kind === FIELD || this.#kind === CHECKBOX;
  }

  /**
   * The focus is on the element, inside its shadow root (the element is then the active
   * element) or on an element inside it (a component's option).
   */
  #focused() {
    const active = document.activeElement;
    return active !== null && this.element.contains(active);
  }

  /**
   * Puts the last value into the element. A component may take it only once the components
   * inside it are defined, as a select needs its options: it gets the value again then.
   */
  #apply() {
    const { element } = this;
    if (this.#kind === CHECKBOX) element.checked = this.#last;
    else if (!same(element.value, this.#last)) element.value = this.#last;
    contentDefined(element)?.then(() => {
      if (!this.variable.listeners.signal.aborted && !this.#focused()) this.#apply();
    });
  }

  /**
   * A select drops a value that none of its options has, and its options may arrive after
   * the value (a `ui-view` rendering them inside it, their `value`s bound too): apply the
   * value again whenever they change. A component's select or radio group does the same.
   */
  #followOptions() {
    this.observer = new MutationObserver(() => {
      if (!same(this.element.value, this.#last) && !this.#focused()) this.#apply();
    });
    this.observer.observe(this.element, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["value"],
    });
  }

  #current() {
    return this.#kind === CHECKBOX ? this.element.checked : this.element.value;
  }

  #send() {
    if (!this.#holdsValue()) return;
    const value = this.#current();
    // A write-only variable may want the same value twice (e.g. a command line).
    if (same(value, this.#last) && this.variable.properties.access !== "w") return;
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
