/**
 * The module user code gets for `import { display } from "ts-async-kernel"` (or
 * "ts-async-kernel/display"), in a cell or in a file a cell imports: the running kernel's display
 * API, the very objects cells also see as globals (shell.ts takes them from here). The API keeps
 * no state of its own (output goes to the current cell through AsyncLocalStorage), so one
 * instance serves every shell of the process. Its declaration for editors is in globals_dts.ts.
 */
import { createDisplayApi } from "./display.js";

export type { DisplayCallOptions } from "./display.js";

const api = createDisplayApi();

export const display = api.display;
export const updateDisplay = api.updateDisplay;
export const clearOutput = api.clearOutput;

// Comms (src/comm): this thread's, so a `// thread` cell's comms live in its thread.
export { Comm, openComms, registerCommTarget, unregisterCommTarget } from "../comm/index.js";
export type { BufferLike, CommCloseHandler, CommMessage, CommMsgHandler, CommOpenOptions, CommSendOptions, CommTargetHandler, JsonObject } from "../comm/index.js";
