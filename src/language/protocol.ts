/**
 * Messages of the language-service worker. It talks to two threads: the I/O worker sends it
 * completion and inspection requests straight from the shell socket (so they are answered even
 * while the main thread runs a cell), and the main thread writes the cells that run into a
 * shared log (cell_log.ts) and asks for type diagnostics.
 */
import type { MessagePort } from "node:worker_threads";
import type { Completion, Inspection, Language } from "./service.js";

export interface LanguageWorkerData {
  cwd: string;
  language: Language;
  globalsDts: string;
  /** Module names → declaration files (compiler option `paths`): the kernel's own modules. */
  modulePaths?: Record<string, string[]>;
  /** The notebook's decorator settings (its tsconfig.json), as the cells are compiled with. */
  decorators?: { experimentalDecorators?: boolean; emitDecoratorMetadata?: boolean };
  /** The I/O worker's end of the channel (transferred). */
  io: MessagePort;
  /** The cells that run, written by the main thread (cell_log.ts). */
  cellLog: SharedArrayBuffer;
}

/** I/O worker → language worker. */
export type QueryRequest =
  | { type: "complete"; id: string; code: string; cursor: number }
  | { type: "inspect"; id: string; code: string; cursor: number; detail: number };

/**
 * Language worker → I/O worker. `content` null: the types say nothing useful here (e.g. a value
 * typed `any`); the main thread's runtime introspection answers instead.
 */
export interface QueryReply {
  id: string;
  content: Completion | Inspection | null;
}

/** Language worker → I/O worker: a reply, or the news that the warm-up is over. */
export type ToIoFromLanguage = QueryReply | { warm: true };

/** Main thread → language worker. */
export type FromMain =
  /** A cell the cell log had no room for, with its place in the sequence. */
  | { type: "cell"; seq: number; code: string }
  | { type: "check"; id: number; code: string; cellName: string }
  /** A query of the main thread's own (the pager, `?name`), answered as the I/O worker's are. */
  | { type: "query"; request: QueryRequest };

/** Language worker → main thread. */
export type ToMainFromLanguage =
  | { type: "diagnostics"; id: number; lines: string[] }
  | { type: "answer"; reply: QueryReply }
  | { type: "ready" };
