/**
 * The console on a terminal: prompts `In [n]:` and `...:` (aligned, the kernel's indent put on
 * the line where it can be edited), Tab completion through complete_request, the cells'
 * input requests (`input()`, `prompt()`, `confirm()`) answered from the terminal, a password with
 * its prompt shown and the typed text hidden (and kept out of the history), output that arrives
 * after a cell's reply printed above the prompt. Ctrl-C interrupts a running cell (or gives up an
 * input request) and drops what is typed at a prompt; Ctrl-D exits.
 */
import { clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from "node:readline";
import type { KernelClient } from "../client/kernel_client.js";
import type { Message } from "../messaging/index.js";
import type { CellLines } from "./cell_lines.js";
import { MutedOutput } from "./muted_output.js";
import { toTerminal } from "./render.js";

const CANCELLED = Symbol("cancelled");
type Line = string | undefined | typeof CANCELLED;
/** How long Tab waits for the kernel before it gives up (readline reads no key meanwhile). */
const COMPLETE_WAIT_MS = 5000;

/**
 * The lines readline reads, queued: a line that comes while nothing waits for one (pasted lines
 * while the kernel says whether a cell is complete, lines typed while a cell runs) is kept.
 */
class LineQueue {
  private readonly queued: { line: string; whileRunning: boolean }[] = [];
  private waiter?: (line: Line) => void;
  private closed = false;
  private cancelPending = false;

  constructor(
    rl: Interface,
    private readonly running: () => boolean,
  ) {
    rl.on("line", (line: string) => {
      if (this.waiter) this.settle(line);
      else this.queued.push({ line, whileRunning: this.running() });
    });
    rl.on("close", () => {
      this.closed = true;
      this.settle(undefined);
    });
  }

  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  /** A line queued while a cell ran: it was drawn amid the cell's output, not after its prompt. */
  takeQueued(): { line: string; whileRunning: boolean } | undefined {
    return this.queued.shift();
  }

  /** The next line; undefined once the input is closed (Ctrl-D), CANCELLED after cancel(). */
  next(): Promise<Line> {
    if (this.cancelPending) {
      this.cancelPending = false;
      return Promise.resolve(CANCELLED);
    }
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued.line);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Give up the line being waited for (or the next one asked for, when none is). */
  cancel(): void {
    if (this.waiter) this.settle(CANCELLED);
    else this.cancelPending = true;
  }

  private settle(line: Line): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(line);
  }
}

/** Code-point length: the protocol's cursor positions count code points, JavaScript's strings UTF-16 units. */
const codePoints = (s: string) => [...s].length;

