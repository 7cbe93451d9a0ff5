// What a `ui-value` element is (docs/protocol.md §10.3), web components included: a field that
// holds the value in `.value`, a checkbox or switch that holds a boolean in `.checked`, or anything
// else, which shows the value as text. And the events after which a field may hold a new value.

/** How an element holds a value. */
export const TEXT = "text";
export const FIELD = "field";
export const CHECKBOX = "checkbox";

/** A custom element: its tag has a hyphen. */
export function isCustomElement(element) {
  return element.localName.includes("-");
}

/**
 * What the element is now, or null for a custom element that is not defined yet. Until then
 * it is a plain `HTMLElement` without `value` or `checked`, whatever it turns out to be: a
 * library's autoloader defines each tag only once it appears in the page.
 */
export function elementKind(element) {
  switch (element.localName) {
    case "input":
      return element.type === "checkbox" || element.type === "radio" ? CHECKBOX : FIELD;
    case "textarea":
    case "select":
      return FIELD;
  }
  if (!isCustomElement(element)) return TEXT;
  if (customElements.get(element.localName) === undefined) return null;
  // A checkbox component also has a `value` (what a form submits when it is checked).
  if (typeof element.checked === "boolean") return CHECKBOX;
  return "value" in element ? FIELD : TEXT;
}

/**
 * Resolves once the custom elements inside `element` are defined; null when none waits. A
 * component may need its content to take a value, as a select needs its options.
 */
export function contentDefined(element) {
  const undefinedInside = element.querySelectorAll(":not(:defined)");
  const waiting = new Set(Array.from(undefinedInside, (inside) => inside.localName));
  if (waiting.size === 0) return null;
  return Promise.all(Array.from(waiting, (tag) => customElements.whenDefined(tag)));
}

/**
 * The events after which the element may hold a new value: the native `change` (and `input`
 * for every edit), and for a custom element also its library's own, as a native `change`
 * does not leave a shadow root and many components fire only their own events. A tag
 * `p-name` is heard on `p-change` and `p-input` (Shoelace's `sl-change`, `sl-input`); a page
 * names others in its `<meta name="ui-events" content="TAG change=E input=E">`.
 */
export function valueEvents(element, everyEdit) {
  const events = ["change"];
  if (everyEdit) events.push("input");
  if (!isCustomElement(element)) return events;
  const tag = element.localName;
  const prefix = tag.slice(0, tag.indexOf("-"));
  events.push(`${prefix}-change`);
  if (everyEdit) events.push(`${prefix}-input`);
  const named = pageEvents().get(tag);
  if (named) events.push(...named.change, ...(everyEdit ? named.input : []));
  return [...new Set(events)];
}

/** Tag → `{change, input}` event names, from the page's `ui-events` metas when first needed. */
let namedEvents = null;

function pageEvents() {
  if (namedEvents) return namedEvents;
  namedEvents = new Map();
  for (const meta of document.querySelectorAll('meta[name="ui-events"]')) {
    const [name, ...pairs] = (meta.getAttribute("content") ?? "").trim().split(/\s+/);
    if (!name) continue;
    // Tags are case-insensitive, event names are not (`ionChange`).
    const tag = name.toLowerCase();
    const named = namedEvents.get(tag) ?? { change: [], input: [] };
    for (const pair of pairs) {
      const [kind, event] = pair.split("=");
      if ((kind === "change" || kind === "input") && event) {
        named[kind].push(event);
      } else {
        console.warn(`lunette: ui-events meta for ${tag}: "${pair}" is not change=E or input=E`);
      }
    }
    namedEvents.set(tag, named);
  }
  return namedEvents;
}
