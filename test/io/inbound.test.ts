import { describe, expect, it } from "vitest";
import { DROP_LOG_PER_SECOND, Inbound } from "../../src/io/inbound.js";
import { Session } from "../../src/messaging/index.js";

describe("Inbound (what arrives: verified, or logged and dropped)", () => {
  it("parses a signed message, and drops a badly signed one with a warning naming the reason", () => {
    const warnings: object[] = [];
    const kernel = new Session({ key: "right" });
    const inbound = new Inbound(kernel, { warn: (f) => warnings.push(f), error: () => {} });
    const good = new Session({ key: "right" }).message("kernel_info_request", {});
    const bad = new Session({ key: "wrong" }).message("kernel_info_request", {});
    expect(inbound.receive(good, "shell")?.header.msg_type).toBe("kernel_info_request");
    expect(inbound.receive(bad, "shell")).toBeUndefined();
    expect(warnings).toEqual([{ channel: "shell", code: "BAD_SIGNATURE", reason: "Invalid signature" }]);
  });

  it("logs at most DROP_LOG_PER_SECOND drops a second, and counts the rest in the next line", () => {
    const lines: [object, string][] = [];
    let now = 0;
    const inbound = new Inbound(new Session({ key: "k" }), { warn: (f, m) => lines.push([f, m]), error: () => {} }, () => now);
    for (let i = 0; i < DROP_LOG_PER_SECOND + 5; i++) inbound.dropped({ i }, "dropped");
    expect(lines).toHaveLength(DROP_LOG_PER_SECOND);
    now = 1000;
    inbound.dropped({ i: "next" }, "dropped");
    expect(lines.slice(DROP_LOG_PER_SECOND)).toEqual([
      [{ count: 5 }, "more invalid messages dropped without a log line"],
      [{ i: "next" }, "dropped"],
    ]);
  });
});
