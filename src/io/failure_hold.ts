/**
 * stop_on_error, on the way out: the reply of a failing cell that stops its shell's queue is held
 * for a moment before it goes out (its request's later messages, its idle, wait behind it).
 *
 * Why: a frontend's Run All sends every cell at once, and a cell may fail within a millisecond,
 * before the later cells have been sent, let alone arrived. Every request made before the failing
 * reply went out is aborted (abort_windows.ts: the main thread aborts all of the shell's requests
 * until the reply is out, and the worker those made before it, by their date). Holding the reply
 * moves that moment later, so that the rest of a burst sent blind is aborted too; a client that
 * answers the error is never refused for it, since it cannot answer a reply it has not had. The
 * price: a failing cell's reply comes that much later (its error output does not wait).
 */
import type { Outbound } from "./bridge.js";

export const HOLD_ENV = "TS_ASYNC_KERNEL_STOP_ON_ERROR_MS";
/**
 * Long enough for a burst of cells sent back to back (ms apart) to be made before the reply, also
 * on a loaded machine; short beside a person's reaction (ipykernel 5 waited 0.1 s: `stop_on_error_timeout`).
 */
export const DEFAULT_HOLD_MS = 50;

/** The hold from the environment (a number of ms ≥ 0; 0 sends at once), else DEFAULT_HOLD_MS. */
export function holdFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[HOLD_ENV];
  const ms = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_HOLD_MS;
}

/** The shell a message's request belongs to: its subshell id, or null for the main shell. */
function shellOf(item: Outbound): string | null {
  const id = item.parent?.subshell_id;
  return typeof id === "string" ? id : null;
}

export class FailureHold {
  /**
   * By shell, while its failing reply is held: that reply, then every reply of the shell that
   * came after it (the executes it aborted among them) with the later messages of their requests,
   * in order: replies keep the order of their requests, and a client sees nothing of the failure
   * (not even an abort) before the failing reply.
   */
  private readonly held = new Map<string | null, { items: Outbound[]; requests: Set<string> }>();

  constructor(
    private readonly holdMs: number,
    /** Sends one message now. */
    private readonly send: (item: Outbound) => void,
  ) {}

  /** Sends `item`, or holds it behind its shell's failing reply. */
  pass(item: Outbound): void {
    const id = item.parent?.msg_id;
    if (id === undefined) {
      this.send(item);
      return;
    }
    const shell = shellOf(item);
    const hold = this.held.get(shell);
    if (hold && (hold.requests.has(id) || item.channel === "shell")) {
      hold.items.push(item);
      hold.requests.add(id);
    } else if (item.stopsQueue === "failure" && this.holdMs > 0) {
      this.held.set(shell, { items: [item], requests: new Set([id]) });
      setTimeout(() => this.release(shell), this.holdMs);
    } else {
      this.send(item);
    }
  }

  /** Send everything held now (the sockets are about to close). */
  releaseAll(): void {
    for (const shell of [...this.held.keys()]) this.release(shell);
  }

  private release(shell: string | null): void {
    const hold = this.held.get(shell);
    this.held.delete(shell);
    for (const item of hold?.items ?? []) this.send(item);
  }
}
