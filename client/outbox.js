// Outbound batching (docs/protocol.md §10.4): what is queued during one task leaves as one frame at
// the end of that task, in a microtask, so the bindings created while one inbound frame renders
// leave together right after it. A user action sends the queue at once. No timer: every wait here
// would be paid once per nesting level of the page.

export class Outbox {
  #send;
  #messages = [];
  #scheduled = false;

  /** `send` gets each batch, `{userEvent, messages}`. */
  constructor(send) {
    this.#send = send;
  }

  push(message) {
    this.#messages.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush(false);
    });
  }

  /** A user action: everything queued leaves now, the action last, marked `userEvent`. */
  pushUserEvent(message) {
    this.#messages.push(message);
    this.flush(true);
  }

  flush(userEvent) {
    if (this.#messages.length === 0) return;
    const messages = this.#messages;
    this.#messages = [];
    this.#send({ userEvent, messages });
  }

  /** Drops whatever is queued: the connection it was meant for is gone. */
  discard() {
    this.#messages = [];
  }
}
