/**
 * Run modes, tags and subshells in the real kernel process (built dist/), over real sockets:
 * `// task` and silent cells beside a busy queue, `// thread` cells in worker threads while the
 * main thread answers, subshells with their own queues and counts, and the control requests the
 * I/O worker answers while the main thread spins.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { KernelClient, ExecuteResult } from "../../src/client/kernel_client.js";
import type { LaunchedKernel } from "../../src/client/launcher.js";
import { useKernelProcess } from "./helpers/kernel_process.js";
import type { Message } from "../../src/messaging/index.js";

const test = useKernelProcess({ warm: true });
let kernel: LaunchedKernel;
let client: KernelClient;
beforeAll(() => ({ kernel, client } = test));

type Reply = { status: string; execution_count?: number; ename?: string; evalue?: string };
const reply = (r: ExecuteResult) => r.reply.content as Reply;
const resultText = (r: ExecuteResult) =>
  (r.outputs.find((m) => m.header.msg_type === "execute_result")?.content as { data: Record<string, string> } | undefined)?.data[
    "text/plain"
  ];
const stdout = (outputs: Message[]) =>
  outputs
    .filter((m) => m.header.msg_type === "stream")
    .map((m) => (m.content as { text: string }).text)
    .join("");

/** Tracks whether a request has been answered yet. */
function track(p: Promise<ExecuteResult>) {
  const state = { done: false, result: p };
  void p.then(() => (state.done = true));
  return state;
}

/** A main-thread cell that prints, then spins; `running` resolves once it spins. */
function spin(options: { subshellId?: string } = {}) {
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const done = client.execute(
    'console.log("spinning"); while (true) {}',
    { onIopub: (m) => m.header.msg_type === "stream" && started() },
    options,
  );
  return { running, done };
}

async function createSubshell(): Promise<string> {
  const { reply } = await client.request("create_subshell_request", {}, "control");
  expect(reply.content).toMatchObject({ status: "ok" });
  return (reply.content as { subshell_id: string }).subshell_id;
}

describe("run modes", () => {
  it("runs // task, tag-chosen and silent cells at once while a queued cell awaits a 5 s sleep", async () => {
    const queued = track(client.execute("await new Promise((r) => setTimeout(r, 5000)); 'slept'"));
    const task = await client.execute("// task\nconsole.log('from the task'); 6 * 7");
    expect(reply(task).status).toBe("ok");
    expect(resultText(task)).toBe("42");
    expect(stdout(task.outputs)).toBe("from the task\n");
    // the tag wins over the comment: a `// queue` cell tagged `task` does not wait either
    const tagged = await client.execute("// queue\n'tagged'", {}, { tags: ["task"] });
    expect(resultText(tagged)).toBe("'tagged'");
    const silent = await client.execute("globalThis.silentRan = true", {}, { silent: true });
    expect(reply(silent).status).toBe("ok");
    expect(silent.outputs).toEqual([]);
    expect(queued.done).toBe(false);
    expect(resultText(await queued.result)).toBe("'slept'");
    expect(resultText(await client.execute("globalThis.silentRan"))).toBe("true");
  }, 20_000);

  it("runs a // thread cell's busy loop in a worker while the main thread answers", async () => {
    let computing!: () => void;
    const started = new Promise<void>((r) => (computing = r));
    const thread = track(
      client.execute(
        "// thread\nconsole.log('computing');\nconst t0 = Date.now(); while (Date.now() - t0 < 2000) {}\nconsole.log('computed'); display({ shape: 'square' }); 'from the thread'",
        { onIopub: (m) => m.header.msg_type === "stream" && computing() },
      ),
    );
    await started;
    const quick = await client.execute("1 + 1");
    expect(resultText(quick)).toBe("2");
    // answered while the thread cell still computes
    expect(thread.done).toBe(false);
    // Nothing of the thread cell went to the quick cell, and all of it to its own.
    expect(quick.outputs.map((m) => m.header.msg_type)).toEqual(["execute_input", "execute_result"]);
    const done = await thread.result;
    expect(reply(done).status).toBe("ok");
    expect(stdout(done.outputs)).toBe("computing\ncomputed\n");
    // (the first print went out while the loop ran, the second after it: two stream messages)
    expect(done.outputs.map((m) => m.header.msg_type)).toEqual(["execute_input", "stream", "stream", "display_data", "execute_result"]);
    expect(resultText(done)).toBe("'from the thread'");
  }, 20_000);

  it("reports a thread cell's error in that cell: the main namespace is not there", async () => {
    await client.execute("const onlyInMain = 1");
    const r = await client.execute("// thread\nonlyInMain + 1");
    expect(reply(r)).toMatchObject({ status: "error", ename: "ReferenceError", evalue: "onlyInMain is not defined" });
    expect(r.outputs.map((m) => m.header.msg_type)).toEqual(["execute_input", "error"]);
  });

  it("reuses a named thread, which keeps its globals", async () => {
    expect(reply(await client.execute("// thread name=store\nvar counter = 1; counter"))).toMatchObject({ status: "ok" });
    expect(resultText(await client.execute("// thread name=store\ncounter += 1; counter"))).toBe("2");
    // the tag form reaches the same thread
    expect(resultText(await client.execute("counter * 10", {}, { tags: ["thread name=store"] }))).toBe("20");
    expect(resultText(await client.execute("typeof counter"))).toBe("'undefined'");
  });

  it("answers bad thread options with a clear error", async () => {
    const r = await client.execute("// thread nmae=store\n1");
    expect(reply(r)).toMatchObject({ status: "error", ename: "CellSettingsError" });
    expect(reply(r).evalue).toMatch(/unknown thread option "nmae"/);
    expect(r.outputs.map((m) => m.header.msg_type)).toEqual(["error"]);
    expect(reply(await client.execute("// thread name=b2 backend=nosuch\n1"))).toMatchObject({
      status: "error",
      evalue: expect.stringMatching(/unknown thread backend "nosuch"/),
    });
  });
});

