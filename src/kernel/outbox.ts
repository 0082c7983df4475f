/**
 * Messages from the main thread to the I/O worker, batched: everything emitted within one turn
 * of the event loop goes in one postMessage, in order. Consecutive writes to the same stream of
 * the same request are merged into one `stream` message, as ipykernel's buffered streams do.
 * `cellOutput` is a request's CellOutput (what the shell emits through) over the outbox.
 */
import { performance } from "node:perf_hooks";
import type { Header } from "../messaging/index.js";
import type { CellOutput, DisplayOptions, MimeBundle } from "../shell/output.js";
import type { Outbound, ToWorker } from "../io/bridge.js";
import { setImmediate } from "node:timers";
import { outputHandedOver, outputPending } from "../shell/attention.js";
import type { CellInput } from "./stdin.js";

/** Flush at once past this much buffered stream text, so memory and latency stay bounded. */
const MAX_BUFFERED = 1 << 20;
/** While code keeps the thread busy, stream text goes out at least this often (checked on write). */
const STREAM_INTERVAL_MS = 10;

export class Outbox {
  private items: Outbound[] = [];
  private buffered = 0;
  private scheduled = false;
  /** Stream text was posted in this turn of the event loop (reset when the turn ends). */
  private streamedThisTurn = false;
  private lastFlush = 0;

  /**
   * @param attention - the main shell's attention words: the outbox says there when it holds
   *   messages, so that the I/O worker can ask for them while a cell's loop keeps the thread from
   *   ending its turn (src/shell/attention.ts `askForOutput`; a guard then calls `flush`).
   */
  constructor(
    private readonly post: (msg: ToWorker) => void,
    private readonly attention?: Int32Array,
  ) {}

  push(item: Outbound): void {
    this.items.push(item);
    if (this.items.length === 1 && this.attention) outputPending(this.attention);
    this.schedule();
  }

  publish(msgType: string, content: unknown, parent: Header | null, metadata?: Record<string, unknown>): void {
    this.push({ channel: "iopub", msgType, content, parent, metadata });
  }

  /**
   * A message that should reach the frontend while the code that sent it keeps running (comm
   * messages: a loop that moves a slider): posted like stream text, not only at the end of the turn.
   */
  pushSoon(item: Outbound): void {
    this.push(item);
    this.streamWritten();
  }

  stream(parent: Header, name: "stdout" | "stderr", text: string): void {
    const last = this.items[this.items.length - 1];
    if (last && last.msgType === "stream" && last.parent === parent) {
      const content = last.content as { name: string; text: string };
      if (content.name === name) {
        content.text += text;
        this.grow(text.length);
        this.streamWritten();
        return;
      }
    }
    this.push({ channel: "iopub", msgType: "stream", content: { name, text }, parent });
    this.grow(text.length);
    this.streamWritten();
  }

  /**
   * Output must reach the frontend even while the cell then blocks the thread (nothing
   * scheduled can run until it yields): the first stream write of a turn is posted at once,
   * later ones at least every STREAM_INTERVAL_MS, and the rest when the turn ends.
   */
  private streamWritten(): void {
    if (!this.streamedThisTurn) {
      this.streamedThisTurn = true;
      this.flush();
    } else if (performance.now() - this.lastFlush >= STREAM_INTERVAL_MS) {
      this.flush();
    }
  }

  flush = (): void => {
    if (this.items.length === 0) return;
    this.lastFlush = performance.now();
    const items = this.items;
    this.items = [];
    this.buffered = 0;
    this.post({ type: "send", items });
    if (this.attention) outputHandedOver(this.attention);
  };

  private grow(n: number): void {
    this.buffered += n;
    if (this.buffered >= MAX_BUFFERED) this.flush();
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.streamedThisTurn = false;
    this.flush();
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.endOfTurn);
  }
}

/** Where a cell's output goes: the outbox, with the request as parent (nothing but comm messages when silent). */
export function cellOutput(outbox: Outbox, parent: Header, silent: boolean, stdin?: CellInput): CellOutput {
  return {
    stdin,
    stream(name, text) {
      if (!silent) outbox.stream(parent, name, text);
    },
    display(data: MimeBundle, opts: DisplayOptions = {}) {
      if (silent) return;
      const content: Record<string, unknown> = { data, metadata: opts.metadata ?? {}, transient: {} };
      if (opts.displayId) content.transient = { display_id: opts.displayId };
      outbox.publish(opts.update ? "update_display_data" : "display_data", content, parent);
    },
    clearOutput(wait) {
      if (!silent) outbox.publish("clear_output", { wait }, parent);
    },
    // Comm messages keep both sides' state in step: they go out even for a silent request.
    comm(msg) {
      outbox.pushSoon({
        channel: "iopub",
        msgType: msg.msgType,
        content: msg.content,
        parent,
        metadata: msg.metadata,
        buffers: msg.buffers,
      });
    },
  };
}
