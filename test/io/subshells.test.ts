import { describe, expect, it } from "vitest";
import { MAX_SUBSHELLS, Subshells } from "../../src/io/subshells.js";
import type { Header } from "../../src/messaging/index.js";

const header = (subshell_id?: unknown) =>
  ({ msg_id: "m", msg_type: "execute_request", ...(subshell_id === undefined ? {} : { subshell_id }) }) as unknown as Header;

const created = (s: Subshells): string => {
  const r = s.create();
  if (!("id" in r)) throw new Error("create failed");
  return r.id;
};

describe("Subshells (the I/O worker's registry)", () => {
  it("creates unique ids and lists them in creation order", () => {
    const s = new Subshells();
    const a = created(s);
    const b = created(s);
    expect(a).not.toBe(b);
    expect(s.list()).toEqual([a, b]);
  });

  it("deletes a subshell, and answers an error for an id that does not exist", () => {
    const s = new Subshells();
    const a = created(s);
    expect(s.delete({ subshell_id: a })).toEqual({ id: a });
    expect(s.list()).toEqual([]);
    expect(s.delete({ subshell_id: a })).toEqual({
      error: { status: "error", ename: "SubshellNotFound", evalue: `there is no subshell with id "${a}"`, traceback: [] },
    });
    const missing = s.delete({});
    expect("error" in missing && missing.error.evalue).toMatch(/needs content.subshell_id/);
  });

  it("lets the main shell and live subshells through, and refuses anything else", () => {
    const s = new Subshells();
    const a = created(s);
    expect(s.refusal(header())).toBeUndefined();
    expect(s.refusal(header(null))).toBeUndefined();
    expect(s.refusal(header(a))).toBeUndefined();
    expect(s.refusal(header("gone"))).toMatchObject({ status: "error", ename: "SubshellNotFound" });
    s.delete({ subshell_id: a });
    expect(s.refusal(header(a))?.evalue).toMatch(/create one with create_subshell_request/);
  });

  it("bounds how many subshells exist", () => {
    const s = new Subshells();
    for (let i = 0; i < MAX_SUBSHELLS; i++) created(s);
    const over = s.create();
    expect("error" in over && over.error.ename).toBe("SubshellLimit");
  });
});
