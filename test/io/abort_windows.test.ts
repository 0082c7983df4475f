import { describe, expect, it } from "vitest";
import { AbortWindows, clientTime, DATE_SLACK_MS, DATES_MS, SAME_CLOCK_MS } from "../../src/io/abort_windows.js";
import type { Header } from "../../src/messaging/index.js";

/** A clock the test moves; 0 on it is ORIGIN ms since the epoch. */
const ORIGIN = Date.UTC(2025, 0, 1);
function clock() {
  let t = 1000;
  return { now: () => t, set: (ms: number) => (t = ms) };
}

/** An ISO date at `ms` on this clock, shifted by `skew` (the client's clock), with `digits` fractional digits. */
function date(ms: number, skew = 0, digits = 6): string {
  const at = ORIGIN + ms + skew;
  const whole = Math.floor(at / 1000) * 1000;
  const frac = String(Math.floor(((at - whole) / 1000) * 10 ** digits)).padStart(digits, "0");
  return `${new Date(whole).toISOString().slice(0, 19) + (digits ? `.${frac}` : "")}Z`;
}

let ids = 0;
function header(made: number, opts: { session?: string; subshell?: string; skew?: number; digits?: number; date?: unknown } = {}): Header {
  return {
    msg_id: `m${++ids}`,
    msg_type: "execute_request",
    session: opts.session ?? "client",
    username: "u",
    date: "date" in opts ? opts.date : date(made, opts.skew, opts.digits),
    version: "5.3",
    ...(opts.subshell ? { subshell_id: opts.subshell } : {}),
  } as unknown as Header;
}

/** A client that sends `failed` (made at 900, arrives at 1000 after 0.1 ms of transit on its way). */
function failedAt(windows: AbortWindows, c: ReturnType<typeof clock>, sentAt: number, opts: Parameters<typeof header>[1] = {}): Header {
  c.set(1000);
  const failed = header(999.9, opts);
  expect(windows.arrived(failed)).toBe(false);
  c.set(sentAt);
  windows.open(failed, sentAt);
  return failed;
}

describe("clientTime", () => {
  it("reads jupyter_client's microseconds and a browser's milliseconds, with their resolution", () => {
    expect(clientTime("2025-01-01T00:00:00.123456Z")).toEqual({ at: ORIGIN + 123.456, resolution: 0.001 });
    expect(clientTime("2025-01-01T00:00:00.123Z")).toEqual({ at: ORIGIN + 123, resolution: 1 });
    expect(clientTime("2025-01-01T00:00:01Z")).toEqual({ at: ORIGIN + 1000, resolution: 1000 });
    expect(clientTime("2025-01-01T01:00:00.5+01:00")).toEqual({ at: ORIGIN + 500, resolution: 100 });
  });

  it("gives nothing for what is not an ISO date", () => {
    for (const bad of ["", "yesterday", "2025-01-01", "2025-13-45T99:99:99Z", 17, null, undefined, {}])
      expect(clientTime(bad)).toBeUndefined();
  });
});

