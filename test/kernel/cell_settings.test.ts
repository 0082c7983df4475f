import { describe, expect, it } from "vitest";
import { cellSettings, CellSettingsError, commentMode, stopsOnError } from "../../src/kernel/cell_settings.js";

const settingsError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CellSettingsError);
    return (err as Error).message;
  }
  throw new Error("expected a CellSettingsError");
};

describe("run mode from the first line", () => {
  it("queues by default and reads // queue, // task and // thread on the first non-empty line", () => {
    expect(cellSettings("1 + 1", undefined, false)).toEqual({ mode: "queue", raisesException: false });
    expect(cellSettings("\n\n  // task\nawait x", undefined, false).mode).toBe("task");
    expect(cellSettings("//queue\n1", undefined, false).mode).toBe("queue");
    expect(cellSettings("// thread\nwork()", undefined, false)).toEqual({ mode: "thread", thread: {}, raisesException: false });
  });

  it("looks at the first line only, and leaves ordinary comments alone", () => {
    expect(cellSettings("const a = 1\n// task", undefined, false).mode).toBe("queue");
    expect(commentMode("// task list for today\n1")).toBeUndefined();
    expect(commentMode("// threads are fun\n1")).toBeUndefined();
    expect(commentMode("/* task */ 1")).toBeUndefined();
  });

  it("reads thread options, quoted values included", () => {
    expect(cellSettings("// thread name=render backend=node\n1", undefined, false).thread).toEqual({ name: "render", backend: "node" });
    expect(commentMode('// thread name="My thread" loop=pure')).toEqual({ mode: "thread", thread: { name: "My thread", loop: "pure" } });
  });

  it("refuses bad thread options with a message that names the problem", () => {
    expect(settingsError(() => cellSettings("// thread nmae=x\n1", undefined, false))).toMatch(
      /unknown thread option "nmae".*expected name, backend, loop/,
    );
    expect(settingsError(() => cellSettings("// thread safe version\n1", undefined, false))).toMatch(/expected key=value pairs/);
    expect(settingsError(() => cellSettings("// thread backend=node\n1", undefined, false))).toMatch(/name=\.\.\. must be given/);
    expect(settingsError(() => cellSettings("// thread name=a name=b\n1", undefined, false))).toMatch(/given twice/);
    expect(settingsError(() => cellSettings('// thread name=""\n1', undefined, false))).toMatch(/is empty/);
  });
});

describe("tags", () => {
  it("choose the run mode, and win over the first-line comment", () => {
    expect(cellSettings("// thread\n1", ["task"], false).mode).toBe("task");
    expect(cellSettings("// task\n1", ["queue"], false).mode).toBe("queue");
    expect(cellSettings("1", ["thread name=gpu"], false)).toMatchObject({ mode: "thread", thread: { name: "gpu" } });
  });

  it("make silent requests run as tasks unless they ask for a thread", () => {
    expect(cellSettings("1", undefined, true).mode).toBe("task");
    expect(cellSettings("// queue\n1", undefined, true).mode).toBe("task");
    expect(cellSettings("// thread\n1", undefined, true).mode).toBe("thread");
  });

  it("normalise - and _ and ignore case in names, and parse their values", () => {
    expect(cellSettings("1", ["raises-exception"], false).raisesException).toBe(true);
    expect(cellSettings("1", ["raises_exception=false"], false).raisesException).toBe(false);
    expect(cellSettings("1", ["Stop-On-Error=False"], false).stopOnError).toBe(false);
    expect(cellSettings("1", ["stop_on_error = TRUE"], false).stopOnError).toBe(true);
    expect(cellSettings("1", ["timeout=2.5"], false).timeoutSeconds).toBe(2.5);
    expect(cellSettings("1", ["timeout=0"], false).timeoutSeconds).toBeUndefined();
  });

  it("leave the frontend's own tags alone", () => {
    expect(cellSettings("1", ["hide-input", "remove cell", "123"], false)).toEqual({ mode: "queue", raisesException: false });
  });

  it("refuse bad values and conflicting run modes", () => {
    expect(settingsError(() => cellSettings("1", ["timeout=soon"], false))).toMatch(/timeout must be a number of seconds/);
    expect(settingsError(() => cellSettings("1", ["timeout=-1"], false))).toMatch(/timeout must be a number/);
    expect(settingsError(() => cellSettings("1", ["stop-on-error=maybe"], false))).toMatch(/expected true or false, not "maybe"/);
    expect(settingsError(() => cellSettings("1", ["stop-on-error"], false))).toMatch(/needs a value/);
    expect(settingsError(() => cellSettings("1", ["task", "thread"], false))).toMatch(/conflicting run-mode tags/);
    expect(settingsError(() => cellSettings("1", ["task=yes"], false))).toMatch(/invalid run-mode tag/);
    expect(settingsError(() => cellSettings("1", "task", false))).toMatch(/must be a list of strings/);
    expect(settingsError(() => cellSettings("1", [3], false))).toMatch(/must be a list of strings/);
  });

  it("accept the same run-mode tag twice", () => {
    expect(cellSettings("1", ["task", "task"], false).mode).toBe("task");
  });
});

