/**
 * The main thread's stdin (src/kernel/stdin.ts) wired to the I/O worker's route
 * (src/io/stdin_route.ts) in one thread, with the stdin socket faked: what goes out as an
 * input_request, which reply answers which request, and how requests end (answered, interrupted,
 * cancelled, their cell closed). The blocking prompt() is answered and interrupted from other
 * threads, as in the kernel.
 */
import { Worker, type MessagePort } from "node:worker_threads";
import { describe, expect, test } from "vitest";
import type { Header, Message } from "../../src/messaging/index.js";
import type { ToWorker } from "../../src/io/bridge.js";
import { StdinRoute } from "../../src/io/stdin_route.js";
import { StdinRequests } from "../../src/kernel/stdin.js";
import { StdinWakeWord } from "../../src/shared_memory/layout.js";

const header = (msgType: string, id: string): Header => ({ msg_id: id, msg_type: msgType }) as Header;

/** StdinRequests talking to a StdinRoute directly; input_requests are recorded, not sent. */
function wired(options: { open?: (parent: Header) => boolean } = {}) {
  const sent: { header: Header; parent: Header; content: { prompt: string; password: boolean } }[] = [];
  const dropped: string[] = [];
  const posted: ToWorker[] = [];
  let n = 0;
  const route = new StdinRoute({
    sendRequest(parent, content) {
      if (options.open && !options.open(parent)) return undefined;
      const h = header("input_request", `ir-${++n}`);
      sent.push({ header: h, parent, content });
      return { header: h, identities: [Buffer.from(`client-of-${parent.msg_id}`)] };
    },
    dropped: (reason) => dropped.push(reason),
  });
  let flushed = 0;
  /** A hook run after each message reached the route (to answer at once, as a test needs for prompt()). */
  let after: (m: ToWorker) => void = () => {};
  const requests = new StdinRequests({
    post(m) {
      posted.push(m);
      if (m.type === "stdin") route.attach(m.port, m.wake);
      else if (m.type === "input") route.request(m.id, m.parent, m.prompt, m.password);
      else if (m.type === "input_forget") route.forget(m.ids);
      after(m);
    },
    flushOutput: () => flushed++,
  });
  /** An input_reply from the client of `cellId` (no parent, as jupyter_client sends it) or with `parent`. */
  const reply = (value: unknown, from: { cell?: string; parent?: Header }) => {
    const identity = Buffer.from(`client-of-${from.cell ?? "?"}`);
    route.received({
      identities: [identity],
      header: header("input_reply", "r"),
      parent_header: from.parent ?? {},
      metadata: {},
      content: { value },
      buffers: [],
    } as unknown as Message);
  };
  return { requests, route, sent, dropped, posted, reply, flushed: () => flushed, onPost: (f: (m: ToWorker) => void) => (after = f) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("input()", () => {
  test("sends an input_request with the cell's request as parent, after its output", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "cell-1"), true);
    const answer = cell.ask("Name? ", false, "input");
    expect(w.flushed()).toBe(1);
    expect(w.sent).toEqual([
      {
        header: header("input_request", "ir-1"),
        parent: header("execute_request", "cell-1"),
        content: { prompt: "Name? ", password: false },
      },
    ]);
    w.reply("Ada", { cell: "cell-1" });
    expect(await answer).toBe("Ada");
  });

  test("a reply with a parent answers that request; one without, the oldest of its client", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "c"), true);
    const first = cell.ask("1", false, "input");
    const second = cell.ask("2", false, "input");
    const third = cell.ask("3", false, "input");
    w.reply("two", { parent: w.sent[1]!.header });
    w.reply("one", { cell: "c" });
    w.reply("three", { cell: "c" });
    expect(await Promise.all([first, second, third])).toEqual(["one", "two", "three"]);
  });

  test("a reply from another client, or naming a request that is over, is dropped", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "mine"), true);
    const answer = cell.ask("?", false, "input");
    w.reply("not yours", { cell: "other" });
    w.reply("stale", { parent: header("input_request", "long-gone") });
    expect(w.dropped).toEqual(["input_reply answers no pending input request", "input_reply answers no pending input request"]);
    w.reply("yours", { cell: "mine" });
    expect(await answer).toBe("yours");
  });

  test("a message other than input_reply on stdin is dropped, and answers nothing", async () => {
    const w = wired();
    const answer = w.requests.forCell(header("execute_request", "c"), true).ask("?", false, "input");
    w.route.received({
      identities: [Buffer.from("client-of-c")],
      header: header("execute_request", "x"),
      parent_header: {},
      metadata: {},
      content: { value: "no" },
      buffers: [],
    } as unknown as Message);
    expect(w.dropped).toEqual(["unexpected execute_request on stdin"]);
    w.reply("yes", { cell: "c" });
    expect(await answer).toBe("yes");
  });

  test("a reply without a text value fails the request with a clear error", async () => {
    const w = wired();
    const answer = w.requests.forCell(header("execute_request", "c"), true).ask("?", false, "input");
    w.reply(42, { cell: "c" });
    await expect(answer).rejects.toThrow("input() was called, but the frontend's input_reply has no text value");
  });

  test("an interrupt rejects it with KernelInterrupt; the late reply is dropped, a new request answered", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "c"), true);
    const interrupted = cell.ask("first", false, "input");
    expect(w.requests.interrupt()).toBe(1);
    await expect(interrupted).rejects.toMatchObject({ name: "KernelInterrupt" });
    expect(w.posted.at(-1)).toEqual({ type: "input_forget", ids: [1] });
    const next = cell.ask("second", false, "input");
    w.reply("late", { parent: w.sent[0]!.header });
    w.reply("fresh", { cell: "c" });
    expect(await next).toBe("fresh");
  });

  test("a cancelled cell's requests reject with its reason; a closed cell refuses and rejects", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "c"), true);
    const cancelled = cell.ask("?", false, "input");
    cell.cancel(new Error("timed out"));
    await expect(cancelled).rejects.toThrow("timed out");
    const pending = cell.ask("?", false, "input");
    cell.close();
    await expect(pending).rejects.toThrow("the cell finished before the frontend answered its input request");
    await expect(cell.ask("?", false, "input")).rejects.toThrow(
      "input() was called, but its cell has finished: only a running cell can ask for input",
    );
    expect(() => cell.askSync("?", false, "confirm")).toThrow("confirm() was called, but its cell has finished");
    w.reply("too late", { cell: "c" });
    await tick();
    expect(w.sent).toHaveLength(2);
  });

  test("a request that does not allow stdin is refused, and nothing is sent", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "c"), false);
    await expect(cell.ask("?", false, "input")).rejects.toMatchObject({
      name: "StdinUnavailable",
      message: "input() was called, but this frontend does not support input requests (its execute_request has allow_stdin: false)",
    });
    expect(() => cell.askSync("?", false, "prompt")).toThrow("prompt() was called, but this frontend does not support input requests");
    expect(w.sent).toEqual([]);
  });

  test("a request whose execute_request is over gets an error, not silence", async () => {
    const w = wired({ open: () => false });
    await expect(w.requests.forCell(header("execute_request", "c"), true).ask("?", false, "input")).rejects.toThrow(
      "input() was called, but its cell's request is over, so there is no frontend to ask",
    );
  });

  test("at shutdown every pending request fails", async () => {
    const w = wired();
    const answer = w.requests.forCell(header("execute_request", "c"), true).ask("?", false, "input");
    w.route.failAll("the kernel is shutting down");
    await expect(answer).rejects.toThrow("input() was called, but the kernel is shutting down");
  });
});

