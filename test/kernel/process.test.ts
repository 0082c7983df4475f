/**
 * The real kernel process (built dist/) over real ZeroMQ sockets, driven by our own client.
 * The Python harness covers conformance through jupyter_client; these cover the process itself.
 */
import * as zmq from "zeromq";
import { beforeAll, describe, expect, it } from "vitest";
import { curveClient, type KernelClient } from "../../src/client/kernel_client.js";
import type { LaunchedKernel } from "../../src/client/launcher.js";
import { useKernelProcess } from "./helpers/kernel_process.js";
import { endpoint } from "../../src/io/connection_file.js";
import { Session, type Message } from "../../src/messaging/index.js";

const test = useKernelProcess();
let kernel: LaunchedKernel;
let client: KernelClient;
beforeAll(() => ({ kernel, client } = test));

const types = (outputs: Message[]) => outputs.map((m) => m.header.msg_type);

/** Start a cell that prints, then spins; resolves once the print arrived (the loop is running). */
function spin(code = "while (true) {}") {
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const done = client.execute(`console.log("spinning"); ${code}`, {
    onIopub: (m) => m.header.msg_type === "stream" && started(),
  });
  return { running, done };
}

describe("kernel process", () => {
  it("runs a TypeScript cell with top-level await and returns the last expression", async () => {
    const { reply, outputs } = await client.execute("const x: number = await Promise.resolve(41);\nx + 1");
    expect(reply.content).toMatchObject({ status: "ok" });
    const result = outputs.find((m) => m.header.msg_type === "execute_result");
    expect((result?.content as { data: Record<string, string> }).data["text/plain"]).toBe("42");
  });

  it("sends console output as stream messages and errors as error messages", async () => {
    const out = await client.execute('console.log("hi"); console.error("oops")');
    expect(out.outputs.filter((m) => m.header.msg_type === "stream").map((m) => (m.content as { text: string }).text)).toEqual([
      "hi\n",
      "oops\n",
    ]);
    const err = await client.execute('throw new RangeError("bad")');
    expect(err.reply.content).toMatchObject({ status: "error", ename: "RangeError", evalue: "bad" });
    expect(types(err.outputs)).toContain("error");
  });

  it("keeps declarations across cells and lets a const cell run twice", async () => {
    await client.execute("const kept = 7");
    const again = await client.execute("const kept = 8");
    expect(again.reply.content).toMatchObject({ status: "ok" });
    const { outputs } = await client.execute("kept * 2");
    expect(JSON.stringify(outputs)).toContain('"text/plain":"16"');
  });

  it("answers heartbeat and control kernel_info while the main thread is stuck, then interrupts it and keeps state", async () => {
    await client.execute("const before = 123");
    const { running, done: busy } = spin();
    await running;
    const info = await client.request("kernel_info_request", {}, "control");
    expect(info.reply.content).toMatchObject({ status: "ok", implementation: "ts-async-kernel" });
    // over Curve, as every socket of the launcher's kernels
    const hb = curveClient(new zmq.Request({ linger: 0, receiveTimeout: 2000 }), kernel.connection);
    hb.connect(endpoint(kernel.connection, kernel.connection.hb_port));
    await hb.send("ping");
    const [pong] = await hb.receive();
    hb.close();
    expect(pong?.toString()).toBe("ping");
    await client.request("interrupt_request", {}, "control");
    const { reply } = await busy;
    expect(reply.content).toMatchObject({ status: "error", ename: "KernelInterrupt" });
    const { outputs } = await client.execute("before");
    expect(JSON.stringify(outputs)).toContain('"text/plain":"123"');
  });

  it("interrupts a cell that is awaiting and answers the next request", async () => {
    const { running, done: waiting } = spin("await new Promise(() => {})");
    await running;
    await client.request("interrupt_request", {}, "control");
    expect((await waiting).reply.content).toMatchObject({ status: "error", ename: "KernelInterrupt" });
    expect((await client.execute("1 + 1")).reply.content).toMatchObject({ status: "ok" });
  });

  it("survives a storm of interrupts while idle and still stops a busy loop afterwards", async () => {
    await client.execute("const stormy = 5");
    // Any moment without a SIGINT watcher would let Node's default action end the process.
    await Promise.all(Array.from({ length: 100 }, () => client.request("interrupt_request", {}, "control")));
    await new Promise((r) => setTimeout(r, 200));
    expect(kernel.process.exitCode).toBeNull();
    expect(kernel.process.signalCode).toBeNull();
    const { running, done: busy } = spin();
    await running;
    await client.request("interrupt_request", {}, "control");
    expect((await busy).reply.content).toMatchObject({ status: "error", ename: "KernelInterrupt" });
    expect(JSON.stringify((await client.execute("stormy")).outputs)).toContain('"text/plain":"5"');
  });

  it("drops badly signed and malformed messages and still answers", async () => {
    const shell = curveClient(new zmq.Dealer({ linger: 0 }), kernel.connection);
    shell.connect(endpoint(kernel.connection, kernel.connection.shell_port));
    const wrongKey = new Session({ key: "not-the-key" });
    await shell.send(wrongKey.serialize({ header: wrongKey.header("execute_request"), content: { code: "globalThis.hacked = 1" } }));
    await shell.send(["<IDS|MSG>", "", "{not json", "{}", "{}", "{}"]);
    await shell.send(["garbage"]);
    shell.close();
    const { outputs } = await client.execute("typeof globalThis.hacked");
    expect(JSON.stringify(outputs)).toContain("'undefined'");
  });

  it("aborts executes queued behind a failing cell when stop_on_error is set", async () => {
    const failing = client.execute("await new Promise((r) => setTimeout(r, 100)); throw new Error('first')");
    const queued = client.execute("1");
    expect((await failing).reply.content).toMatchObject({ status: "error", ename: "Error" });
    const q = (await queued).reply.content as { status: string; ename?: string };
    expect(q.status).toBe("error");
    expect(q.ename).toBe("ExecutionAborted");
    expect((await client.execute("2")).reply.content).toMatchObject({ status: "ok" });
  });

  it("runs a cell sent right after a failing cell's reply (only earlier requests are aborted)", async () => {
    // Many rounds: with a millisecond clock, a request arriving within the error's millisecond
    // used to be aborted now and then.
    for (let i = 0; i < 200; i++) {
      expect((await client.execute("throw new Error('x')")).reply.content).toMatchObject({ status: "error" });
      // Sent within microseconds of the error reply: the client could see the error, so it runs.
      expect((await client.execute("1")).reply.content).toMatchObject({ status: "ok" });
    }
  });

  it("wraps every request in busy/idle with the request as parent", async () => {
    const { outputs } = await client.request("complete_request", { code: "Math.P", cursor_pos: 6 });
    // status messages are consumed by the client; no stray output belongs to this request
    expect(outputs).toEqual([]);
    const { reply } = await client.request("complete_request", { code: "Math.P", cursor_pos: 6 });
    expect(reply.content).toMatchObject({ status: "ok", matches: ["PI"], cursor_start: 5, cursor_end: 6 });
  });

  describe("completion and inspection from the TypeScript language service", () => {
    /** Resolves once the language service answers (its replies carry the match kinds). */
    async function languageReady(): Promise<void> {
      for (let i = 0; i < 100; i++) {
        const { reply } = await client.request("complete_request", { code: '"abc".', cursor_pos: 6 });
        if ((reply.content as { metadata?: Record<string, unknown> }).metadata?._jupyter_types_experimental) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the language service never answered");
    }

    it("completes members of an earlier cell's interface, while a cell awaits and while one spins", async () => {
      await languageReady();
      await client.execute("interface Shape { area: number; name: string }\nconst sq: Shape = { area: 4, name: 'square' }");
      const complete = async () => (await client.request("complete_request", { code: "sq.", cursor_pos: 3 })).reply.content;
      expect(await complete()).toMatchObject({ status: "ok", matches: ["area", "name"], cursor_start: 3, cursor_end: 3 });

      let awaited = false;
      const awaiting = client.execute("await new Promise(r => setTimeout(r, 60_000))").then((r) => {
        awaited = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(await complete()).toMatchObject({ matches: ["area", "name"] });
      // answered while the cell still waits (it waits a minute, unless interrupted)
      expect(awaited).toBe(false);
      await client.request("interrupt_request", {}, "control");
      await awaiting;

      const { running, done } = spin();
      await running;
      expect(await complete()).toMatchObject({ matches: ["area", "name"] });
      const inspected = (await client.request("inspect_request", { code: "sq", cursor_pos: 2, detail_level: 0 })).reply.content;
      expect(inspected).toMatchObject({ status: "ok", found: true, data: { "text/plain": "const sq: Shape" } });
      await client.request("interrupt_request", {}, "control");
      await done;
    });

    it("falls back to runtime introspection for values typed any", async () => {
      await languageReady();
      await client.execute("const loose: any = { zebra: 1, zenith: 2 }");
      const { reply } = await client.request("complete_request", { code: "loose.ze", cursor_pos: 8 });
      expect(reply.content).toMatchObject({ status: "ok", matches: ["zebra", "zenith"], cursor_start: 6, cursor_end: 8 });
    });

    it("reports type errors on stderr for a cell that asks with // @ts-check, and still runs it", async () => {
      await languageReady();
      const { reply, outputs } = await client.execute("// @ts-check\nconst typed: number = 'text' as any as string; typed");
      expect(reply.content).toMatchObject({ status: "ok" });
      const stderr = outputs
        .filter((m) => m.header.msg_type === "stream")
        .map((m) => (m.content as { text: string }).text)
        .join("");
      expect(stderr).toMatch(/In\[\d+\]:2:7 - error TS2322/);
      expect(JSON.stringify(outputs)).toContain('"text/plain":"\'text\'"');
      const plain = await client.execute("const untyped: number = 'x' as any as string;");
      expect(plain.outputs.filter((m) => m.header.msg_type === "stream")).toEqual([]);
    });
  });

  it("a timer's uncaught error names the cell's line and column", async () => {
    const line2 = "setTimeout(() => { const o: { p?: { q: number } } = {}; o.p!.q }, 5)";
    const { reply, outputs } = await client.execute(
      `const waitMs: number = 200\n${line2}\nawait new Promise((r) => setTimeout(r, waitMs))`,
    );
    expect(reply.content).toMatchObject({ status: "ok" });
    const stderr = outputs
      .filter((m) => m.header.msg_type === "stream" && (m.content as { name: string }).name === "stderr")
      .map((m) => (m.content as { text: string }).text)
      .join("");
    const count = (reply.content as { execution_count: number }).execution_count;
    expect(stderr).toContain("Uncaught exception: TypeError: Cannot read properties of undefined (reading 'q')");
    expect(stderr).toContain(`at Timeout.<anonymous> (In[${count}]:2:${line2.lastIndexOf("q") + 1})`);
    expect(stderr).not.toContain("cell-");
  });

  describe("the engine through the kernel process", () => {
    it("publishes displays, updates by display id and clear_output, in the cell's order", async () => {
      const { outputs } = await client.execute(
        "display.html('<b>x</b>'); display('a', { displayId: 'd1' }); updateDisplay('d1', 'b'); clearOutput({ wait: true }); display.plotly({ data: [] })",
      );
      const shown = outputs
        .filter((m) => m.header.msg_type !== "execute_input")
        .map((m) => [m.header.msg_type, Object.keys((m.content as { data?: object }).data ?? {})[0] ?? null]);
      expect(shown).toEqual([
        ["display_data", "text/html"],
        ["display_data", "text/plain"],
        ["update_display_data", "text/plain"],
        ["clear_output", null],
        ["display_data", "application/vnd.plotly.v1+json"],
      ]);
      const update = outputs.find((m) => m.header.msg_type === "update_display_data")!;
      expect(update.content).toMatchObject({ data: { "text/plain": "'b'" }, transient: { display_id: "d1" } });
    });

    it("routes a timer's output after the reply to the cell that started it", async () => {
      const late: Message[] = [];
      client.onLateIopub = (m) => late.push(m);
      try {
        const { reply } = await client.execute("setTimeout(() => console.log('after the reply'), 50);");
        for (let i = 0; i < 50 && late.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        expect(late.map((m) => [m.header.msg_type, (m.content as { text?: string }).text])).toEqual([["stream", "after the reply\n"]]);
        expect((late[0]!.parent_header as { msg_id?: string }).msg_id).toBe(reply.parent_header.msg_id);
      } finally {
        client.onLateIopub = undefined;
      }
    });

    it("answers is_complete, user_expressions and history", async () => {
      expect((await client.request("is_complete_request", { code: "function f() {" })).reply.content).toMatchObject({
        status: "incomplete",
      });
      expect((await client.request("is_complete_request", { code: "const a: number = 1" })).reply.content).toMatchObject({
        status: "complete",
      });
      const { reply } = await client.request("execute_request", {
        code: "const ue = 4",
        silent: false,
        store_history: true,
        allow_stdin: false,
        stop_on_error: true,
        user_expressions: { sq: "ue * ue" },
      });
      expect(reply.content).toMatchObject({ status: "ok", user_expressions: { sq: { status: "ok", data: { "text/plain": "16" } } } });
      const history = (await client.request("history_request", { hist_access_type: "tail", n: 1, output: false, raw: true })).reply.content;
      expect((history as { history: unknown[][] }).history.map((e) => e[2])).toEqual(["const ue = 4"]);
    });
  });
});
