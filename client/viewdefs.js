// The viewdefs a connection has received (docs/protocol.md §8, §10.2).

/**
 * The key to render a `type` with: the first known of `T.<namespace>`, `T.<fallbackNamespace>`,
 * `T.DEFAULT`, or null while none has arrived. `known` is anything with `has(key)`.
 */
export function chooseViewdef(known, type, namespace, fallbackNamespace) {
  const candidates = [];
  if (namespace) candidates.push(`${type}.${namespace}`);
  if (fallbackNamespace) candidates.push(`${type}.${fallbackNamespace}`);
  candidates.push(`${type}.DEFAULT`);
  return candidates.find((key) => known.has(key)) ?? null;
}

export class Viewdefs {
  /** Key → the viewdef's `<template>` element. */
  #templates = new Map();

  has(key) {
    return this.#templates.has(key);
  }

  template(key) {
    return this.#templates.get(key);
  }

  choose(type, namespace, fallbackNamespace) {
    return chooseViewdef(this, type, namespace, fallbackNamespace);
  }

  /** Stores the `viewdefs` property (a JSON string); returns the set of keys it carried. */
  store(json) {
    const keys = new Set();
    let delivered;
    try {
      delivered = JSON.parse(json);
    } catch (error) {
      console.error("lunette: unreadable viewdefs", error);
      return keys;
    }
    for (const [key, html] of Object.entries(delivered)) {
      const holder = document.createElement("template");
      holder.innerHTML = html;
      const template = holder.content.firstElementChild;
      if (template?.localName !== "template") {
        console.error(`lunette: viewdef ${key} is not a <template>`);
        continue;
      }
      this.#templates.set(key, template);
      keys.add(key);
    }
    return keys;
  }
}
