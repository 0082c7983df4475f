/**
 * stdin for cells: `await input(prompt, {password})`, and the synchronous, browser-style
 * `prompt(message, default)` and `confirm(message)` (an empty answer to `prompt` gives the
 * default). The frontend is asked exactly what the cell wrote, as ipykernel's input() does: only a
 * default (`[Bob]`) or confirm's `[y/N]` is added, before the message's trailing whitespace.
 *
 * The shell knows no sockets: each running cell's `CellOutput` (output.ts) carries the `CellStdin`
 * the kernel made for it, found through AsyncLocalStorage like the cell's output, so a timer or
 * promise of a cell still asks as that cell. Where there is none (a thread cell, a frontend that
 * sent `allow_stdin: false`, a cell that has finished) the functions fail with `StdinUnavailable`,
 * which says why.
 */
import type { CellStdin, StdinCaller } from "./cell_output.js";
import { currentOutput } from "./output.js";

export type { CellStdin, StdinCaller } from "./cell_output.js";

export interface InputOptions {
  /** The frontend hides what is typed (a password field). */
  password?: boolean;
}

/** input(), prompt() or confirm() where no input can be asked for; the message says why. */
export class StdinUnavailable extends Error {
  override name = "StdinUnavailable";
}

/** A CellStdin that refuses: `reason` completes "<caller>() was called, but ...". */
export function refusingStdin(reason: string): CellStdin {
  const refuse = (caller: StdinCaller): never => {
    throw new StdinUnavailable(`${caller}() was called, but ${reason}`);
  };
  return { ask: async (_p, _pw, caller) => refuse(caller), askSync: (_p, _pw, caller) => refuse(caller) };
}

const outsideCells = refusingStdin("no cell is running that could ask for input");
const noChannel = refusingStdin("this cell has no way to ask its frontend for input");

function stdin(): CellStdin {
  const output = currentOutput();
  return output ? (output.stdin ?? noChannel) : outsideCells;
}

/** Ask the frontend for a line of input (an input_request); resolves with the answer. */
export async function input(prompt: string = "", options: InputOptions = {}): Promise<string> {
  return stdin().ask(String(prompt), options?.password === true, "input");
}

/**
 * Ask for a line of input and wait for it, blocking the kernel's main thread (as the browser's
 * `prompt` blocks the page). An empty answer gives `defaultValue` when there is one.
 */
export function prompt(message: string = "", defaultValue?: string): string {
  const text = String(message);
  const shown = defaultValue === undefined || defaultValue === "" ? text : withHint(text, `[${defaultValue}]`);
  const answer = stdin().askSync(shown, false, "prompt");
  return answer === "" && defaultValue !== undefined ? String(defaultValue) : answer;
}

/** Ask a yes/no question and wait for it: true for "y" or "yes" (any case), false otherwise. */
export function confirm(message: string = ""): boolean {
  const answer = stdin().askSync(withHint(String(message), "[y/N]"), false, "confirm");
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** `message` with `hint` after its text and before its trailing whitespace: `"Sure? "` → `"Sure? [y/N] "`. */
function withHint(message: string, hint: string): string {
  const text = message.trimEnd();
  return text === "" ? hint + message : `${text} ${hint}${message.slice(text.length)}`;
}
