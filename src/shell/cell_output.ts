/**
 * What the kernel gives each execution to emit through (output.ts routes a cell's output to it
 * through the cell's scope; stdin.ts asks through its `stdin`). Types only: the scope, the
 * routing and the stdin functions all use them without importing one another.
 */
import type { CommOutbound } from "../comm/protocol.js";

export type MimeBundle = Record<string, unknown>;

export interface DisplayOptions {
  metadata?: Record<string, unknown>;
  /** `transient.display_id`: lets a later update replace this output. */
  displayId?: string;
  update?: boolean;
}

export interface CellOutput {
  stream(name: "stdout" | "stderr", text: string): void;
  display(data: MimeBundle, options?: DisplayOptions): void;
  clearOutput(wait: boolean): void;
  /** Where the cell's input(), prompt() and confirm() ask (stdin.ts); none: they fail and say so. */
  stdin?: CellStdin;
  /**
   * A comm message sent by code running for this request (a cell, or the handler of a frontend
   * comm message): published with the request as parent, also when the request is silent.
   */
  comm?(msg: CommOutbound): void;
}

/** The cell-facing function that asked: named in errors. */
export type StdinCaller = "input" | "prompt" | "confirm";

/** How a cell asks its frontend for a line of input; the kernel gives each running cell one. */
export interface CellStdin {
  /** Send an input_request; resolves with the frontend's answer. */
  ask(prompt: string, password: boolean, caller: StdinCaller): Promise<string>;
  /** The same, blocking this thread until the answer comes (or an interrupt). */
  askSync(prompt: string, password: boolean, caller: StdinCaller): string;
}
