import { afterEach, describe, expect, it, vi } from "vitest";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { LanguageRoute } from "../../src/io/language_route.js";
import type { Message } from "../../src/messaging/index.js";
import type { QueryRequest, ToIoFromLanguage } from "../../src/language/protocol.js";

let n = 0;
const request = (code = "'abc'.toUpp"): Message =>
  ({
    identities: [],
    header: { msg_id: `m${++n}`, msg_type: "complete_request" },
    parent_header: {},
    metadata: {},
    content: { code, cursor_pos: code.length },
    buffers: [],
  }) as unknown as Message;

const completion = { matches: ["toUpperCase"], cursor_start: 6, cursor_end: 11, metadata: {} };
const ports: MessagePort[] = [];
afterEach(() => ports.splice(0).forEach((p) => p.close()));

/** A route whose service is the other end of a real channel; `answered`/`unanswered` recorded. */
function setup() {
  const answered: string[] = [];
  const unanswered: string[] = [];
  const route = new LanguageRoute(
    { answered: (m) => answered.push(m.header.msg_id), unanswered: (m) => unanswered.push(m.header.msg_id) },
    true,
  );
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const received: QueryRequest[] = [];
  port2.on("message", (r: QueryRequest) => received.push(r));
  const service = {
    port: port2,
    received,
    say: (m: ToIoFromLanguage) => port2.postMessage(m),
  };
  return { route, answered, unanswered, service, attach: () => route.attach(port1) };
}

const turn = () => new Promise((r) => setTimeout(r, 20));
/** Port messages arrive on later turns of the event loop (setImmediate is not faked below). */
const until = async (done: () => boolean) => {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setImmediate(r));
};

describe("LanguageRoute", () => {
  it("wants requests only once the service is warm, unless a cell is running", async () => {
    const { route, service, attach } = setup();
    expect(route.wants(false)).toBe(false); // expected, not there: the runtime answers at once
    expect(route.wants(true)).toBe(true); // a cell runs: wait for the service instead
    attach();
    expect(route.wants(false)).toBe(false); // there, still warming up
    service.say({ warm: true });
    await turn();
    expect(route.wants(false)).toBe(true);
    route.detach();
    expect(route.wants(true)).toBe(false); // gone: everything goes to the runtime
  });

  it("sends the requests that came before the service to it when it attaches", async () => {
    const { route, answered, unanswered, service, attach } = setup();
    const early = request();
    route.ask(early);
    attach();
    await turn();
    expect(service.received.map((r) => r.id)).toEqual([early.header.msg_id]);
    expect(unanswered).toEqual([]);
    service.say({ id: early.header.msg_id, content: completion });
    await turn();
    expect(answered).toEqual([early.header.msg_id]);
  });

  it("keeps a request that comes during the warm-up until the warm-up is over, then gives it the usual 3 s", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { route, unanswered, service, attach } = setup();
      attach();
      const early = request("doubleIt(2).toFix"); // what only the types know: handed back by the runtime
      route.ask(early);
      await until(() => service.received.length > 0);
      vi.advanceTimersByTime(10_000); // a warm-up of 10 s on a loaded machine
      expect(unanswered).toEqual([]);
      service.say({ warm: true });
      await until(() => route.wants(false));
      vi.advanceTimersByTime(2_999);
      expect(unanswered).toEqual([]);
      vi.advanceTimersByTime(1); // no answer 3 s after the warm-up: on to the runtime
      expect(unanswered).toEqual([early.header.msg_id]);
    } finally {
      vi.useRealTimers();
    }
  });
});
