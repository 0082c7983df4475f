/**
 * The target side of call channels: calls that come from other threads run on this thread's
 * executor, their output goes back through an OutputRelay (when the environment captures it),
 * then their outcome. When the calling thread ends, its calls here are cancelled.
 */
import process from "node:process";
import type { MessagePort } from "node:worker_threads";
import { threadEnvironment } from "./environment.js";
import { errorData, PendingCancelled, rebuildError, ThreadEnded, type ErrorData } from "./errors.js";
import type { Executor } from "./executor.js";
import { refKey, refLabel } from "./functions.js";
import { OutputRelay } from "./output_relay.js";
import { deferred, whenCancelled, type Pending } from "./pending.js";
import type { FromTarget, ThreadInfo, ToTarget } from "./protocol.js";

export function threadLabel(info: Pick<ThreadInfo, "threadId" | "name">): string {
  return info.name !== undefined ? `thread "${info.name}"` : `thread ${info.threadId}`;
}

export function serve(executor: Executor, port: MessagePort, peer: ThreadInfo): void {
  const relay = new OutputRelay(port);
  const calls = new Map<number, Pending<unknown>>();
  const env = () => threadEnvironment();

  const settle = (id: number, outcome: { ok: true; value: unknown } | { ok: false; error: ErrorData }): void => {
    calls.delete(id);
    relay.flush();
    try {
      port.postMessage({ type: "settled", id, ...outcome } satisfies FromTarget);
    } catch (err) {
      const message = `The result could not be sent back to the ${threadLabel(peer)}: ${String((err as Error | null)?.message ?? err)}`;
      const error: ErrorData = { kind: "error", name: "DataCloneError", message, stack: `DataCloneError: ${message}` };
      port.postMessage({ type: "settled", id, ok: false, error } satisfies FromTarget);
    }
  };

  port.on("message", (m: ToTarget) => {
    switch (m.type) {
      case "call": {
        const d = deferred<unknown>();
        calls.set(m.id, d.pending);
        const key = refKey(m.fn);
        executor.submit(
          {
            deferred: d,
            fn: m.fn,
            args: m.args,
            within: (run) => {
              const runCall = env().runCall;
              if (!runCall) return run();
              return runCall(run, { emit: (event) => relay.add(m.id, event), whenCancelled: (hook) => whenCancelled(d.pending, hook) });
            },
            logFailure: (err) => process.stderr.write(`A queued call of ${refLabel(m.fn)} failed: ${stackOf(err)}\n`),
          },
          m.mode,
          m.delay,
          key,
        );
        d.pending.then(
          (value) => settle(m.id, { ok: true, value }),
          (err: unknown) => settle(m.id, { ok: false, error: errorData(err, env().describeError) }),
        );
        break;
      }
      case "cancel": {
        const reason = rebuildError(m.reason);
        calls.get(m.id)?.cancel(typeof reason === "object" && reason !== null ? (reason as Error) : new PendingCancelled(String(reason)));
        break;
      }
      case "queue-close":
        executor.closeQueue(m.key, new PendingCancelled("The queue of the function was closed"));
        break;
    }
  });
  port.once("close", () => {
    for (const pending of calls.values()) pending.cancel(new ThreadEnded(`The ${threadLabel(peer)}, which made the call, ended`));
  });
  // Serving keeps no thread alive: a caller thread lives on its control channel, the root as long as its program does.
  port.unref();
}

/** An error as text for a log: its stack (as the environment shows it), or the thrown value. */
export function stackOf(err: unknown): string {
  const d = errorData(err, threadEnvironment().describeError);
  return d.kind === "error" ? d.stack : String(d.value);
}
