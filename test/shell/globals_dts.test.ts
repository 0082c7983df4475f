/**
 * GLOBALS_DTS, the declarations a language service gets for cells, type-checked against the
 * implementation (kernel_module.ts, display.ts) by the TypeScript compiler: the declared module
 * and the implementation must be assignable to each other, and cell-like code must check.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, expect, test } from "vitest";
import { GLOBALS_DTS, KERNEL_TYPE_PATHS } from "../../src/shell/globals_dts.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = mkdtempSync(join(tmpdir(), "tsak-globals-dts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function diagnostics(files: Record<string, string>): string[] {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const program = ts.createProgram({
    rootNames: Object.keys(files).map((name) => join(dir, name)),
    options: {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2023.d.ts"],
      types: ["node"],
      typeRoots: [join(repo, "node_modules", "@types")],
      skipLibCheck: true,
      paths: KERNEL_TYPE_PATHS,
    },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

test("the declared ts-async-kernel module matches the implementation, both ways", () => {
  const impl = JSON.stringify(join(repo, "src", "shell", "kernel_module.js"));
  const check = `import * as impl from ${impl};
import * as declared from "ts-async-kernel";
import * as subpath from "ts-async-kernel/display";
export const d1: typeof declared.display = impl.display;
export const d2: typeof impl.display = declared.display;
export const u1: typeof declared.updateDisplay = impl.updateDisplay;
export const u2: typeof impl.updateDisplay = declared.updateDisplay;
export const c1: typeof declared.clearOutput = impl.clearOutput;
export const c2: typeof impl.clearOutput = declared.clearOutput;
export const o1: declared.DisplayCallOptions = {} as impl.DisplayCallOptions;
export const o2: impl.DisplayCallOptions = {} as declared.DisplayCallOptions;
export const s1: typeof declared.display = subpath.display;
export const i1: typeof declared.input = impl.input;
export const i2: typeof impl.input = declared.input;
export const p1: typeof declared.prompt = impl.prompt;
export const p2: typeof impl.prompt = declared.prompt;
export const f1: typeof declared.confirm = impl.confirm;
export const f2: typeof impl.confirm = declared.confirm;
export const io1: declared.InputOptions = {} as impl.InputOptions;
export const io2: impl.InputOptions = {} as declared.InputOptions;
// Interface methods compare their parameters loosely (bivariantly): compare them as properties.
type Strict<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => R : T[K] };
export const m1: Strict<declared.Display> = impl.display;
export const m2: Strict<typeof impl.display> = declared.display;
// The Caller's classes have private state, which makes classes nominal: compare what cells can
// use, the public members of instances and the static methods.
type Public<T> = { [K in keyof T]: T[K] };
export const k1: Public<declared.Caller> = {} as impl.Caller;
export const k2: Public<declared.Pending<number>> = {} as impl.Pending<number>;
export const k4: declared.ThreadEnded = {} as impl.ThreadEnded;
export const k5: impl.ThreadEnded = {} as declared.ThreadEnded;
export const k6: declared.CallerOptions = {} as impl.CallerOptions;
export const k7: impl.CallerOptions = {} as declared.CallerOptions;
export const k8: declared.FunctionRef = {} as impl.FunctionRef;
export const k9: impl.FunctionRef = {} as declared.FunctionRef;
export const s2: Pick<typeof declared.Caller, "current" | "mainThread" | "get" | "toThread" | "currentPending" | "ofThread"> = impl.Caller;
export const e1: typeof declared.PendingCancelled = impl.PendingCancelled;
export const e2: typeof declared.CallTimeout = impl.CallTimeout;
export const e3: typeof declared.ThreadEnded = impl.ThreadEnded;
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "check.ts": check })).toEqual([]);
});

test("cells see display, updateDisplay and clearOutput as typed globals, and no kernel internals", () => {
  const cell = `display({ a: 1 });
display.html("<b>x</b>", { displayId: "d1" });
display.png(new Uint8Array([1, 2]));
display.json({ ok: true }, { metadata: { expanded: true } });
updateDisplay("d1", 2);
clearOutput({ wait: true });
const same: typeof import("ts-async-kernel").display = display;
// @ts-expect-error html takes a string
display.html(42);
// @ts-expect-error the kernel's internals are not declared
__tsak_import("x");
import { Caller, untilFinished } from "ts-async-kernel";
const work = Caller.get({ name: "work" });
const sum: Promise<number> = work.call({ source: "(a, b) => a + b" }, 1, 2) as Promise<number>;
const local: Promise<string> = Caller.current().callLater(0.5, (s: string) => s.toUpperCase(), "x");
const fib = Caller.toThread({ module: "./work.ts", export: "fib" }, 30);
fib.cancel("enough");
const letGo: Promise<void> = untilFinished(fib);
// @ts-expect-error a local function's arguments are checked
Caller.current().call((n: number) => n, "not a number");
// @ts-expect-error Callers come from Caller.get, current and mainThread
new Caller();
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "cell.ts": cell })).toEqual([]);
});

test("cells see input, prompt and confirm as typed globals, the module's functions", () => {
  const cell = `export {};
const name: string = await input("Name? ");
const secret: Promise<string> = input("Secret: ", { password: true });
const who: string = prompt("Who?", "nobody");
const sure: boolean = confirm("Sure?");
const same1: typeof import("ts-async-kernel").input = input;
const same2: typeof import("ts-async-kernel").prompt = prompt;
const same3: typeof import("ts-async-kernel").confirm = confirm;
// @ts-expect-error input resolves with a string, not a number
const n: number = await input();
// @ts-expect-error no such option
input("x", { hidden: true });
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "cell.ts": cell })).toEqual([]);
});

test("cells see comms and widgets with their types, from the module and the widgets global", () => {
  const cell = `import { Comm, registerCommTarget, IntSlider, widgets as w2 } from "ts-async-kernel";
import { Dropdown } from "ts-async-kernel/widgets";
const s = new widgets.IntSlider({ value: 3, layout: { width: "100px" }, description: "n" });
const v: number = s.value;
s.observe((c) => { const n: number = c.new; console.log(n, c.old, c.name); }, "value");
s.layout.width = "200px";
const same: IntSlider = new w2.IntSlider();
const typed: widgets.IntSlider = same;
const state: widgets.IntSliderState["value"] = typed.value;
const d = new Dropdown({ options: [["one", 1], ["two", 2]], value: 2 });
const picked: number | null = d.value;
d.observe((c) => console.log(c.new), "label");
new widgets.Button({ description: "go" }).onClick((b) => console.log(b.description));
const out = new widgets.Output();
const r: number | undefined = out.capture(() => 1);
display(new widgets.HBox({ children: [s, out] }));
widgets.jslink([s, "value"], [new widgets.Play(), "value"]);
const c = new Comm("target", { data: { a: 1 }, buffers: [new Uint8Array(1), new ArrayBuffer(2)] });
c.send({ b: 2 }, { metadata: { m: 1 } });
c.onMsg((m) => console.log(m.content.data, m.buffers.length, m.header.msg_id));
registerCommTarget("t", (comm, msg) => comm.send({ echo: msg.content.data }));
// @ts-expect-error an IntSlider's value is a number
s.value = "three";
// @ts-expect-error no such option
new widgets.Text({ valeu: "x" });
// @ts-expect-error observe names are attributes
s.observe(() => {}, "valeu");
// @ts-expect-error the comm plumbing is not part of the cell API
import("ts-async-kernel").then((m) => m.comms);
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "cell.ts": cell })).toEqual([]);
});

test("Deno.jupyter and the tslab module are declared as implemented, both ways", () => {
  const impl = JSON.stringify(join(repo, "src", "shell", "kernel_module.js"));
  const tslab = JSON.stringify(join(repo, "src", "shell", "tslab.js"));
  const check = `import * as impl from ${impl};
import * as implTslab from ${tslab};
import * as declared from "ts-async-kernel";
import * as declaredTslab from "tslab";
const j = impl.Deno.jupyter;
const d = declared.Deno.jupyter;
export const a1: typeof d.display = j.display;
export const a2: typeof j.display = d.display;
export const b1: typeof d.format = j.format;
export const b2: typeof j.format = d.format;
export const c1: typeof d.broadcast = j.broadcast;
export const c2: typeof j.broadcast = d.broadcast;
// Displayable's key is a unique symbol in each declaration: compare what the functions take
type Args<F> = F extends (...args: infer A) => unknown ? A : never;
export const e1: Args<typeof d.image> = [] as unknown as Args<typeof j.image>;
export const e2: Args<typeof j.image> = [] as unknown as Args<typeof d.image>;
export const m1: Args<typeof d.md> = [] as unknown as Args<typeof j.md>;
export const m2: Args<typeof j.md> = [] as unknown as Args<typeof d.md>;
export const h1: Args<typeof d.html> = [] as unknown as Args<typeof j.html>;
export const s1: Args<typeof d.svg> = [] as unknown as Args<typeof j.svg>;
export const o1: declared.DenoDisplayOptions = {} as impl.DenoDisplayOptions;
export const o2: impl.DenoDisplayOptions = {} as declared.DenoDisplayOptions;
export const u1: typeof declared.DenoApiUnavailable = impl.DenoApiUnavailable;
export const t1: typeof declaredTslab.display = implTslab.display;
export const t2: typeof implTslab.display = declaredTslab.display;
export const t3: typeof declaredTslab.newDisplay = implTslab.newDisplay;
export const t4: typeof declaredTslab.versions = implTslab.versions;
export const t5: typeof declaredTslab.default = implTslab.default;
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "check.ts": check })).toEqual([]);
});

test("cells see Deno.jupyter, $$ and the tslab module with their types", () => {
  const cell = `import * as tslab from "tslab";
import tslabDefault from "tslab";
const { md, html, svg, display: show, broadcast, $display } = Deno.jupyter;
const shown: Promise<void> = Deno.jupyter.display({ "text/html": "<b>x</b>" }, { raw: true, display_id: "a" });
md\`# Title \${1}\`;
html\`<b>\${"x"}</b>\`;
svg\`<svg></svg>\`;
await broadcast("comm_open", { comm_id: "c", target_name: "t", data: {} }, { metadata: { version: "2.1.0" } });
class Chart { [$display]() { return { "text/html": "<i>chart</i>" }; } }
const bundle: Promise<import("ts-async-kernel").MediaBundle> = Deno.jupyter.format(new Chart());
show(Deno.jupyter.image(new Uint8Array(4)));
tslab.display.html("<b>x</b>");
tslab.newDisplay().text("x");
tslabDefault.display.png(new Uint8Array(1));
const v: string = tslab.versions.typescript;
$$.async();
setTimeout(() => $$.sendResult(42), 10);
$$.display("d").html("<b>y</b>");
// @ts-expect-error tslab's html takes a string
tslab.display.html(42);
// @ts-expect-error Deno's display options are Deno's (display_id)
Deno.jupyter.display(1, { displayId: "x" });
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "cell.ts": cell })).toEqual([]);
});

test("cells see AnyWidget with the state they give it typed, directly and in a subclass", () => {
  const cell = `import { AnyWidget } from "ts-async-kernel";
const _esm = "export default { render({ model, el }) { el.textContent = model.get('value'); } }";
const w = new widgets.AnyWidget({ _esm, _css: ".x { color: red }", value: 0, label: "n" });
const v: number = w.value;
const l: string = w.label;
w.observe((c) => { const n: number = c.new; console.log(n); }, "value");
w.send({ kind: "ping" }, [new Uint8Array(1)]);
w.onMsg<{ kind: string }>((msg, buffers) => console.log(msg.kind, buffers.length));
w.layout.width = "100px";
class Counter extends widgets.AnyWidget<{ value: number; step: number }> {
  static _esm = new URL("file:///tmp/counter.js");
  static _css = "button { color: blue }";
  static defaults = { value: 0, step: 1 };
  bump(): void { this.value += this.step; }
}
const c = new Counter({ step: 2 });
c.bump();
const n: number = c.value;
const base: AnyWidget = c;
const typed: widgets.AnyWidget<{ value: number; step: number }> = c;
const some: widgets.SomeWidget = typed;
display(c);
// @ts-expect-error the state's kinds are known
c.value = "ten";
// @ts-expect-error a subclass's options are its state
new Counter({ valeu: 1 });
// @ts-expect-error observe names are attributes
c.observe(() => {}, "valeu");
`;
  expect(diagnostics({ "kernel.d.ts": GLOBALS_DTS, "cell.ts": cell })).toEqual([]);
});
