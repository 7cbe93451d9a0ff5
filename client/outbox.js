// Outbound batching (PROTOCOL §10.4): one frame 10 ms after the last queued message, at most
// 50 ms after the first, or at once for a user action.

const QUIET_MS = 10;
const MAX_WAIT_MS = 50;

export class Outbox {
  #send;
  #messages = [];
  #timer = 0;
  #deadline = 0;

  /** `send` gets each batch, `{userEvent, messages}`. */
  constructor(send) {
    this.#send = send;
  }

  push(message) {
    if (this.#messages.length === 0) this.#deadline = performance.now() + MAX_WAIT_MS;
    this.#messages.push(message);
    clearTimeout(this.#timer);
    const wait = Math.min(QUIET_MS, this.#deadline - performance.now());
    this.#timer = setTimeout(() => this.flush(false), Math.max(0, wait));
  }

  /** A user action: everything queued leaves now, the action last, marked `userEvent`. */
  pushUserEvent(message) {
    this.#messages.push(message);
    this.flush(true);
  }

  flush(userEvent) {
    clearTimeout(this.#timer);
    if (this.#messages.length === 0) return;
    const messages = this.#messages;
    this.#messages = [];
    this.#send({ userEvent, messages });
  }

  /** Drops whatever is queued: the connection it was meant for is gone. */
  discard() {
    clearTimeout(this.#timer);
    this.#messages = [];
  }
}
