/**
 * The language-service thread: TypeScript's language service over the notebook (service.ts).
 * Loading the compiler and the lib files takes a second or so: it happens here, off the kernel's
 * start-up path and off the main thread, and a warm-up query runs before the first real one.
 */
import { parentPort, workerData } from "node:worker_threads";
import { setInterval } from "node:timers";
import { CellLogReader } from "./cell_log.js";
import type { FromMain, LanguageWorkerData, QueryReply, QueryRequest, ToIoFromLanguage, ToMainFromLanguage } from "./protocol.js";
import { NotebookService } from "./service.js";

const data = workerData as LanguageWorkerData;
const main = parentPort!;
const service = new NotebookService({
  cwd: data.cwd,
  language: data.language,
  globalsDts: data.globalsDts,
  modulePaths: data.modulePaths,
  decorators: data.decorators,
});
const cellLog = new CellLogReader(data.cellLog);
/** While idle the log is read now and then: its room is freed, and the next answer is quicker. */
const IDLE_READ_MS = 250;

/** The notebook catches up with the cells that ran (before every answer). */
function catchUp(posted?: { seq: number; code: string }[]): void {
  for (const code of cellLog.take(posted)) service.addCell(code);
}
setInterval(() => catchUp(), IDLE_READ_MS).unref();

function answer(req: QueryRequest): QueryReply {
  try {
    if (req.type === "complete") {
      const c = service.complete(req.code, req.cursor);
      return { id: req.id, content: c.matches.length > 0 ? c : null };
    }
    const i = service.inspect(req.code, req.cursor, req.detail);
    // An `any` says nothing the runtime could not say better.
    const plain = i.data["text/plain"] ?? "";
    return { id: req.id, content: i.found && !/^[^\n]*: any$/m.test(plain.split("\n")[0] ?? "") ? i : null };
  } catch {
    return { id: req.id, content: null };
  }
}

data.io.on("message", (req: QueryRequest) => {
  catchUp();
  data.io.postMessage(answer(req) satisfies ToIoFromLanguage);
});

main.on("message", (m: FromMain) => {
  if (m.type === "cell") {
    catchUp([{ seq: m.seq, code: m.code }]);
  } else if (m.type === "check") {
    catchUp();
    let lines: string[];
    try {
      lines = service.diagnostics(m.code, m.cellName);
    } catch (err) {
      lines = [`type check failed: ${(err as Error).message}`];
    }
    main.postMessage({ type: "diagnostics", id: m.id, lines } satisfies ToMainFromLanguage);
  } else if (m.type === "query") {
    catchUp();
    main.postMessage({ type: "answer", reply: answer(m.request) } satisfies ToMainFromLanguage);
  }
});

// Warm-up: load the libs and @types/node now, not on the user's first Tab. Until the I/O worker
// hears it is over, it has the main thread's runtime introspection answer (language_route.ts).
service.complete('"".', 3);
service.inspect("process", 7, 0);
data.io.postMessage({ warm: true } satisfies ToIoFromLanguage);
main.postMessage({ type: "ready" } satisfies ToMainFromLanguage);
