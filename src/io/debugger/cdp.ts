/**
 * The I/O worker's inspector session to the main thread (`Session.connectToMainThread()`, Node
 * ≥ 12.11): Chrome DevTools Protocol requests as promises, events by name. When a breakpoint
 * pauses the main thread, Node keeps it in a loop that serves this session's requests only, so
 * the worker can inspect and resume it while its own sockets go on answering.
 *
 * Made only when the frontend attaches a debugger: until then the main thread has no session
 * but its own (the evaluator's REPL mode), and cells run exactly as without a debugger.
 */
import { Session } from "node:inspector";

/** What the adapter needs of a CDP session (tests of the adapter can give their own). */
export interface Cdp {
  post<T = Record<string, unknown>>(method: string, params?: object): Promise<T>;
  on(event: string, listener: (params: Record<string, unknown>) => void): void;
  disconnect(): void;
}

export function connectToMainThread(): Cdp {
  const session = new Session();
  session.connectToMainThread();
  return {
    post<T>(method: string, params?: object): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        // the session's overloads are by method name; this takes any
        (session.post as (m: string, p: object | undefined, cb: (err: Error | null, result?: unknown) => void) => void)(
          method,
          params,
          (err, result) => (err ? reject(err) : resolve(result as T)),
        );
      });
    },
    on(event, listener) {
      session.on(event, (message: { params: Record<string, unknown> }) => listener(message.params));
    },
    disconnect() {
      session.disconnect();
    },
  };
}
