/**
 * The main thread's side of stdin: each running cell gets a `CellStdin` (src/shell/stdin.ts) that
 * asks the I/O worker to send an input_request to the cell's client with the cell's
 * execute_request as parent; the worker (io/stdin_route.ts) matches the input_reply and posts the
 * answer on a port of its own.
 *
 * `input()` awaits the answer like any message. `prompt()` / `confirm()` block the main thread:
 * it cannot take messages then, so it sleeps in Atomics.wait on shared words (stdin_wake.ts) and,
 * once woken, takes the answer off the port with receiveMessageOnPort. The I/O worker wakes it
 * after posting an answer; the SIGINT watcher wakes it on a SIGINT, which interrupts the prompt
 * (KernelInterrupt). A SIGINT while the prompt is in a cell's synchronous part never reaches the
 * watcher: `breakOnSigint` terminates that evaluation, Atomics.wait included, and the request is
 * forgotten when the cell ends. The wait also ends at the cell's `timeout` tag (CellTimeout).
 *
 * An input request ends when it is answered, interrupted, cancelled with its cell (timeout,
 * stop_on_error) or when its cell ends; the worker is told to forget it, so a late input_reply
 * is dropped and never taken as the answer to a later request.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { Header } from "../messaging/index.js";
import { CellTimeout, KernelInterrupt } from "../shell/errors.js";
import { StdinUnavailable, type CellStdin, type StdinCaller } from "../shell/stdin.js";
import type { StdinAnswer, ToWorker } from "../io/bridge.js";
import { newStdinWake, StdinWakeWord } from "../shared_memory/layout.js";

export interface StdinOptions {
  /** Post to the I/O worker. */
  post(message: ToWorker, transfer?: MessagePort[]): void;
  /** Send the output written so far, so that it shows before the prompt. */
  flushOutput(): void;
}

/** One input request not answered yet. `settle` is absent for a blocking one (its wait takes the answer). */
interface Pending {
  cell: CellInput;
  caller: StdinCaller;
  settle?: { resolve(value: string): void; reject(err: Error): void };
}

