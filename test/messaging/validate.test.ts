import { describe, expect, it } from "vitest";
import { contentProblem } from "../../src/messaging/index.js";

describe("contentProblem (each request checked against its type)", () => {
  it("accepts well-formed requests, with the spec's optional fields left out", () => {
    expect(contentProblem("execute_request", { code: "1" })).toBeUndefined();
    expect(
      contentProblem("execute_request", {
        code: "1",
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: true,
        stop_on_error: true,
      }),
    ).toBeUndefined();
    expect(contentProblem("complete_request", { code: "a", cursor_pos: 1 })).toBeUndefined();
    expect(
      contentProblem("history_request", { hist_access_type: "range", output: false, raw: true, session: 0, start: 0, stop: null }),
    ).toBeUndefined();
    expect(contentProblem("comm_open", { comm_id: "c", target_name: "t", data: {} })).toBeUndefined();
    expect(contentProblem("kernel_info_request", {})).toBeUndefined();
  });

  it("names the field that is missing or of the wrong type", () => {
    expect(contentProblem("execute_request", {})).toBe("content.code is missing (a string)");
    expect(contentProblem("execute_request", { code: 5 })).toBe("content.code must be a string, got number");
    expect(contentProblem("execute_request", { code: "", silent: "yes" })).toBe("content.silent must be a boolean, got string");
    expect(contentProblem("execute_request", { code: "", user_expressions: [] })).toBe(
      "content.user_expressions must be an object, got an array",
    );
    expect(contentProblem("complete_request", { code: "", cursor_pos: 1.5 })).toBe(
      "content.cursor_pos must be an integer, got the number 1.5",
    );
    expect(contentProblem("inspect_request", { code: "", cursor_pos: 0, detail_level: 2 })).toBe(
      "content.detail_level must be one of 0, 1, got 2",
    );
    expect(contentProblem("history_request", { hist_access_type: "all" })).toBe(
      'content.hist_access_type must be one of "range", "tail", "search", got "all"',
    );
    expect(contentProblem("comm_msg", { data: {} })).toBe("content.comm_id is missing (a string)");
    expect(contentProblem("delete_subshell_request", { subshell_id: null })).toBe("content.subshell_id must be a string, got null");
  });

  it("leaves types it does not know to the receiver", () => {
    expect(contentProblem("debug_request", { anything: 1 })).toBeUndefined();
    expect(contentProblem("toString", {})).toBeUndefined();
  });
});