describe("prompt() blocks the thread until answered", () => {
  test("an answer already posted is taken off the port at once", () => {
    const w = wired();
    w.onPost((m) => {
      if (m.type === "input") w.reply(`answer to ${m.prompt}`, { cell: "c" });
    });
    const cell = w.requests.forCell(header("execute_request", "c"), true);
    expect(cell.askSync("q1", false, "prompt")).toBe("answer to q1");
    expect(cell.askSync("q2", true, "prompt")).toBe("answer to q2");
    expect(w.sent.map((s) => s.content)).toEqual([
      { prompt: "q1", password: false },
      { prompt: "q2", password: true },
    ]);
  });

  test("another cell's input() answered meanwhile settles too", async () => {
    const w = wired();
    const other = w.requests.forCell(header("execute_request", "other"), true).ask("async", false, "input");
    w.onPost((m) => {
      if (m.type !== "input") return;
      w.reply("for the other", { cell: "other" });
      w.reply("for the prompt", { cell: "c" });
    });
    expect(w.requests.forCell(header("execute_request", "c"), true).askSync("sync", false, "prompt")).toBe("for the prompt");
    expect(await other).toBe("for the other");
  });

  /**
   * A thread that, after `ms`, runs `body` with `words` (the wake words), `WAKE` and `SIGINTS`
   * (their indices) and `port` (the answer port, if given).
   */
  function laterInAnotherThread(wake: SharedArrayBuffer, ms: number, body: string, port?: MessagePort): Worker {
    return new Worker(
      `const { workerData: { wake, port } } = require("node:worker_threads");
       const words = new Int32Array(wake);
       const { WAKE, SIGINTS } = ${JSON.stringify(StdinWakeWord)};
       setTimeout(() => { ${body} }, ${ms});`,
      { eval: true, workerData: { wake, port }, transferList: port ? [port] : [] },
    );
  }

  test("an answer from another thread wakes the wait; an early wake-up without one does not end it", async () => {
    // The I/O worker's side played by another thread: it gets the answer port.
    let setup!: Extract<ToWorker, { type: "stdin" }>;
    const requests = new StdinRequests({
      post: (m) => {
        if (m.type === "stdin") setup = m;
      },
      flushOutput: () => {},
    });
    const cell = requests.forCell(header("execute_request", "c"), true);
    const wakeOnly = laterInAnotherThread(setup.wake, 30, "Atomics.add(words, WAKE, 1); Atomics.notify(words, WAKE);");
    const answerer = laterInAnotherThread(
      setup.wake,
      150,
      `port.postMessage({ id: 1, value: "from afar" }); Atomics.add(words, WAKE, 1); Atomics.notify(words, WAKE);`,
      setup.port,
    );
    try {
      expect(cell.askSync("?", false, "prompt")).toBe("from afar");
    } finally {
      await Promise.all([wakeOnly.terminate(), answerer.terminate()]);
    }
  });

  test("the cell's timeout ends the wait with a TimeoutError; the request is forgotten", () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "c"), true, 0.1);
    expect(() => cell.askSync("?", false, "prompt")).toThrow(
      expect.objectContaining({ name: "TimeoutError", message: "The cell did not finish within its timeout of 0.1 s" }),
    );
    expect(w.posted.at(-1)).toEqual({ type: "input_forget", ids: [1] });
  });

  test("a SIGINT counted by the watcher ends the wait with KernelInterrupt; the request is forgotten", async () => {
    const w = wired();
    const cell = w.requests.forCell(header("execute_request", "c"), true);
    const { wake } = w.posted.find((m) => m.type === "stdin") as Extract<ToWorker, { type: "stdin" }>;
    const sigint = laterInAnotherThread(
      wake,
      50,
      "Atomics.add(words, SIGINTS, 1); Atomics.add(words, WAKE, 1); Atomics.notify(words, WAKE);",
    );
    try {
      expect(() => cell.askSync("?", false, "confirm")).toThrow(expect.objectContaining({ name: "KernelInterrupt" }));
    } finally {
      await sigint.terminate();
    }
    expect(w.posted.at(-1)).toEqual({ type: "input_forget", ids: [1] });
    w.reply("late", { cell: "c" });
    expect(w.dropped).toEqual(["input_reply answers no pending input request"]);
  });
});
