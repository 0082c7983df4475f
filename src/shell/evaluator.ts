/**
 * Runs transformed cells (transform/rewrite.ts) in this thread's realm.
 *
 * - A `script` cell is a `vm.Script`, compiled once per source and kept, run with
 *   `runInThisContext`; its completion value is the cell's result.
 * - A `repl` cell is evaluated in V8's REPL mode, `Runtime.evaluate` with `replMode: true`
 *   through a `node:inspector` session of this thread (what Chrome's console and Deno use): its
 *   `let`, `const` and `class` declarations become global-scope bindings that a later evaluation
 *   may declare again, and its top-level `await` works. The session evaluates synchronously,
 *   inside `post`; its reply comes once the script's promise has settled (the inspector awaits
 *   it), so the reply is the cell's completion. What a REPL script throws reaches us as a
 *   remote object; the real value is fetched with `Runtime.callFunctionOn`, then released.
 *
 * Both run inside a `vm` evaluation with `breakOnSigint` (and the cell's `timeout`), as before:
 * V8's termination of a busy loop in a package's code unwinds through the inspector's evaluation
 * to that `vm` boundary, which turns it into ERR_SCRIPT_EXECUTION_INTERRUPTED (or _TIMEOUT).
 */
import vm from "node:vm";
import { Session } from "node:inspector";

/** What a REPL script threw, and where V8 refused to compile it (a syntax error), if it did. */
export class ReplError {
  constructor(
    readonly value: unknown,
    /** Set for a script V8 did not compile: 1-based line, 0-based column in the script. */
    readonly compile?: { line: number; column: number },
  ) {}
}

/** V8's error for a `script` cell it did not compile. */
export class ScriptCompileError {
  constructor(readonly error: unknown) {}
}

export interface RunOptions {
  breakOnSigint: boolean;
  /** Milliseconds the synchronous part may run. */
  timeout?: number;
}

interface RemoteObject {
  type: string;
  subtype?: string;
  value?: unknown;
  unserializableValue?: string;
  objectId?: string;
}

interface EvaluateReply {
  result?: RemoteObject;
  exceptionDetails?: { exception?: RemoteObject; scriptId?: string; lineNumber: number; columnNumber: number };
}

let realmEvaluator: Evaluator | undefined;

/** Compiled scripts kept for running again (a notebook re-run, a cell run in a loop by a client). */
const SCRIPT_CACHE = 64;

export class Evaluator {
  /** Compiled `script` cells by file name, with the code compiled (the same cell may transform otherwise later). */
  private readonly scripts = new Map<string, { code: string; script: vm.Script }>();
  private session: Session | undefined;
  /** The call the `trampoline` script makes: set just before it runs. */
  private pending: (() => void) | undefined;
  /** Runs `pending` inside a vm evaluation (breakOnSigint, timeout). */
  private readonly trampoline: vm.Script;
  private groups = 0;
  /** The value a `callFunctionOn` hands back (see `remoteValue`). */
  private handed: unknown;

  /** The global through which scripts reach this evaluator (one per realm). */
  readonly globalName = "__tsak_evaluator";

  constructor() {
    Object.defineProperty(globalThis, this.globalName, { value: this, writable: true, configurable: true, enumerable: false });
    this.trampoline = new vm.Script(`${this.globalName}.enter()`, { filename: "<ts-async-kernel>" });
  }

  /** The evaluator of this thread's realm. */
  static get realm(): Evaluator {
    return (realmEvaluator ??= new Evaluator());
  }

  /** Called by the trampoline script. */
  enter(): void {
    const call = this.pending;
    this.pending = undefined;
    call?.();
  }

  /** Set by the first statement of a REPL script (rewrite.ts BEGIN): V8 compiled it. */
  private began = false;
  /** `__tsak_b()`, the first statement of every REPL script. */
  readonly begin = (): void => {
    this.began = true;
  };

  /** Called by `callFunctionOn` (see `remoteValue`). */
  hand(value: unknown): void {
    this.handed = value;
  }

  /**
   * Run a `script` cell; returns its completion value. Throws what it throws, or a ScriptCompileError
   * around V8's syntax error for a script it did not compile.
   */
  runScript(code: string, filename: string, options: RunOptions): unknown {
    // the same cell's code changes when the notebook's names do, or a debugger attaches
    let entry = this.scripts.get(filename);
    if (entry === undefined || entry.code !== code) {
      try {
        entry = { code, script: new vm.Script(code, { filename }) };
      } catch (err) {
        throw new ScriptCompileError(err);
      }
      if (!this.scripts.has(filename) && this.scripts.size >= SCRIPT_CACHE) this.scripts.delete(this.scripts.keys().next().value!);
    }
    this.scripts.delete(filename);
    this.scripts.set(filename, entry);
    return entry.script.runInThisContext(options);
  }

  /**
   * Run a `repl` cell; settles when its script's promise does. Rejects with a ReplError for what
   * the script threw (or with a vm error, ERR_SCRIPT_EXECUTION_INTERRUPTED / _TIMEOUT, when its
   * synchronous part was stopped).
   */
  runRepl(code: string, filename: string, options: RunOptions): Promise<void> {
    const session = this.connect();
    const objectGroup = `cell-${++this.groups}`;
    return new Promise<void>((resolve, reject) => {
      const params = { expression: `${code}\n//# sourceURL=${filename}`, replMode: true, objectGroup };
      // V8 evaluates inside `post`; the reply comes later, once the script's promise settled
      let posting = false;
      let compiled = false;
      const call = () => {
        this.began = false;
        posting = true;
        session.post("Runtime.evaluate", params, (err, reply) => {
          if (err) return reject(err);
          const details = (reply as EvaluateReply).exceptionDetails;
          if (details === undefined) return resolve();
          const ran = posting ? this.began : compiled;
          const value = this.remoteValue(details.exception, objectGroup);
          reject(new ReplError(value, ran ? undefined : { line: details.lineNumber + 1, column: details.columnNumber }));
        });
        posting = false;
        compiled = this.began;
      };
      if (!options.breakOnSigint && options.timeout === undefined) return call();
      this.pending = call;
      try {
        this.trampoline.runInThisContext(options);
      } catch (err) {
        this.pending = undefined;
        reject(err);
      }
    });
  }

  /** The value behind a remote object (its group released after). */
  private remoteValue(remote: RemoteObject | undefined, objectGroup: string): unknown {
    if (remote === undefined) return undefined;
    if (remote.objectId === undefined) {
      if (remote.unserializableValue !== undefined) return unserializable(remote.unserializableValue);
      return remote.type === "undefined" ? undefined : remote.value;
    }
    const session = this.connect();
    this.handed = undefined;
    session.post("Runtime.callFunctionOn", {
      objectId: remote.objectId,
      functionDeclaration: `function () { ${this.globalName}.hand(this) }`,
      silent: true,
    });
    const value = this.handed;
    this.handed = undefined;
    session.post("Runtime.releaseObjectGroup", { objectGroup });
    return value;
  }

  private connect(): Session {
    if (this.session === undefined) {
      this.session = new Session();
      this.session.connect();
    }
    return this.session;
  }

  /** Ends the inspector session (a thread that ends disconnects it anyway). */
  close(): void {
    this.session?.disconnect();
    this.session = undefined;
  }
}

function unserializable(text: string): unknown {
  if (text.endsWith("n")) return BigInt(text.slice(0, -1));
  if (text === "-0") return -0;
  return Number(text); // NaN, Infinity, -Infinity
}
