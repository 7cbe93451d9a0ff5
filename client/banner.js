// The hot-reload error banner (`--hotload`). While a reloaded Lua file fails in this session the
// server sets variable 1's `reloadError` property (high priority) to the standing errors, one
// `file:line: message` per line, and removes it once they are fixed (core/src/session/reload.rs).
// The banner shows that text at the top of the page; the developer may dismiss it until the text
// changes.

export class ReloadBanner {
  #element = null;
  /** The text the developer dismissed: not shown again until the server sends another. */
  #dismissed = null;

  /** The `reloadError` property as received; `""` means the errors are gone. */
  show(text) {
    if (!text) {
      this.#dismissed = null;
      this.hide();
      return;
    }
    if (text === this.#dismissed) return;
    this.#element ??= this.#build();
    this.#element.querySelector("pre").textContent = text;
  }

  /** Takes the banner away, remembering what was dismissed (a reconnect re-sends the text). */
  hide() {
    this.#element?.remove();
    this.#element = null;
  }

  #build() {
    const banner = document.createElement("div");
    banner.className = "ui-reload-error";
    banner.setAttribute("role", "alert");
    const title = document.createElement("strong");
    title.textContent = "Hot reload failed";
    const text = document.createElement("pre");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.textContent = "×";
    dismiss.title = "Dismiss";
    dismiss.setAttribute("aria-label", "Dismiss");
    dismiss.addEventListener("click", () => {
      this.#dismissed = text.textContent;
      this.hide();
    });
    banner.append(title, text, dismiss);
    document.body.prepend(banner);
    return banner;
  }
}
