"""The TypeScript execution engine through jupyter_client: cells behave like a TypeScript program
(transpile, top-level await, re-runnable declarations, modules, results and errors, display API,
completion with types, user_expressions), on the real kernel process."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, describe, run_cli
from kernel_helpers import (STARTUP_TIMEOUT, collect_iopub, drain_iopub, evaluate, execute,
                            get_reply, quiet_client, running_kernel)

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(120)]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def notebook_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A notebook directory with packages in node_modules, as `npm install` would leave them."""
    d = tmp_path_factory.mktemp("notebook")
    esm = d / "node_modules" / "esm-only-pkg"
    write(esm / "package.json", json.dumps({
        "name": "esm-only-pkg", "version": "1.0.0", "type": "module",
        "exports": {".": {"types": "./index.d.ts", "import": "./index.js"}}}))
    write(esm / "index.js", "export const shout = (s) => s.toUpperCase() + '!';\nexport default 42;\n")
    write(esm / "index.d.ts", "/** Shouts. */\nexport declare function shout(s: string): string;\n"
          "declare const answer: number;\nexport default answer;\n")
    cjs = d / "node_modules" / "cjs-pkg"
    write(cjs / "package.json", json.dumps({"name": "cjs-pkg", "version": "1.0.0", "main": "main.js"}))
    write(cjs / "main.js", "exports.twice = (n) => n * 2;\nexports.name = 'cjs';\n")
    write(d / "geometry.ts", "import { square } from './square'\n"
          "export interface Circle { r: number }\n"
          "export function area(c: Circle): number { return Math.round(Math.PI * square(c.r)) }\n")
    write(d / "square.ts", "export const square = (x: number): number => x * x\n")
    # a package that reads globals, as packages do
    reads = d / "node_modules" / "reads-globals"
    write(reads / "package.json", json.dumps({"name": "reads-globals", "version": "1.0.0", "type": "module", "exports": "./index.js"}))
    write(reads / "index.js", "export const globalsSeen = () => [typeof fetch, typeof process.version, typeof setTimeout];\n")
    return d


@pytest.fixture(scope="module")
def kernel(notebook_dir: Path) -> Iterator[tuple[KernelManager, Any]]:
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(notebook_dir))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def kc(kernel):
    return quiet_client(*kernel)


def ok(kc, code: str):
    ex = execute(kc, code)
    assert ex.content["status"] == "ok", f"`{code}` failed: {ex.describe()}"
    return ex


def complete(kc, code: str, cursor: int | None = None) -> dict[str, Any]:
    r = get_reply(kc, kc.complete(code, len(code) if cursor is None else cursor))
    assert r["content"]["status"] == "ok", r["content"]
    return r["content"]