export async function runInteractive(client: KernelClient, cells: CellLines, banner: string): Promise<number> {
  const output = new MutedOutput(process.stdout);
  let running = false;
  /** An input request is being answered (not a cell's line). */
  let asking = false;
  let hideFromHistory = false;
  let currentPrompt = "";

  const complete = async (line: string): Promise<[string[], string]> => {
    if (running || asking) return [[], line];
    // Tab where nothing is typed yet indents.
    if (!line.trim()) return [[`${line}  `], line];
    const before = cells.pending.length ? `${cells.pending.join("\n")}\n` : "";
    const code = before + line;
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      client.request("complete_request", { code, cursor_pos: codePoints(code) }),
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), COMPLETE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    const c = answer?.reply.content as { status?: string; matches?: unknown; cursor_start?: unknown } | undefined;
    if (c?.status !== "ok" || !Array.isArray(c.matches) || typeof c.cursor_start !== "number") return [[], line];
    const start = c.cursor_start - codePoints(before);
    if (start < 0) return [[], line];
    const typed = [...line].slice(start).join("");
    // The kernel may answer with every name in scope (the language service's list); readline
    // lists what it is given, so only those that go on from what is typed.
    const matches = [...new Set(c.matches.filter((m): m is string => typeof m === "string" && m.startsWith(typed)))];
    return [matches, typed];
  };

  const rl = createInterface({
    input: process.stdin,
    output,
    terminal: true,
    historySize: 1000,
    tabSize: 2,
    completer: (line: string, callback: (err: null, result: [string[], string]) => void) => {
      complete(line).then(
        (result) => callback(null, result),
        () => callback(null, [[], line]),
      );
    },
  });
  const lines = new LineQueue(rl, () => running);
  // A password must not come back with the Up key.
  rl.on("history", (history: string[]) => {
    if (hideFromHistory) history.shift();
  });

  /** Show `prompt` (and `indent`, editable, on the line) and read a line. */
  const ask = async (prompt: string, indent = ""): Promise<Line> => {
    currentPrompt = prompt;
    rl.setPrompt(prompt);
    const queued = lines.takeQueued();
    if (queued) {
      // Typed while a cell ran: shown again after its prompt, so the transcript reads in order.
      if (queued.whileRunning) process.stdout.write(`${prompt}${queued.line}\n`);
      return queued.line;
    }
    rl.prompt(true);
    if (indent) rl.write(indent);
    return lines.next();
  };

  /** Output that arrives while the user is at a prompt goes above it; the prompt is drawn again below. */
  const print = (msg: Message) => {
    const t = toTerminal(msg);
    if (!t?.text) return;
    if (running || !lines.waiting) {
      process[t.stream].write(t.text);
      return;
    }
    const rows = rl.getCursorPos().rows;
    if (rows) moveCursor(process.stdout, 0, -rows);
    cursorTo(process.stdout, 0);
    clearScreenDown(process.stdout);
    process[t.stream].write(t.text.endsWith("\n") ? t.text : `${t.text}\n`);
    // readline would move up by the rows of its last drawing, now cleared.
    (rl as unknown as { prevRows: number }).prevRows = 0;
    if (output.muted) process.stdout.write(currentPrompt);
    else rl.prompt(true);
  };
  client.onLateIopub = print;

  /** The input request being answered, settled once its prompt is done with. */
  let answering: Promise<unknown> = Promise.resolve();
  const answer = (prompt: string, password: boolean): Promise<string> => {
    const answered = readAnswer(prompt, password);
    answering = answered.catch(() => {});
    return answered;
  };
  const readAnswer = async (prompt: string, password: boolean): Promise<string> => {
    asking = true;
    hideFromHistory = password;
    rl.setPrompt(prompt);
    currentPrompt = prompt;
    const queued = lines.takeQueued();
    let line: Line;
    if (queued) line = queued.line;
    else {
      rl.prompt(true);
      // After the prompt is drawn: readline's echo of the keys (and its redraws) stay hidden.
      output.muted = password;
      line = await lines.next();
    }
    if (output.muted || line === CANCELLED) process.stdout.write("\n");
    output.muted = false;
    asking = false;
    hideFromHistory = false;
    if (typeof line !== "string") throw new Error("no answer");
    return line;
  };

  rl.on("SIGINT", () => {
    if (running) {
      if (asking) lines.cancel();
      void client.request("interrupt_request", {}, "control");
      return;
    }
    // At a prompt: drop the cell being typed, as jupyter console does.
    output.muted = true;
    rl.write(null, { ctrl: true, name: "e" });
    rl.write(null, { ctrl: true, name: "u" });
    output.muted = false;
    process.stdout.write("^C\n");
    lines.cancel();
  });

  process.stdout.write(`${banner}\nCtrl-C interrupts, Ctrl-D exits, Tab completes.\n`);
  try {
    for (let n = 1; ; ) {
      const inPrompt = `In [${n}]: `;
      // Continuation prompts are as wide as the In prompt; the indent is on the line, not in the prompt.
      const morePrompt = "...: ".padStart(inPrompt.length);
      let prompt = inPrompt;
      let indent = "";
      let code: string | undefined;
      while (code === undefined) {
        const line = await ask(prompt, indent);
        if (line === undefined) return 0;
        if (line === CANCELLED) {
          cells.discard();
          [prompt, indent] = [inPrompt, ""];
          continue;
        }
        const step = await cells.add(line);
        if (step.kind === "cell") code = step.code;
        else if (step.kind === "more") [prompt, indent] = [morePrompt, step.indent];
        else [prompt, indent] = [inPrompt, ""];
      }
      running = true;
      let count: unknown;
      try {
        const { reply } = await client.execute(code, { onIopub: print, onInput: answer });
        count = (reply.content as { execution_count?: unknown }).execution_count;
      } finally {
        running = false;
      }
      // The cell ended without its answer (interrupted elsewhere, timed out): stop asking.
      if (asking) lines.cancel();
      await answering;
      // Prompts follow the kernel's execution count, as in jupyter console.
      n = typeof count === "number" ? count + 1 : n + 1;
    }
  } finally {
    rl.close();
  }
}
