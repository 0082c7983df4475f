/**
 * Sends the output of calls back to the thread that made them, batched: one postMessage per
 * turn of the event loop, except that the first event of a turn goes at once, and later ones at
 * least every FLUSH_INTERVAL_MS (a call that prints and then computes shows its output while it
 * computes). Adjacent text of one call and stream is merged.
 */
import { performance } from "node:perf_hooks";
import { setImmediate } from "node:timers";
import type { MessagePort } from "node:worker_threads";
import type { FromTarget, OutputEvent } from "./protocol.js";

const FLUSH_INTERVAL_MS = 10;

type Tagged = { id: number; event: OutputEvent };

export class OutputRelay {
  private events: Tagged[] = [];
  private scheduled = false;
  private postedThisTurn = false;
  private lastPost = 0;

  constructor(private readonly port: MessagePort) {}

  add(id: number, event: OutputEvent): void {
    const last = this.events[this.events.length - 1];
    if (event.kind === "stream" && last?.id === id && last.event.kind === "stream" && last.event.name === event.name) {
      last.event.text += event.text;
    } else {
      this.events.push({ id, event: event.kind === "stream" ? { ...event } : event });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endOfTurn);
    }
    if (!this.postedThisTurn) {
      this.postedThisTurn = true;
      this.flush();
    } else if (performance.now() - this.lastPost >= FLUSH_INTERVAL_MS) {
      this.flush();
    }
  }

  /** Send what is waiting (before a call's outcome, so that its output comes first). */
  flush(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    this.lastPost = performance.now();
    try {
      this.port.postMessage({ type: "output", events } satisfies FromTarget);
    } catch {
      for (const e of events) this.postOne(e);
    }
  }

  /**
   * One event that may not clone (a function in display metadata): sent as JSON would carry it
   * (functions dropped), or replaced by a note on stderr that it could not be sent.
   */
  private postOne(e: Tagged): void {
    const post = (events: Tagged[]) => this.port.postMessage({ type: "output", events } satisfies FromTarget);
    try {
      post([e]);
      return;
    } catch (err) {
      try {
        post([JSON.parse(JSON.stringify(e)) as Tagged]);
        return;
      } catch {
        const text = `[${e.event.kind} output could not be sent to the thread that made the call: ${(err as Error).message}]\n`;
        post([{ id: e.id, event: { kind: "stream", name: "stderr", text } }]);
      }
    }
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.postedThisTurn = false;
    this.flush();
  };
}