describe("stopsOnError", () => {
  it("follows the tag, else no for raises-exception and timeouts, else the request (default true)", () => {
    const base = cellSettings("1", undefined, false);
    expect(stopsOnError(base, undefined)).toBe(true);
    expect(stopsOnError(base, false)).toBe(false);
    expect(stopsOnError(cellSettings("1", ["raises-exception"], false), true)).toBe(false);
    expect(stopsOnError(cellSettings("1", ["timeout=1"], false), true)).toBe(false);
    expect(stopsOnError(cellSettings("1", ["timeout=1", "stop-on-error=true"], false), false)).toBe(true);
    expect(stopsOnError(cellSettings("1", ["stop-on-error=false"], false), true)).toBe(false);
  });
});

describe("settings comments (for clients that send no tags: nbclient, jupyter execute, consoles)", () => {
  it("read stop-on-error, timeout and raises-exception from the cell's first lines", () => {
    expect(cellSettings("// stop-on-error=false\nthrow 1", undefined, false)).toEqual({
      mode: "queue",
      raisesException: false,
      stopOnError: false,
    });
    expect(cellSettings("\n  // timeout=2.5\nawait x", undefined, false).timeoutSeconds).toBe(2.5);
    expect(cellSettings("// raises-exception\nthrow 1", undefined, false).raisesException).toBe(true);
    expect(cellSettings("//Stop_On_Error=FALSE timeout=3\n1", undefined, false)).toMatchObject({ stopOnError: false, timeoutSeconds: 3 });
  });

  it("combine with a run-mode comment, on lines of their own, in either order", () => {
    expect(cellSettings("// task\n// timeout=1\n1", undefined, false)).toMatchObject({ mode: "task", timeoutSeconds: 1 });
    expect(cellSettings("// stop-on-error=false\n// thread name=w\n1", undefined, false)).toMatchObject({
      mode: "thread",
      thread: { name: "w" },
      stopOnError: false,
    });
    expect(settingsError(() => cellSettings("// task\n// thread\n1", undefined, false))).toMatch(/conflicting run-mode comments/);
  });

  it("stop at the first line that is not a settings comment, and leave prose alone", () => {
    expect(cellSettings("const a = 1\n// stop-on-error=false", undefined, false).stopOnError).toBeUndefined();
    expect(cellSettings("// a note\n// timeout=1\n1", undefined, false).timeoutSeconds).toBeUndefined();
    expect(cellSettings("// timeout=5 is plenty\n1", undefined, false).timeoutSeconds).toBeUndefined();
    expect(cellSettings("// task list\n// timeout=1\n1", undefined, false)).toEqual({ mode: "queue", raisesException: false });
  });

  it("lose to tags, and refuse bad values as tags are refused", () => {
    expect(cellSettings("// stop-on-error=false\n1", ["stop-on-error=true"], false).stopOnError).toBe(true);
    expect(cellSettings("// timeout=9\n// thread bad options\n1", ["task"], false)).toMatchObject({ mode: "task", timeoutSeconds: 9 });
    expect(settingsError(() => cellSettings("// timeout=soon\n1", undefined, false))).toMatch(/timeout must be a number of seconds/);
    expect(settingsError(() => cellSettings("// stop-on-error\n1", undefined, false))).toMatch(/needs a value/);
  });

  it("count for stopsOnError as the tags do", () => {
    expect(stopsOnError(cellSettings("// stop-on-error=false\n1", undefined, false), true)).toBe(false);
    expect(stopsOnError(cellSettings("// timeout=1\n1", undefined, false), true)).toBe(false);
    expect(stopsOnError(cellSettings("// raises-exception\n1", undefined, false), true)).toBe(false);
  });
});
