/**
 * Each Caller thread's attention memory (src/shell/attention.ts), which the main thread raises to
 * stop the thread's cell code (thread cells, comm handlers) while that thread may be stuck in it.
 * The thread makes it (thread_shell.ts); the main thread asks for it once per thread.
 */
import type { Callable, Caller } from "../../caller/index.js";

const ATTENTION = { module: new URL("./thread_shell.js", import.meta.url).href, export: "attentionMemory" } as Callable<
  [],
  SharedArrayBuffer
>;

/** By Caller object: a thread's Caller is the same object for as long as the thread lives. */
const memories = new WeakMap<Caller, Promise<Int32Array>>();

export function attentionOf(caller: Caller): Promise<Int32Array> {
  let memory = memories.get(caller);
  if (!memory) {
    memory = caller.call(ATTENTION).then((buffer) => new Int32Array(buffer));
    memories.set(caller, memory);
    memory.catch(() => memories.delete(caller));
  }
  return memory;
}