describe("tags", () => {
  it("raises-exception: an error is expected, the reply is an error, later cells still run", async () => {
    const failing = client.execute("throw new RangeError('expected')", {}, { tags: ["raises-exception"] });
    const next = client.execute("'next ran'");
    expect(reply(await failing)).toMatchObject({ status: "error", ename: "RangeError" });
    expect(resultText(await next)).toBe("'next ran'");
    const none = await client.execute("1", {}, { tags: ["raises-exception"] });
    expect(reply(none)).toMatchObject({ status: "error", evalue: "An expected exception was not raised" });
  });

  it("stop-on-error overrides the request's stop_on_error", async () => {
    const a = client.execute("await new Promise((r) => setTimeout(r, 50)); throw new Error('a')", {}, { tags: ["stop-on-error=false"] });
    const b = client.execute("'b ran'");
    expect(reply(await a).status).toBe("error");
    expect(resultText(await b)).toBe("'b ran'");
    const c = client.execute(
      "await new Promise((r) => setTimeout(r, 50)); throw new Error('c')",
      {},
      { tags: ["stop_on_error=True"], stopOnError: false },
    );
    const d = client.execute("'d ran'");
    expect(reply(await c).status).toBe("error");
    expect(reply(await d)).toMatchObject({ status: "error", ename: "ExecutionAborted" });
  });

  it("timeout cancels an awaiting cell with TimeoutError, keeps the variables and does not stop the queue", async () => {
    const slow = client.execute(
      "var beforeTimeout = 'kept'; await new Promise((r) => setTimeout(r, 10_000))",
      {},
      { tags: ["timeout=0.3"] },
    );
    const next = client.execute("beforeTimeout");
    expect(reply(await slow)).toMatchObject({ status: "error", ename: "TimeoutError" });
    expect(resultText(await next)).toBe("'kept'");
  });

  it("timeout stops a synchronous loop, on the main thread and in a thread", async () => {
    expect(reply(await client.execute("while (true) {}", {}, { tags: ["timeout=0.2"] }))).toMatchObject({
      status: "error",
      ename: "TimeoutError",
    });
    expect(reply(await client.execute("// thread\nwhile (true) {}", {}, { tags: ["timeout=0.2"] }))).toMatchObject({
      status: "error",
      ename: "TimeoutError",
    });
  });

  it("answers a bad tag value with a clear error", async () => {
    const r = await client.execute("1", {}, { tags: ["timeout=soon"] });
    expect(reply(r)).toMatchObject({ status: "error", ename: "CellSettingsError" });
    expect(reply(r).evalue).toMatch(/timeout must be a number of seconds/);
  });
});