def language_ready(kc) -> None:
    """Wait until the TypeScript language service answers (its replies carry match kinds)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if complete(kc, '"abc".')["metadata"].get("_jupyter_types_experimental"):
            return
        time.sleep(0.1)
    raise AssertionError("the language service never answered")


# 1. Transpile path; type errors are warnings only when asked for.
def test_typescript_runs_unchecked_and_type_errors_are_opt_in_warnings(kc) -> None:
    assert evaluate(kc, "function id<T>(x: T): T { return x }\nid<number>(5) satisfies number") == "5"
    # A type error does not stop a cell: no check unless asked.
    ex = ok(kc, "const wrong: number = 'text' as unknown as number; typeof wrong")
    assert ex.result_text == "'string'" and ex.of_type("stream") == [], ex.describe()
    ex = ok(kc, "// @ts-check\nconst wrong2: number = 'text';")
    stderr = "".join(m["content"]["text"] for m in ex.of_type("stream") if m["content"]["name"] == "stderr")
    assert "error TS2322" in stderr and ":2:7" in stderr, ex.describe()


# 2. Top-level await everywhere.
def test_top_level_await_in_loops_and_results(kc) -> None:
    assert evaluate(kc, "async function* g() { yield 1; yield 2; yield 3 }\n"
                        "let total = 0\nfor await (const v of g()) total += v\ntotal") == "6"
    assert evaluate(kc, "(await Promise.resolve({ v: 5 })).v") == "5"
    assert evaluate(kc, "`${await Promise.resolve('a')}-${await Promise.resolve('b')}`") == "'a-b'"


# 3. Declarations persist and can be re-run.
@pytest.mark.parametrize("code,use,expected", [
    ("const c1 = 1", "c1 + 1", "2"),
    ("let l1 = 'x'", "l1", "'x'"),
    ("var v1 = 3", "v1", "3"),
    ("function f1() { return 'f' }", "f1()", "'f'"),
    ("class K1 { get v() { return 7 } }", "new K1().v", "7"),
    ("enum E1 { A = 2, B }", "E1.B", "3"),
    ("namespace N1 { export const inner = 'n' }", "N1.inner", "'n'"),
    ("import { shout } from 'esm-only-pkg'", "shout('hi')", "'HI!'"),
])
def test_declarations_persist_and_rerun(kc, code: str, use: str, expected: str) -> None:
    ok(kc, code)
    ok(kc, code)  # the same cell again: no "already declared"
    assert evaluate(kc, use) == expected


def test_type_declarations_reach_later_cells_completion(kc) -> None:
    language_ready(kc)
    ok(kc, "interface Later { quota: number; reason: string }\ntype Alias = { zeta: boolean }")
    c = complete(kc, "declare const lv: Later; lv.")
    assert c["matches"] == ["quota", "reason"], c
    assert complete(kc, "({} as Alias).z")["matches"] == ["zeta"]


# 4. Modules from the notebook's directory.
def test_esm_only_and_commonjs_packages_and_builtins(kc) -> None:
    assert evaluate(kc, "import answer, { shout as s2 } from 'esm-only-pkg'\n[answer, s2('a')]") == "[ 42, 'A!' ]"
    assert evaluate(kc, "import cjs, { twice } from 'cjs-pkg'\n[cjs.name, twice(4)]") == "[ 'cjs', 8 ]"
    assert evaluate(kc, "require('cjs-pkg').twice(5)") == "10"
    assert evaluate(kc, "(await import('esm-only-pkg')).default") == "42"
    assert evaluate(kc, "import { sep } from 'node:path'\nimport os from 'os'\n[sep, typeof os.cpus]") == "[ '/', 'function' ]"


def test_relative_typescript_files_import_each_other(kc) -> None:
    assert evaluate(kc, "import { area } from './geometry.ts'\narea({ r: 2 })") == "13"
    assert evaluate(kc, "import * as geo from './geometry'\ngeo.area({ r: 1 })") == "3"
    language_ready(kc)
    assert complete(kc, "import * as g2 from './geometry'; g2.")["matches"] == ["area"]


def test_missing_package_is_a_clear_error(kc) -> None:
    ex = execute(kc, "import nothing from 'no-such-package-here'")
    assert ex.content["status"] == "error", ex.describe()
    assert "no-such-package-here" in ex.content["evalue"], ex.content


# 5. Results and errors.
def test_traceback_names_the_cells_line_and_hides_kernel_frames(kc) -> None:
    ex = execute(kc, "function inner() {\n  throw new RangeError('deep')\n}\ninner()")
    assert ex.content["status"] == "error", ex.describe()
    assert ex.content["ename"] == "RangeError" and ex.content["evalue"] == "deep"
    tb = "\n".join(ex.content["traceback"])
    count = ex.content["execution_count"]
    assert f"In[{count}]:2" in tb and f"In[{count}]:4" in tb, tb
    assert "/dist/" not in tb and "node:internal" not in tb, tb
    [err] = ex.of_type("error")
    assert err["content"]["traceback"] == ex.content["traceback"]


def test_syntax_error_shows_the_line(kc) -> None:
    ex = execute(kc, "const fine = 1\nconst broken = ;")
    assert ex.content["status"] == "error" and ex.content["ename"] == "SyntaxError", ex.describe()
    assert "const broken = ;" in "\n".join(ex.content["traceback"])


def test_the_last_expression_is_the_result_also_with_a_trailing_semicolon(kc) -> None:
    """TypeScript style ends statements with `;`: Deno, tslab and IJavascript show `x;`."""
    assert ok(kc, "1 + 1;").result_text == "2"
    assert ok(kc, "const fromSemicolon = [1, 2];\nfromSemicolon;").result_text == "[ 1, 2 ]"
    assert ok(kc, "await Promise.resolve('awaited');").result_text == "'awaited'"
    assert ok(kc, "// thread\n3 * 3;").result_text == "9"
    # `void` hides a value, and a last statement that is no expression has none
    assert ok(kc, "void fromSemicolon.length;").result_text is None
    assert ok(kc, "if (fromSemicolon) { 1 }").result_text is None


def test_the_semicolon_install_option_keeps_ipythons_convention(installed_kernelspecs) -> None:
    name = "ts-async-semicolon"
    proc = run_cli("install", "--prefix", str(installed_kernelspecs.prefix), "--name", name, "--semicolon-hides-result")
    assert proc.returncode == 0, describe(proc)
    spec = json.loads((installed_kernelspecs.kernels_dir / name / "kernel.json").read_text())
    assert "--semicolon-hides-result" in spec["argv"]
    assert spec["metadata"]["ts_async_kernel"]["semicolon_hides_result"] is True
    # a history of its own: the history tests here count on the shared kernel's sessions
    env = {**os.environ, "TS_ASYNC_KERNEL_HISTORY": "off"}
    with running_kernel(name, start_kwargs={"env": env}) as (km, kc):
        assert execute(kc, "1 + 1;").result_text is None
        assert execute(kc, "1 + 1").result_text == "2"
        assert execute(kc, "// thread\n3 * 3;").result_text is None
        assert execute(kc, "// thread\n3 * 3").result_text == "9"


# 6. Display API.
def test_display_api_mime_types(kc) -> None:
    ex = ok(kc, "display.html('<b>b</b>'); display.markdown('*m*'); display.svg('<svg></svg>');\n"
                "display.latex('$x$'); display.json({a: 1});\n"
                "display.plotly({ data: [{ x: [1], y: [2] }] });\n"
                "display.vegalite({ mark: 'bar', data: { values: [] } });\n"
                "display({ 'text/html': '<i>raw</i>' }, { raw: true })")
    mimes = [next(k for k in m["content"]["data"] if k != "text/plain") for m in ex.of_type("display_data")]
    assert mimes[:5] == ["text/html", "text/markdown", "image/svg+xml", "text/latex", "application/json"], mimes
    assert "application/vnd.plotly.v1+json" in mimes and any(m.startswith("application/vnd.vegalite") for m in mimes)
    assert mimes[-1] == "text/html"


def test_updating_display_and_clear_output(kc) -> None:
    ex = ok(kc, "display('first', { displayId: 'progress' })\n"
                "await new Promise(r => setTimeout(r, 20))\n"
                "updateDisplay('progress', 'second')\nclearOutput({ wait: true })")
    [shown] = ex.of_type("display_data")
    [updated] = ex.of_type("update_display_data")
    assert shown["content"]["transient"] == {"display_id": "progress"}
    assert updated["content"]["transient"] == {"display_id": "progress"}
    assert updated["content"]["data"]["text/plain"] == "'second'"
    [cleared] = ex.of_type("clear_output")
    assert cleared["content"] == {"wait": True}


def test_objects_supply_their_own_mime_bundle(kc) -> None:
    ex = ok(kc, "({ [Symbol.for('jupyter.mimebundle')]() { return { 'text/html': '<b>me</b>' } } })")
    [result] = ex.of_type("execute_result")
    assert result["content"]["data"]["text/html"] == "<b>me</b>"
    assert "text/plain" in result["content"]["data"]


def test_output_after_the_reply_reaches_the_cell_that_started_it(kc) -> None:
    ex = ok(kc, "setTimeout(() => { console.log('late'); process.stdout.write('later\\n') }, 100); 'now'")
    late = collect_iopub_after(kc, ex.msg_id)
    text = "".join(m["content"]["text"] for m in late if m["msg_type"] == "stream")
    assert text == "late\nlater\n", late


def test_images_are_base64_from_bytes_or_text(kc) -> None:
    # The 8 bytes of a PNG signature, and a JPEG's start: display.png/jpeg take bytes or base64 text.
    ex = ok(kc, "display.png(new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]))\n"
                "display.jpeg(Buffer.from([0xff, 0xd8, 0xff]))\n"
                "display.png('iVBORw0KGgo=', { metadata: { width: 8 } })")
    shown = ex.of_type("display_data")
    assert [list(m["content"]["data"]) for m in shown] == [["image/png", "text/plain"], ["image/jpeg", "text/plain"],
                                                            ["image/png", "text/plain"]], shown
    assert shown[0]["content"]["data"]["image/png"] == "iVBORw0KGgo="
    assert shown[1]["content"]["data"]["image/jpeg"] == "/9j/"
    assert shown[2]["content"]["data"]["image/png"] == "iVBORw0KGgo="
    assert shown[2]["content"]["metadata"] == {"width": 8}


def test_output_from_promises_and_stderr_after_the_reply(kc) -> None:
    # Not a timer: a promise chain the cell left running, and the stderr stream.
    ex = ok(kc, "Promise.resolve().then(() => new Promise(r => setImmediate(r)))\n"
                "  .then(() => { console.error('from a promise'); process.stderr.write('raw stderr\\n') })\n"
                "  .then(() => fetch('data:text/plain,fetched')).then(r => r.text()).then(t => console.log(t));\n"
                "'started'")
    late = [m for m in ex.iopub + collect_iopub_after(kc, ex.msg_id) if m["msg_type"] == "stream"]
    err = "".join(m["content"]["text"] for m in late if m["content"]["name"] == "stderr")
    out = "".join(m["content"]["text"] for m in late if m["content"]["name"] == "stdout")
    assert err == "from a promise\nraw stderr\n", late
    assert out == "fetched\n", late


def collect_iopub_after(kc, parent_id: str, wait: float = 1.0) -> list[dict[str, Any]]:
    got = []
    for m in drain_iopub(kc, quiet=wait):
        if (m.get("parent_header") or {}).get("msg_id") == parent_id:
            got.append(m)
    return got


# 7. Completion while another cell runs.
def test_completion_answers_while_a_cell_awaits(kernel, kc) -> None:
    km = kernel[0]
    language_ready(kc)
    ok(kc, "const busyTarget = { alpha: 1, beta: 2 }")
    # a cell that never ends by itself: whatever completion answers, it answers while the cell awaits
    msg_id = kc.execute("await new Promise(() => {})")
    time.sleep(0.2)
    c = complete(kc, "busyTarget.")
    assert c["matches"] == ["alpha", "beta"], c
    km.interrupt_kernel()
    assert get_reply(kc, msg_id, timeout=15)["content"]["ename"] == "KernelInterrupt"
    collect_iopub(kc, msg_id)


def test_completion_right_after_a_start_is_answered_while_the_language_service_warms_up() -> None:
    """The language service takes 1.3 to 3 s to warm up after a start or restart; JupyterLab's
    completer gives up after 1 s. From the first kernel_info_reply on, each completion is answered
    at once by the runtime (no match kinds) until the service is warm, then by the service (with
    match kinds): none waits for the warm-up, and each has the right match."""
    with running_kernel(KERNEL_NAME) as (_km, kc):  # start_new_kernel: right after kernel_info_reply
        code = "'abc'.toUpp"
        answered_by: list[str] = []
        deadline = time.monotonic() + 30
        while not answered_by or answered_by[-1] == "runtime":
            assert time.monotonic() < deadline, f"the language service never answered: {answered_by}"
            c = complete(kc, code)
            assert "toUpperCase" in c["matches"] and (c["cursor_start"], c["cursor_end"]) == (6, 11), c
            answered_by.append("service" if c["metadata"].get("_jupyter_types_experimental") else "runtime")
            time.sleep(0.05)  # as a user typing, not a flood competing with the warm-up for the CPU
        # The service starts after the shell and warms up for over a second: the requests sent
        # meanwhile (one every ~50 ms) are the runtime's. Waiting for the service, the second
        # one would already have come back typed.
        assert answered_by.count("runtime") >= 3, answered_by
        # And a warm service answers what it can from then on.
        assert complete(kc, code)["metadata"].get("_jupyter_types_experimental"), "the warm service did not answer"
    # What only the types know (a member of a call's result) waits for the warm service instead.
    with running_kernel(KERNEL_NAME) as (_km, kc):
        c = complete(kc, "function doubleIt(n: number) { return 2 * n }\ndoubleIt(2).toFix")
        assert c["matches"] == ["toFixed"] and c["metadata"].get("_jupyter_types_experimental"), c


def test_completion_of_package_types_and_keywords(kc) -> None:
    language_ready(kc)
    # A package's members come from its .d.ts (esm-only-pkg in the notebook's node_modules).
    ok(kc, "import * as esm from 'esm-only-pkg'")
    assert "shout" in complete(kc, "esm.")["matches"]
    # Node's own types (@types/node), for a built-in imported under another name.
    ok(kc, "import * as nodeFs from 'node:fs'")
    assert "readFileSync" in complete(kc, "nodeFs.readF")["matches"]
    # Keywords where a statement starts.
    assert "return" in complete(kc, "function kw() { retu")["matches"]
    c = complete(kc, "awa")
    assert "await" in c["matches"], c


def test_inspect_gives_signature_and_docs_and_more_at_detail_level_1(kc) -> None:
    language_ready(kc)
    ok(kc, "/** Adds two numbers, carefully. */\nfunction carefulAdd(a: number, b: number): number { return a + b }")
    code = "carefulAdd(1, 2)"
    plain = get_reply(kc, kc.inspect(code, 3, detail_level=0))["content"]
    assert plain["status"] == "ok" and plain["found"], plain
    assert "carefulAdd(a: number, b: number): number" in plain["data"]["text/plain"], plain
    assert "Adds two numbers, carefully." in plain["data"]["text/plain"], plain
    assert "carefulAdd" in plain["data"]["text/markdown"] and "Adds two numbers" in plain["data"]["text/markdown"], plain
    detailed = get_reply(kc, kc.inspect(code, 3, detail_level=1))["content"]
    assert detailed["found"], detailed
    assert len(detailed["data"]["text/plain"]) > len(plain["data"]["text/plain"]), detailed
    # A package's declaration, with its JSDoc, from its .d.ts.
    shout = get_reply(kc, kc.inspect("esm.shout", 8))["content"]
    assert shout["found"] and "Shouts." in shout["data"]["text/plain"], shout


def pager(kc, name: str) -> str:
    """What `?name` (IPython's pager syntax) shows: the page payload of its execute_reply."""
    reply = get_reply(kc, kc.execute(f"?{name}"))["content"]
    assert reply["status"] == "ok", reply
    return reply["payload"][0]["data"]["text/plain"]


def test_a_cell_function_shows_the_source_written_not_the_kernels_instrumentation(kc) -> None:
    language_ready(kc)
    ok(kc, "interface Pt { x: number; y: number }\ntype PtId = string | number\n"
           "function areaOf(p: Pt): number {\n  let s = 0\n  for (let i = 0; i < 2; i++) s += p.x\n"
           "  setTimeout(() => {}, 0)\n  return s * p.y\n}")
    written = "function areaOf(p: Pt): number {\n  let s = 0\n  for (let i = 0; i < 2; i++) s += p.x\n  setTimeout(() => {}, 0)\n  return s * p.y\n}"
    # toString is the JavaScript the cell compiles to (what Deno and tslab give), and it runs
    as_js = written.replace("(p: Pt): number", "(p)")
    assert ok(kc, f"areaOf.toString() === {json.dumps(as_js)}").result_text == "true", ok(kc, "areaOf.toString()").result_text
    assert ok(kc, "new Function('return ' + areaOf.toString())()({ x: 2, y: 3 })").result_text == "12"
    assert ok(kc, "Function.prototype.toString.toString()").result_text == "'function toString() { [native code] }'"
    # the pager and inspection show the cell's own text, types included, without instrumentation
    page = pager(kc, "areaOf")
    assert written in page and "__tsak" not in page, page
    detailed = get_reply(kc, kc.inspect("areaOf", 6, detail_level=1))["content"]
    assert written in detailed["data"]["text/plain"] and "__tsak" not in detailed["data"]["text/plain"], detailed
    # names that are only types are answered from the types
    for name, shown in [("Pt", "interface Pt"), ("PtId", "type PtId = string | number")]:
        found = get_reply(kc, kc.inspect(name, len(name)))["content"]
        assert found["found"] and shown in found["data"]["text/plain"], found
        assert shown in pager(kc, name)


# 9. user_expressions.
def test_user_expressions_after_the_cell(kc) -> None:
    msg_id = kc.execute("const ue = 21", user_expressions={"double": "ue * 2", "bad": "nope.x"})
    reply = get_reply(kc, msg_id)["content"]
    assert reply["user_expressions"]["double"]["data"]["text/plain"] == "42", reply
    assert reply["user_expressions"]["bad"]["status"] == "error", reply


# 10. History across restarts (runs last: it restarts the module's kernel).
def test_history_survives_a_restart(kernel, kc) -> None:
    km, _ = kernel
    marker = f"'history-marker-{time.time_ns()}'"
    ok(kc, marker)
    before = get_reply(kc, kc.history(hist_access_type="tail", n=1, output=True))["content"]["history"]
    [(session, line, (inp, out))] = before
    assert inp == marker and out == marker, before
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
    after = get_reply(kc, kc.history(hist_access_type="tail", n=50))["content"]["history"]
    assert [session, line, marker] in [list(e) for e in after], after
    previous = get_reply(kc, kc.history(hist_access_type="range", session=-1, start=line, stop=line + 1))["content"]["history"]
    assert [list(e) for e in previous] == [[session, line, marker]], previous
    found = get_reply(kc, kc.history(hist_access_type="search", pattern="*history-marker-*", unique=True))["content"]["history"]
    assert [e[2] for e in found][-1] == marker, found


# JSX and TSX (issue 13): React's automatic runtime from the notebook's node_modules.
def test_jsx_cells_show_react_elements_as_html(examples_node_modules) -> None:
    from conftest import EXAMPLES_DIR
    with running_kernel(KERNEL_NAME, start_kwargs={"cwd": str(EXAMPLES_DIR)}) as (km, kc):
        ex = execute(kc, "const items: string[] = ['a', 'b'];\n<ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>")
        assert ex.content["status"] == "ok", ex.describe()
        [result] = [m for m in ex.iopub if m["msg_type"] == "execute_result"]
        assert result["content"]["data"]["text/html"] == "<ul><li>a</li><li>b</li></ul>"
        # a cell without JSX keeps its `<T>x` casts
        assert execute(kc, "const n: unknown = 2;\n(<number>n) + 1").result_text == "3"
        # a bad element: the cell's error, at its line
        bad = execute(kc, "const x = 1;\nconst el = <div>{x}</di")
        assert bad.content["status"] == "error" and bad.content["ename"] == "SyntaxError", bad.describe()


# Issue 12: TypeScript's semantics in cells.
def test_const_is_constant_across_cells_and_in_functions(kc) -> None:
    ok(kc, "const fixedK = 1;\nfunction bumpK() { fixedK++ }")
    for code in ["fixedK = 2", "bumpK()", "const fixedK2 = 1; fixedK2 = 3"]:
        ex = execute(kc, code)
        assert ex.content["status"] == "error", ex.describe()
        assert (ex.content["ename"], ex.content["evalue"]) == ("TypeError", "Assignment to constant variable."), ex.describe()
    assert ok(kc, "fixedK").result_text == "1"
    # running the declaring cell again works, and so does declaring the name with another kind
    assert ok(kc, "const fixedK = 5; fixedK").result_text == "5"
    assert ok(kc, "let fixedK = 6; fixedK += 1; fixedK").result_text == "7"


def test_a_notebook_name_that_node_has_is_the_notebooks_packages_keep_nodes(kc) -> None:
    ex = ok(kc, "const fetch = 'mine', process = { version: 1 };\nimport { globalsSeen } from 'reads-globals'\n"
                "[fetch, process.version, globalsSeen(), typeof globalThis.fetch]")
    assert ex.result_text == "[ 'mine', 1, [ 'function', 'string', 'function' ], 'function' ]", ex.result_text
    assert not [m for m in ex.iopub if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"], "no warning is needed"
    assert ok(kc, "fetch.length").result_text == "4"


def test_a_failed_import_declares_nothing(kc) -> None:
    ex = execute(kc, "const beforeImport = 1;\nimport { nope } from 'no-such-package-anywhere'")
    assert ex.content["status"] == "error", ex.describe()
    for name in ["nope", "beforeImport"]:
        err = execute(kc, name)
        assert (err.content["ename"], err.content["evalue"]) == ("ReferenceError", f"{name} is not defined"), err.describe()

