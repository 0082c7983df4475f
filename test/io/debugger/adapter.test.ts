/**
 * The debug adapter's side that needs no paused thread (src/io/debugger/adapter.ts): what it
 * answers to good and bad DAP requests, where cells' files go, and which CDP breakpoints it sets
 * for them. The CDP session is faked (it records what the adapter asks); the whole path, with a
 * real paused main thread, is pyproject-test-harness/test_debugger.py.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DebugAdapter } from "../../../src/io/debugger/adapter.js";
import type { Cdp } from "../../../src/io/debugger/cdp.js";
import { CellFiles, HASH_SEED } from "../../../src/io/debugger/cell_files.js";
import { murmur2 } from "../../../src/io/debugger/murmur2.js";
import { newAttention } from "../../../src/shared_memory/layout.js";
import { scriptName } from "../../../src/shell/script_name.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function adapter() {
  const dir = mkdtempSync(join(tmpdir(), "dap-test-"));
  dirs.push(dir);
  const posted: Array<[string, Record<string, unknown> | undefined]> = [];
  const events: string[] = [];
  let breakpoints = 0;
  const cdp: Cdp = {
    post: async <T>(method: string, params?: object) => {
      posted.push([method, params as Record<string, unknown> | undefined]);
      return (method === "Debugger.setBreakpointByUrl" ? { breakpointId: `bp${++breakpoints}`, locations: [] } : {}) as T;
    },
    on: () => {},
    disconnect: () => posted.push(["disconnect", undefined]),
  };
  const files = new CellFiles(".ts", join(dir, "cells"));
  const a = new DebugAdapter({
    files,
    event: (e) => events.push(e.event),
    connect: () => cdp,
    kernelRoot: "/kernel",
    attention: newAttention(),
    log: { warn: () => {} },
  });
  let seq = 0;
  const request = (command: string, args?: object) =>
    a.request({ type: "request", seq: ++seq, command, ...(args ? { arguments: args } : {}) }) as Promise<{
      success: boolean;
      message?: string;
      body?: Record<string, unknown>;
      request_seq: number;
      command: string;
    }>;
  return { a, request, posted, events, files };
}

describe("DebugAdapter (requests that need no paused thread)", () => {
  it("refuses what is not a DAP request, saying why, and answers in DAP's shape", async () => {
    const { a } = adapter();
    for (const [content, says] of [
      [null, "must be a DAP request object"],
      [[1, 2], "must be a DAP request object"],
      [{ seq: 4 }, "has no command"],
      [{ seq: 5, command: 3 }, "has no command"],
      [{ seq: 6, command: "initialize", arguments: "x" }, "initialize: arguments must be an object"],
    ] as const) {
      const r = (await a.request(content)) as { success: boolean; message: string; type: string; request_seq: number };
      expect(r).toMatchObject({ type: "response", success: false });
      expect(r.message).toContain(says);
    }
    expect(await a.request({ seq: 7, command: "nope" })).toMatchObject({ request_seq: 7, success: false, command: "nope" });
  });

  it("answers debugInfo and source before initialize, and nothing else", async () => {
    const { request, files } = adapter();
    expect((await request("stackTrace", { threadId: 1 })).message).toBe("stackTrace: the debugger is not started (send initialize first)");
    expect((await request("dumpCell", { code: "1" })).success).toBe(false);
    const info = await request("debugInfo");
    expect(info.body).toEqual({
      isStarted: false,
      hashMethod: "Murmur2",
      hashSeed: HASH_SEED,
      tmpFilePrefix: files.prefix,
      tmpFileSuffix: ".ts",
      breakpoints: [],
      stoppedThreads: [],
      richRendering: true,
      exceptionPaths: [],
      copyToGlobals: true,
    });
    const init = await request("initialize", { clientID: "jupyterlab" });
    expect(init.body).toMatchObject({
      supportsConfigurationDoneRequest: true,
      exceptionBreakpointFilters: [{ filter: "raised" }, { filter: "uncaught" }],
    });
    expect((await request("debugInfo")).body).toMatchObject({ isStarted: true });
  });

  it("dumpCell writes the cell's text where JupyterLab looks for it", async () => {
    const { request, files } = adapter();
    await request("initialize");
    const code = "const é: string = '€';\nconsole.log(é)";
    const { body } = await request("dumpCell", { code });
    expect(body!["sourcePath"]).toBe(`${files.prefix}${murmur2(code, HASH_SEED)}.ts`);
    expect(readFileSync(body!["sourcePath"] as string, "utf8")).toBe(code);
  });

  it("sets breakpoints on the cell's script URL by its lines, at attach for those set before", async () => {
    const { request, posted, events } = adapter();
    await request("initialize");
    const code = "let a = 1;\nlet b = 2;\nb";
    const path = (await request("dumpCell", { code })).body!["sourcePath"] as string;
    const before = await request("setBreakpoints", { source: { path }, breakpoints: [{ line: 2 }, { line: 4 }] });
    expect(before.body!["breakpoints"]).toMatchObject([
      { line: 2, verified: true, source: { path } },
      { line: 4, verified: false, message: "line 4 is past the end of the cell (3 lines)" },
    ]);
    expect(posted).toEqual([]);
    await request("attach");
    const url = scriptName(code);
    expect(posted.map(([m]) => m)).toEqual([
      "Debugger.enable",
      "Debugger.setBlackboxPatterns",
      "Debugger.setInstrumentationBreakpoint",
      "Debugger.setBreakpointByUrl",
      "Debugger.setPauseOnExceptions",
      "Debugger.setAsyncCallStackDepth",
      // the shell is told (loops keep the notebook's variables current while a debugger looks)
      "Runtime.evaluate",
      // the Caller threads, through the main thread's session
      "NodeWorker.enable",
    ]);
    expect(posted[3]![1]).toEqual({ url, lineNumber: 1 });
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(["initialized"]);
    // set again: the old one goes, the new ones come (a condition passed on)
    posted.length = 0;
    await request("setBreakpoints", { source: { path }, breakpoints: [{ line: 1 }, { line: 3, condition: "b > 1" }] });
    expect(posted).toEqual([
      ["Debugger.removeBreakpoint", { breakpointId: "bp1" }],
      ["Debugger.setBreakpointByUrl", { url, lineNumber: 0 }],
      ["Debugger.setBreakpointByUrl", { url, lineNumber: 2, condition: "b > 1" }],
    ]);
    expect((await request("debugInfo")).body!["breakpoints"]).toEqual([
      { source: path, breakpoints: [{ line: 1 }, { line: 3, condition: "b > 1" }] },
    ]);
  });

  it("refuses breakpoints in a source that does not exist, and bad breakpoint lines", async () => {
    const { request } = adapter();
    await request("initialize");
    expect((await request("setBreakpoints", { source: { path: "/no/such.ts" }, breakpoints: [{ line: 1 }] })).message).toContain(
      "no such source: /no/such.ts",
    );
    const path = (await request("dumpCell", { code: "1" })).body!["sourcePath"];
    expect((await request("setBreakpoints", { source: { path }, breakpoints: [{ line: 0 }] })).message).toBe(
      "setBreakpoints: breakpoints[0].line must be a positive integer",
    );
    expect((await request("setBreakpoints", { source: {} })).message).toBe("setBreakpoints: arguments.source.path must be a string");
  });

  it("disconnect resumes, lets go of the main thread and forgets the breakpoints", async () => {
    const { request, posted } = adapter();
    await request("initialize");
    await request("attach");
    const path = (await request("dumpCell", { code: "1\n2" })).body!["sourcePath"];
    await request("setBreakpoints", { source: { path }, breakpoints: [{ line: 2 }] });
    posted.length = 0;
    expect((await request("disconnect", { restart: false, terminateDebuggee: false })).success).toBe(true);
    expect(posted.map(([m]) => m)).toEqual([
      "Runtime.evaluate",
      "NodeWorker.disable",
      "Debugger.setSkipAllPauses",
      "Debugger.resume",
      "Debugger.disable",
      "disconnect",
    ]);
    expect(posted[0]![1]).toMatchObject({ expression: expect.stringContaining('"__tsak_debugging", { value: false') });
    expect((await request("debugInfo")).body).toMatchObject({ isStarted: false, breakpoints: [] });
  });
});

describe("DebugAdapter (Caller threads, through NodeWorker)", () => {
  /** A main-thread session whose NodeWorker domain serves fake workers (each answers {} and records requests). */
  function withWorkers() {
    const dir = mkdtempSync(join(tmpdir(), "dap-test-"));
    dirs.push(dir);
    const listeners = new Map<string, Array<(p: Record<string, unknown>) => void>>();
    const fire = (event: string, params: Record<string, unknown>) => {
      for (const l of listeners.get(event) ?? []) l(params);
    };
    const toWorker: Array<[string, string]> = [];
    const cdp: Cdp = {
      post: async <T>(method: string, params?: object) => {
        const p = params as Record<string, unknown> | undefined;
        if (method === "NodeWorker.sendMessageToWorker") {
          const m = JSON.parse(p!["message"] as string) as { id: number; method: string };
          toWorker.push([p!["sessionId"] as string, m.method]);
          const result = m.method === "Debugger.setBreakpointByUrl" ? { breakpointId: `w${m.id}` } : {};
          setImmediate(() =>
            fire("NodeWorker.receivedMessageFromWorker", { sessionId: p!["sessionId"], message: JSON.stringify({ id: m.id, result }) }),
          );
        }
        return (method === "Debugger.setBreakpointByUrl" ? { breakpointId: "m1" } : {}) as T;
      },
      on: (event, listener) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
      disconnect: () => {},
    };
    const events: Array<{ event: string; body?: unknown }> = [];
    const a = new DebugAdapter({
      files: new CellFiles(".ts", join(dir, "cells")),
      event: (e) => events.push({ event: e.event, body: e.body }),
      connect: () => cdp,
      kernelRoot: "/kernel",
      attention: newAttention(),
      log: { warn: () => {} },
    });
    let seq = 0;
    const request = (command: string, args?: object) =>
      a.request({ type: "request", seq: ++seq, command, ...(args ? { arguments: args } : {}) }) as Promise<{
        success: boolean;
        message?: string;
        body?: Record<string, unknown>;
      }>;
    /** Until each of these worker sessions has been set up (its last setting sent): no clock decides. */
    const settled = (...sessions: string[]) =>
      vi.waitFor(
        () => {
          for (const id of sessions) expect(toWorker.some(([s, m]) => s === id && m === "Debugger.setAsyncCallStackDepth")).toBe(true);
        },
        { timeout: 30_000, interval: 5 },
      );
    return { request, fire, toWorker, events, settled };
  }

  it("makes a DAP thread of each Caller thread, with the breakpoints set, and lets other workers go", async () => {
    const { request, fire, toWorker, events, settled } = withWorkers();
    await request("initialize");
    const path = (await request("dumpCell", { code: "// thread\nlet a = 1;\na" })).body!["sourcePath"];
    await request("setBreakpoints", { source: { path }, breakpoints: [{ line: 2 }] });
    await request("attach");
    // the I/O worker itself (running), then a named Caller thread that waits for the debugger
    fire("NodeWorker.attachedToWorker", { sessionId: "1", workerInfo: { title: "[worker 1]" }, waitingForDebugger: false });
    fire("NodeWorker.attachedToWorker", { sessionId: "2", workerInfo: { title: "[worker 4] caller render" }, waitingForDebugger: true });
    fire("NodeWorker.attachedToWorker", { sessionId: "3", workerInfo: { title: "[worker 5] caller" }, waitingForDebugger: false });
    await settled("2", "3");
    // the waiting thread is let run once its breakpoints are set
    await vi.waitFor(() => expect(toWorker).toContainEqual(["2", "Runtime.runIfWaitingForDebugger"]), { timeout: 30_000, interval: 5 });
    expect(toWorker.filter(([s]) => s === "1")).toEqual([]);
    const render = toWorker.filter(([s]) => s === "2").map(([, m]) => m);
    expect(render).toEqual([
      "Debugger.enable",
      "Debugger.setBlackboxPatterns",
      "Debugger.setInstrumentationBreakpoint",
      "Debugger.setBreakpointByUrl",
      "Debugger.setPauseOnExceptions",
      "Debugger.setAsyncCallStackDepth",
      // the thread's realm knows a debugger is attached (shell/debug_view.ts DEBUGGING_GLOBAL)
      "Runtime.evaluate",
      // it runs once its breakpoints are set
      "Runtime.runIfWaitingForDebugger",
    ]);
    expect((await request("threads")).body!["threads"]).toEqual([
      { id: 1, name: "main thread" },
      { id: 2, name: "render" },
      { id: 3, name: "thread pool 5" },
    ]);
    expect(events.filter((e) => e.event === "thread").map((e) => e.body)).toEqual([
      { reason: "started", threadId: 2 },
      { reason: "started", threadId: 3 },
    ]);
    // later breakpoints and filters go to every thread
    toWorker.length = 0;
    await request("setExceptionBreakpoints", { filters: ["raised"] });
    expect(toWorker.filter(([, m]) => m === "Debugger.setPauseOnExceptions").map(([s]) => s)).toEqual(["2", "3"]);
    // a thread that ends goes
    fire("NodeWorker.detachedFromWorker", { sessionId: "2" });
    expect(events.at(-1)).toEqual({ event: "thread", body: { reason: "exited", threadId: 2 } });
    expect((await request("threads")).body!["threads"]).toEqual([
      { id: 1, name: "main thread" },
      { id: 3, name: "thread pool 5" },
    ]);
    expect((await request("continue", { threadId: 2 })).message).toBe("continue: no thread 2");
    expect((await request("continue", { threadId: 3 })).message).toBe("continue: thread 3 (thread pool 5) is not stopped at a breakpoint");
  });
});
