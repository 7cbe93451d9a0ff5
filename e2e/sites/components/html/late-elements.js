// Web components of the test page's own, defined 200 ms after the page loads (a select's
// options 200 ms later still), as a library's autoloader defines its tags only after they
// appear: until then they are plain HTMLElements, without `value` or `checked`. Each fires
// only events of its own; the native ones of its shadow root stay inside.

/** A text field: `value`; `edit` on every keystroke, `commit` when the edit is done. */
class LateField extends HTMLElement {
  #input = document.createElement("input");

  constructor() {
    super();
    // Focusing the component focuses its input, as with a library's field.
    this.attachShadow({ mode: "open", delegatesFocus: true }).append(this.#input);
    // A native `input` is composed and would reach the page: keep it in.
    this.#input.addEventListener("input", (event) => {
      event.stopPropagation();
      this.dispatchEvent(new CustomEvent("edit", { bubbles: true }));
    });
    this.#input.addEventListener("change", () => {
      this.dispatchEvent(new CustomEvent("commit", { bubbles: true }));
    });
  }

  get value() {
    return this.#input.value;
  }

  set value(value) {
    this.#input.value = value;
  }
}

/** A checkbox whose label is its content: `checked`; `flip` when clicked. */
class LateToggle extends HTMLElement {
  #checked = false;
  #box = document.createElement("span");

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.append(this.#box, " ", document.createElement("slot"));
    this.#show();
    this.addEventListener("click", () => {
      this.checked = !this.checked;
      this.dispatchEvent(new CustomEvent("flip", { bubbles: true }));
    });
  }

  get checked() {
    return this.#checked;
  }

  set checked(checked) {
    this.#checked = Boolean(checked);
    this.#show();
  }

  #show() {
    this.#box.textContent = this.#checked ? "[x]" : "[ ]";
  }
}

/** An option of a LateChoice: its `value` attribute, its content as label. */
class LateOption extends HTMLElement {
  get value() {
    return this.getAttribute("value") ?? "";
  }
}

/**
 * A select, like a library's: its `value` is one of its options' values, and a value that no
 * defined option has is dropped. `pick` when an option is clicked.
 */
class LateChoice extends HTMLElement {
  #value = "";

  constructor() {
    super();
    this.addEventListener("click", (event) => {
      const option = event.target.closest("late-option");
      if (option === null) return;
      this.value = option.value;
      this.dispatchEvent(new CustomEvent("pick", { bubbles: true }));
    });
  }

  get value() {
    return this.#value;
  }

  set value(value) {
    // An option not defined yet has no `value`.
    const values = Array.from(this.querySelectorAll("late-option"), (option) => option.value);
    this.#value = values.includes(value) ? value : "";
  }
}

addEventListener("load", () => {
  setTimeout(() => {
    // What the page showed of the name just before: the test checks that the server's values
    // had arrived, so that they came before the definition.
    document.documentElement.dataset.nameBeforeDefinition =
      document.getElementById("name-seen")?.textContent ?? "";
    customElements.define("late-field", LateField);
    customElements.define("late-toggle", LateToggle);
    customElements.define("late-choice", LateChoice);
  }, 200);
  setTimeout(() => customElements.define("late-option", LateOption), 400);
});