describe("AbortWindows", () => {
  it("by default, a request made just before the reply (within the clocks' drift) runs; one made earlier is aborted", () => {
    const c = clock();
    const w = new AbortWindows(0, c.now, ORIGIN);
    failedAt(w, c, 1010);
    c.set(1011);
    expect(w.arrived(header(1010 - DATE_SLACK_MS + 0.5))).toBe(false);
    expect(w.arrived(header(1010 - DATE_SLACK_MS - 0.5))).toBe(true);
  });

  it("aborts what the failing client made before the reply went out, whenever it arrives, and nothing it made after", () => {
    const c = clock();
    const w = new AbortWindows(0, c.now, ORIGIN, 0);
    failedAt(w, c, 1002);
    c.set(1003);
    expect(w.arrived(header(1001.5))).toBe(true); // made before the reply, delivered late
    c.set(1500);
    expect(w.arrived(header(1001.99))).toBe(true); // a slow relay
    expect(w.arrived(header(1002.01))).toBe(false); // made after the reply went out: runs
    c.set(1002 + DATES_MS);
    expect(w.arrived(header(1001))).toBe(false); // the window is over
  });

  it("aborts nothing but the failing shell's requests, and only its own client's by date", () => {
    const c = clock();
    const w = new AbortWindows(0, c.now, ORIGIN, 0);
    failedAt(w, c, 1002, { subshell: "s1" });
    c.set(1003);
    expect(w.arrived(header(1001, { subshell: "s1" }))).toBe(true);
    expect(w.arrived(header(1001))).toBe(false); // the main shell
    expect(w.arrived(header(1001, { subshell: "s2" }))).toBe(false);
    expect(w.arrived(header(1001, { subshell: "s1", session: "another client" }))).toBe(false);
    w.forget("s1");
    expect(w.arrived(header(1001, { subshell: "s1" }))).toBe(false);
  });

  it("with a window, aborts what arrives within it, from any client", () => {
    const c = clock();
    const w = new AbortWindows(5, c.now, ORIGIN, 0);
    failedAt(w, c, 1002);
    c.set(1006.9);
    expect(w.arrived(header(1006, { session: "another client" }))).toBe(true);
    c.set(1007.1);
    expect(w.arrived(header(1006.9))).toBe(true); // made within the window
    expect(w.arrived(header(1007.05))).toBe(false);
    expect(w.arrived(header(1006, { session: "another client" }))).toBe(false);
  });

  it("takes a browser's millisecond dates at their latest", () => {
    const c = clock();
    const w = new AbortWindows(0, c.now, ORIGIN, 0);
    failedAt(w, c, 1002.5, { digits: 3 });
    c.set(1004);
    expect(w.arrived(header(1001.9, { digits: 3 }))).toBe(true); // 1001, so made before 1002
    expect(w.arrived(header(1002.2, { digits: 3 }))).toBe(false); // 1002: maybe made after 1002.5
  });

  it("tells the reply's moment on a client clock that is off: early by the shortest transit, or late by SAME_CLOCK_MS at most", () => {
    for (const skew of [-5000, -3, 0, 0.5, 3, 5000]) {
      const c = clock();
      const w = new AbortWindows(0, c.now, ORIGIN, 0);
      // Earlier requests of this client: the fastest took 0.1 ms.
      c.set(500);
      w.arrived(header(499.9, { skew }));
      c.set(600);
      w.arrived(header(598, { skew }));
      failedAt(w, c, 1002, { skew });
      c.set(1010);
      expect(w.arrived(header(1002 - 0.1 - 0.01, { skew })), `skew ${skew}`).toBe(true);
      expect(w.arrived(header(1002 + SAME_CLOCK_MS + 0.01, { skew })), `skew ${skew}`).toBe(false);
    }
  });

  it("follows a client's clock that drifts (the offset is measured afresh)", () => {
    const c = clock();
    const w = new AbortWindows(0, c.now, ORIGIN, 0);
    c.set(0);
    w.arrived(header(-0.1, { skew: 10 })); // 10 ms ahead then
    for (const t of [10_000, 20_000, 30_000]) {
      c.set(t);
      w.arrived(header(t - 0.1)); // in step now
    }
    c.set(30_001);
    const failed = header(30_000.9);
    w.arrived(failed);
    w.open(failed, 30_002);
    c.set(30_003);
    expect(w.arrived(header(30_002.5))).toBe(false); // after the reply: with the old offset it would be aborted
    expect(w.arrived(header(30_001.5))).toBe(true);
  });

  it("without a date (or one that cannot be read) only the window counts", () => {
    const c = clock();
    const w = new AbortWindows(0, c.now, ORIGIN, 0);
    failedAt(w, c, 1002);
    c.set(1003);
    expect(w.arrived(header(0, { date: "" }))).toBe(false);
    const c2 = clock();
    const w2 = new AbortWindows(0, c2.now, ORIGIN, 0);
    failedAt(w2, c2, 1002, { date: "not a date" });
    c2.set(1003);
    expect(w2.arrived(header(1000))).toBe(false);
  });
});
