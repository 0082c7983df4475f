import { describe, expect, test, vi } from "vitest";

describe("event_loop index", () => {
  test("exports the public API and loads no host", async () => {
    vi.resetModules();
    const api = await import("../../src/event_loop/index.js");
    expect(Object.keys(api).sort()).toEqual(["Host", "Outcome", "backendNames", "getBackend", "nodeBackend", "registerBackend", "run"]);
    expect(api.Host.registeredLoops()).toEqual([]);
    expect(api.backendNames()).toEqual(["node"]);
  });
});
