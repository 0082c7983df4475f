/**
 * The module user code gets for `import { display } from "ts-async-kernel"` (or
 * "ts-async-kernel/display"), in a cell or in a file a cell imports: the running kernel's display
 * API and stdin (`input`, `prompt`, `confirm`), the very objects cells also see as globals (shell.ts
 * takes them from here). They keep no state of their own (output and input requests go to the
 * current cell through AsyncLocalStorage), so one instance serves every shell of the process.
 * Their declaration for editors is in globals_dts.ts.
 *
 * `Deno` (deno.ts): Deno's `Deno.jupyter` API, the same object cells see as `Deno`.
 *
 * Also the comms (src/comm: `Comm`, `registerCommTarget`, ...) and the widgets (src/widgets, as
 * `widgets` and by name), both this thread's: a `// thread` cell's comms and widgets live in its
 * thread.
 */
import { createDisplayApi, showValue } from "./display.js";
import { cellError } from "./inspection.js";
import { currentOutput, routeOutput } from "./output.js";
import { useOutputRouting } from "../widgets/index.js";

export type { DisplayCallOptions } from "./display.js";
export { input, prompt, confirm, type InputOptions } from "./stdin.js";
// Deno's `Deno.jupyter` (cells also have `Deno` as a name of their own; never a global)
export { Deno, DenoApiUnavailable, type DenoDisplayOptions, type Displayable } from "./deno.js";

const api = createDisplayApi();

export const display = api.display;
export const updateDisplay = api.updateDisplay;
export const clearOutput = api.clearOutput;
/** The type of `display` (cells' declarations name it `Display` too: globals_dts.ts). */
export type Display = typeof display;

// The Caller (src/caller): call functions in other threads. One instance per thread, like the
// display API: the module is loaded once per thread, and the Caller's state is that thread's.
export { Caller, Pending, PendingCancelled, ThreadEnded, CallTimeout, untilFinished } from "../caller/index.js";
export type { Callable, CallerOptions, FunctionRef } from "../caller/index.js";
export * from "../comm/api.js";

// The Output widget captures through this thread's output routing.
useOutputRouting({ current: currentOutput, run: routeOutput, show: showValue, describeError: cellError });
export * as widgets from "../widgets/api.js";
export * from "../widgets/api.js";