describe("subshells", () => {
  it("is a supported feature", async () => {
    const { reply } = await client.request("kernel_info_request", {});
    expect((reply.content as { supported_features: string[] }).supported_features).toContain("kernel subshells");
  });

  it("interleave at awaits, share the namespace and keep their own execution counts", async () => {
    const one = await createSubshell();
    const two = await createSubshell();
    // `one` waits for `two` to wake it: with one queue for both this would never finish.
    const waiting = client.execute(
      "var sharedAcross = 'set in one'; await new Promise((r) => (globalThis.wake = r))",
      {},
      { subshellId: one },
    );
    const waking = await client.execute("wake(); sharedAcross", {}, { subshellId: two });
    expect(resultText(waking)).toBe("'set in one'");
    expect(reply(await waiting).status).toBe("ok");
    const oneCounts = [reply(await waiting).execution_count, reply(await client.execute("2", {}, { subshellId: one })).execution_count];
    expect(oneCounts).toEqual([1, 2]);
    expect(reply(waking).execution_count).toBe(1);
    const main = reply(await client.execute("sharedAcross")).execution_count!;
    expect(main).toBeGreaterThan(2);
    expect(reply(await client.execute("3", {}, { subshellId: two })).execution_count).toBe(2);
  });

  it("keep stop_on_error per subshell", async () => {
    const sub = await createSubshell();
    const failing = client.execute("await new Promise((r) => setTimeout(r, 100)); throw new Error('in sub')", {}, { subshellId: sub });
    const queuedInSub = client.execute("'sub queued'", {}, { subshellId: sub });
    const inMain = client.execute("'main ran'");
    expect(reply(await failing).status).toBe("error");
    expect(reply(await queuedInSub)).toMatchObject({ status: "error", ename: "ExecutionAborted" });
    expect(resultText(await inMain)).toBe("'main ran'");
  });

  it("answers a request for an unknown subshell with an error (busy, reply, idle)", async () => {
    const r = await client.execute("1", {}, { subshellId: "no-such-subshell" });
    expect(reply(r)).toMatchObject({ status: "error", ename: "SubshellNotFound" });
    expect(reply(r).evalue).toMatch(/no-such-subshell/);
    const other = await client.request("complete_request", { code: "Ma", cursor_pos: 2 }, "shell", {}, { subshellId: "no-such-subshell" });
    expect(other.reply.header.msg_type).toBe("complete_reply");
    expect(other.reply.content).toMatchObject({ status: "error", ename: "SubshellNotFound" });
  });

  it("are created, listed and deleted within 100 ms while the main thread spins", async () => {
    const { running, done } = spin();
    await running;
    // the main thread spins until interrupted: every answer came from the I/O worker meanwhile
    const timed = async (type: string, content: Record<string, unknown> = {}) => {
      const r = await client.request(type, content, "control");
      return { content: r.reply.content as Record<string, unknown> };
    };
    const created = await timed("create_subshell_request");
    const id = created.content.subshell_id as string;
    const listed = await timed("list_subshell_request");
    const deleted = await timed("delete_subshell_request", { subshell_id: id });
    const unknown = await timed("delete_subshell_request", { subshell_id: id });
    expect(created.content.status).toBe("ok");
    expect(listed.content).toMatchObject({ status: "ok" });
    expect(listed.content.subshell_id).toContain(id);
    expect(deleted.content).toEqual({ status: "ok" });
    expect(unknown.content).toMatchObject({ status: "error", ename: "SubshellNotFound" });
    await client.request("interrupt_request", {}, "control");
    expect(reply(await done)).toMatchObject({ status: "error", ename: "KernelInterrupt" });
  });

  it("aborts a deleted subshell's waiting cells", async () => {
    const sub = await createSubshell();
    const running = client.execute("await new Promise(() => {})", {}, { subshellId: sub });
    const queued = client.execute("'never'", {}, { subshellId: sub });
    // Shell requests are taken in order: once this is answered, the two above are in the kernel
    // (else the delete, on the control socket, could overtake them).
    await client.request("kernel_info_request", {});
    await client.request("delete_subshell_request", { subshell_id: sub }, "control");
    expect(reply(await running)).toMatchObject({
      status: "error",
      ename: "ExecutionAborted",
      evalue: expect.stringMatching(/subshell was deleted/),
    });
    expect(reply(await queued)).toMatchObject({ status: "error", ename: "ExecutionAborted" });
    expect(reply(await client.execute("1", {}, { subshellId: sub }))).toMatchObject({ status: "error", ename: "SubshellNotFound" });
  });
});