export class StdinRequests {
  /** Shared with the I/O worker and the SIGINT watcher (stdin_wake.ts). */
  readonly wakeBuffer = newStdinWake();
  private readonly words = new Int32Array(this.wakeBuffer);
  private readonly port: MessagePort;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly options: StdinOptions) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    port1.on("message", (a: StdinAnswer) => this.settle(a));
    // Pending input never keeps the process alive on its own.
    port1.unref();
    options.post({ type: "stdin", port: port2, wake: this.wakeBuffer }, [port2]);
  }

  /**
   * The stdin of a cell (its execute_request `parent`); close it when the cell ends.
   * `timeoutSeconds`: the cell's `timeout` tag, which a blocking prompt() honours itself (the
   * scheduler's timer cannot fire while the thread is blocked).
   */
  forCell(parent: Header, allowStdin: boolean, timeoutSeconds?: number): CellInput {
    return new CellInput(this, parent, allowStdin, timeoutSeconds);
  }

  /** An interrupt: every pending `input()` is rejected with KernelInterrupt. */
  interrupt(): number {
    const ids = [...this.pending.keys()];
    for (const id of ids) this.end(id, new KernelInterrupt());
    return ids.length;
  }

  /** @internal */
  ask(cell: CellInput, prompt: string, password: boolean, caller: StdinCaller): Promise<string> {
    return new Promise((resolve, reject) => {
      const id = this.register(cell, { cell, caller, settle: { resolve, reject } });
      this.send(id, cell, prompt, password);
    });
  }

  /** @internal Block until the answer comes, a SIGINT, or the cell's timeout. */
  askSync(cell: CellInput, prompt: string, password: boolean, caller: StdinCaller): string {
    const sigints = Atomics.load(this.words, StdinWakeWord.SIGINTS);
    const id = this.register(cell, { cell, caller });
    this.send(id, cell, prompt, password);
    try {
      for (;;) {
        const seen = Atomics.load(this.words, StdinWakeWord.WAKE);
        for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
          const answer = m.message as StdinAnswer;
          if (answer.id !== id) {
            this.settle(answer); // another cell's input(): its promise settles when this thread is free
            continue;
          }
          this.forgetLocally(id);
          if ("error" in answer) throw new StdinUnavailable(`${caller}() was called, but ${answer.error}`);
          return answer.value;
        }
        if (Atomics.load(this.words, StdinWakeWord.SIGINTS) !== sigints) throw new KernelInterrupt();
        const { timeout } = cell;
        if (!timeout) {
          Atomics.wait(this.words, StdinWakeWord.WAKE, seen);
        } else {
          const left = timeout.deadline - performance.now();
          if (left <= 0) throw new CellTimeout(timeout.seconds);
          Atomics.wait(this.words, StdinWakeWord.WAKE, seen, left);
        }
      }
    } finally {
      if (this.pending.has(id)) this.end(id);
    }
  }

  /** @internal End a request without an answer: reject it (if awaited) and tell the worker. */
  end(id: number, err?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.forgetLocally(id);
    this.options.post({ type: "input_forget", ids: [id] });
    if (err) p.settle?.reject(err);
  }

  /**
   * Known here before it is sent: this runs inside the cell's code, which a SIGINT may end at any
   * point (vm breakOnSigint); a request sent but not known would never be forgotten, and the I/O
   * worker would give it the next answer meant for another.
   */
  private register(cell: CellInput, pending: Pending): number {
    const id = this.nextId++;
    cell.ids.add(id);
    this.pending.set(id, pending);
    return id;
  }

  private send(id: number, cell: CellInput, prompt: string, password: boolean): void {
    this.options.flushOutput();
    this.options.post({ type: "input", id, parent: cell.parent, prompt, password });
  }

  private settle(answer: StdinAnswer): void {
    const p = this.pending.get(answer.id);
    if (!p) return; // forgotten (interrupted, its cell ended): a late answer is dropped
    this.forgetLocally(answer.id);
    if ("error" in answer) p.settle?.reject(new StdinUnavailable(`${p.caller}() was called, but ${answer.error}`));
    else p.settle?.resolve(answer.value);
  }

  private forgetLocally(id: number): void {
    this.pending.get(id)?.cell.ids.delete(id);
    this.pending.delete(id);
  }
}

/** A cell's stdin: refuses when its request did not allow stdin, or once the cell has ended. */
export class CellInput implements CellStdin {
  /** Its input requests not answered yet. */
  readonly ids = new Set<number>();
  /** The cell's timeout tag: when it runs out (performance.now()). */
  readonly timeout?: { seconds: number; deadline: number };
  private refusal?: string;

  constructor(
    private readonly requests: StdinRequests,
    readonly parent: Header,
    allowStdin: boolean,
    timeoutSeconds?: number,
  ) {
    if (!allowStdin) this.refusal = "this frontend does not support input requests (its execute_request has allow_stdin: false)";
    if (timeoutSeconds) this.timeout = { seconds: timeoutSeconds, deadline: performance.now() + timeoutSeconds * 1000 };
  }

  ask(prompt: string, password: boolean, caller: StdinCaller): Promise<string> {
    if (this.refusal !== undefined) return Promise.reject(new StdinUnavailable(`${caller}() was called, but ${this.refusal}`));
    return this.requests.ask(this, prompt, password, caller);
  }

  askSync(prompt: string, password: boolean, caller: StdinCaller): string {
    if (this.refusal !== undefined) throw new StdinUnavailable(`${caller}() was called, but ${this.refusal}`);
    return this.requests.askSync(this, prompt, password, caller);
  }

  /** The cell is cancelled (timeout, stop_on_error, its subshell deleted): its input() rejects with `err`. */
  cancel(err: Error): void {
    for (const id of [...this.ids]) this.requests.end(id, err);
  }

  /**
   * The cell has ended: later calls (from its timers) are refused, pending ones rejected. A
   * blocking prompt() a SIGINT terminated (breakOnSigint) is forgotten here too.
   */
  close(): void {
    this.refusal = "its cell has finished: only a running cell can ask for input";
    // (an Error costs its stack trace: only made when some request is left)
    if (this.ids.size > 0) this.cancel(new StdinUnavailable("the cell finished before the frontend answered its input request"));
  }
}
