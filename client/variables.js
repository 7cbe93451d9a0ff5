// A connection's variables (docs/protocol.md §4, §10.2, §10.4): the ids it vends, the tree of the
// variables its bindings created, and what it does with each inbound message.

import { clearError, markError } from "./errors.js";

export class Variable {
  /** Undefined until a value arrives; then the last value received. */
  value = undefined;
  /** Variables created by this one's binding (a view's bindings, a list's items). */
  children = [];
  /** What shows the variable: `{show(hasValue), dispose?()}`, or null for an action. */
  binding = null;
  /** Aborted when the variable is forgotten, which removes every DOM listener it added. */
  listeners = new AbortController();

  constructor(id, parent, properties, element) {
    this.id = id;
    this.parent = parent;
    /** Properties as last sent or received; a property set to "" is absent. */
    this.properties = properties;
    /** The bound element: where errors are marked. */
    this.element = element;
  }
}

export class Variables {
  #byId = new Map();
  #nextId = 2;
  /** Live views in creation order, so that parents re-render before their children. */
  views = new Set();

  constructor(outbox, viewdefs, banner) {
    this.outbox = outbox;
    this.viewdefs = viewdefs;
    this.banner = banner;
  }

  /** Variable 1, which exists on the server already: the client only watches it. */
  watchApp(element, makeBinding) {
    const app = new Variable(1, null, {}, element);
    this.#byId.set(1, app);
    app.binding = makeBinding(app);
    this.outbox.push({ type: "watch", data: { varId: 1 } });
    this.outbox.flush(false);
    return app;
  }

  /** Creates a child of `parent` on the server (watched) and binds it with `makeBinding`. */
  create(parent, properties, element, makeBinding) {
    const variable = new Variable(this.#nextId++, parent, { ...properties }, element);
    this.#byId.set(variable.id, variable);
    parent.children.push(variable);
    this.outbox.push({
      type: "create",
      data: { id: variable.id, parentId: parent.id, properties },
    });
    variable.binding = makeBinding(variable);
    return variable;
  }

  /** Sends a value; a user event leaves at once with everything queued before it. */
  sendValue(variable, value, userEvent = false) {
    clearError(variable.element, variable.id);
    const message = { type: "update", data: { varId: variable.id, value } };
    if (userEvent) this.outbox.pushUserEvent(message);
    else this.outbox.push(message);
  }

  sendProperties(variable, properties) {
    clearError(variable.element, variable.id);
    storeProperties(variable, properties);
    this.outbox.push({ type: "update", data: { varId: variable.id, properties } });
  }

  /**
   * Unbinds these sibling variables and everything below them: `unwatch` for every one, then
   * `destroy` for these topmost ones (the server removes their subtrees).
   */
  drop(variables) {
    const dropped = [];
    const collect = (variable) => {
      dropped.push(variable);
      variable.children.forEach(collect);
    };
    variables.forEach(collect);
    for (const variable of dropped) {
      this.outbox.push({ type: "unwatch", data: { varId: variable.id } });
    }
    for (const variable of variables) {
      this.outbox.push({ type: "destroy", data: { varId: variable.id } });
      this.#forget(variable);
    }
  }

  /** The connection is gone: stop every binding without telling anyone. */
  dispose() {
    this.outbox.discard();
    const app = this.#byId.get(1);
    if (app) this.#forget(app);
  }

  /** One inbound frame: a message object or an array of them, applied in order. */
  receiveFrame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      console.error("lunette: unreadable frame from the server", error);
      return;
    }
    for (const message of Array.isArray(frame) ? frame : [frame]) {
      this.#receive(message);
    }
  }

  #receive({ type, data = {} }) {
    const variable = this.#byId.get(data.varId);
    switch (type) {
      case "update":
        if (variable) this.#update(variable, data);
        break;
      case "destroy":
        if (variable) this.#forget(variable);
        break;
      case "error":
        console.warn(
          `lunette: ${data.code}${data.varId === undefined ? "" : ` (variable ${data.varId})`}: ${data.description}`,
        );
        if (variable) markError(variable.element, variable.id, data.code, data.description);
        break;
      default:
        console.warn("lunette: unknown message from the server", type);
    }
  }

  #update(variable, data) {
    // An update without `value` leaves the value alone; `"value": null` is a real null.
    const hasValue = Object.hasOwn(data, "value");
    clearError(variable.element, variable.id);
    const { viewdefs, ...others } = data.properties ?? {};
    if (variable.id === 1 && viewdefs !== undefined) {
      const delivered = this.viewdefs.store(viewdefs);
      // Pending views may render now, and views showing a re-sent key render it again.
      for (const view of [...this.views]) view.refresh(delivered);
    }
    if (variable.id === 1 && Object.hasOwn(others, "reloadError")) {
      this.banner.show(others.reloadError);
    }
    storeProperties(variable, others);
    if (hasValue) variable.value = data.value;
    if (hasValue || Object.keys(others).length > 0) variable.binding?.show(hasValue);
  }

  /** Forgets a variable and its subtree locally: listeners, bindings, ids. */
  #forget(variable) {
    const siblings = variable.parent?.children;
    if (siblings) siblings.splice(siblings.indexOf(variable), 1);
    const forgetTree = (node) => {
      node.children.forEach(forgetTree);
      node.listeners.abort();
      node.binding?.dispose?.();
      this.#byId.delete(node.id);
    };
    forgetTree(variable);
  }
}

function storeProperties(variable, properties) {
  for (const [name, text] of Object.entries(properties)) {
    if (text === "") delete variable.properties[name];
    else variable.properties[name] = text;
  }
}
