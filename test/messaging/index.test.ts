import { describe, expect, it } from "vitest";

import * as messaging from "../../src/messaging/index.js";

describe("messaging/index", () => {
  it("re-exports the public API", () => {
    for (const name of [
      "DELIMITER",
      "WireError",
      "splitFrames",
      "joinFrames",
      "Signer",
      "ReplayCache",
      "Session",
      "PROTOCOL_VERSION",
      "isExecuteRequestMsg",
      "isKernelInfoRequestMsg",
      "isMessageType",
      "isShellMessageType",
      "isControlMessageType",
    ]) {
      expect(messaging).toHaveProperty(name);
    }
  });

  it("exports the same objects as the modules it re-exports", async () => {
    const session = await import("../../src/messaging/session.js");
    const wire = await import("../../src/messaging/wire.js");
    expect(messaging.Session).toBe(session.Session);
    expect(messaging.WireError).toBe(wire.WireError);
  });

  it("exposes no internals", () => {
    expect(messaging).not.toHaveProperty("Private");
  });
});
