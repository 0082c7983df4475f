/**
 * The FIFO of callbacks a host runs, one per turn of its loop (PureHost, the toolkit hosts). A
 * head index instead of shift() keeps it O(1) for long queues, and a queue that producers never
 * let empty is compacted now and then, so it cannot grow without bound.
 */
import type { SyncCallback } from "./contract.js";

export class CallbackQueue {
  #items: SyncCallback[] = [];
  #head = 0;

  /** Callbacks waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(fn: SyncCallback): void {
    this.#items.push(fn);
  }

  /** The oldest callback, taken out; undefined when none waits. */
  take(): SyncCallback | undefined {
    if (this.#head === this.#items.length) return undefined;
    const fn = this.#items[this.#head++];
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return fn;
  }
}
