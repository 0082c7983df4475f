"""The debugger, driven through jupyter_client as JupyterLab's debugger panel drives it.

JupyterLab (packages/debugger/src/service.ts, session.ts) sends DAP requests in `debug_request`
on control and reads DAP events from `debug_event` on iopub: initialize, attach, debugInfo,
dumpCell and setBreakpoints per cell, configurationDone, setExceptionBreakpoints; while stopped
stackTrace, scopes, variables, evaluate, next, continue; then disconnect. A cell's file is
`tmpFilePrefix + murmur2(code, hashSeed) + tmpFileSuffix`, computed here as the frontend does.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
# ipykernel (a dependency of the pinned JupyterLab) computes cell names as JupyterLab's hash.ts does
from ipykernel.compiler import murmur2_x86

from conftest import KERNEL_NAME
from kernel_helpers import (
    TIMEOUT,
    collect_iopub,
    execute,
    get_reply,
    kernel_process,
    running_kernel,
    send_control,
    summarize,
    wait_exit,
)

pytestmark = pytest.mark.timeout(120)


class Dap:
    """A DAP client over a kernel's control and iopub channels (what JupyterLab's session does)."""

    def __init__(self, kc):
        self.kc = kc
        self.seq = 0
        # iopub messages read while waiting for something else
        self.iopub: list[dict[str, Any]] = []

    def send(self, content: dict[str, Any]) -> dict[str, Any]:
        """One debug_request with this content; its debug_reply's content (busy and idle around it)."""
        msg_id = send_control(self.kc, "debug_request", content)
        reply = get_reply(self.kc, msg_id, channel="control")
        assert reply["msg_type"] == "debug_reply", summarize(reply)
        self.wait_iopub(lambda m: m["parent_header"].get("msg_id") == msg_id
                        and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle",
                        f"idle after debug_request {content.get('command')}")
        return reply["content"]

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        self.seq += 1
        content: dict[str, Any] = {"type": "request", "seq": self.seq, "command": command}
        if arguments is not None:
            content["arguments"] = arguments
        response = self.send(content)
        assert response["type"] == "response" and response["command"] == command, response
        assert response["request_seq"] == self.seq, response
        return response

    def ok(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """The body of a request that must succeed."""
        response = self.request(command, arguments)
        assert response["success"] is True, f"{command} {arguments}: {response}"
        return response.get("body", {})

    def wait_iopub(self, match, what: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        for k, m in enumerate(self.iopub):
            if match(m):
                return self.iopub.pop(k)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=0.1)
            except Empty:
                continue
            if match(m):
                return m
            self.iopub.append(m)
        raise AssertionError(f"no {what} within {timeout}s; iopub: {[summarize(m) for m in self.iopub][-20:]}")

    def of_request(self, msg_id: str) -> list[dict[str, Any]]:
        """Every iopub message of a request, up to its idle (some may have been read already)."""
        got = [m for m in self.iopub if m["parent_header"].get("msg_id") == msg_id]
        self.iopub = [m for m in self.iopub if m["parent_header"].get("msg_id") != msg_id]
        if not any(m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" for m in got):
            got += collect_iopub(self.kc, msg_id, others=self.iopub)
        return got

    def event(self, name: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next DAP event of this name."""
        m = self.wait_iopub(lambda m: m["msg_type"] == "debug_event" and m["content"]["event"] == name,
                            f"debug_event {name}", timeout)
        return m["content"]

    def no_event(self, name: str, quiet: float = 0.5) -> None:
        try:
            got = self.event(name, timeout=quiet)
        except AssertionError:
            return
        raise AssertionError(f"unexpected debug_event {name}: {got}")

    def start(self) -> dict[str, Any]:
        """JupyterLab's start: initialize (its arguments), attach, debugInfo; the debugInfo body."""
        caps = self.ok("initialize", {
            "clientID": "jupyterlab", "clientName": "JupyterLab", "adapterID": KERNEL_NAME,
            "pathFormat": "path", "linesStartAt1": True, "columnsStartAt1": True,
            "supportsVariableType": True, "supportsVariablePaging": True,
            "supportsRunInTerminalRequest": True, "locale": "en"})
        assert caps.get("supportsConfigurationDoneRequest") is True, caps
        self.ok("attach", {})
        self.event("initialized")
        return self.ok("debugInfo")

    def breakpoints(self, code: str, lines: list[int]) -> str:
        """dumpCell and setBreakpoints for a cell, as the frontend does; the cell's path."""
        path = self.ok("dumpCell", {"code": code})["sourcePath"]
        body = self.ok("setBreakpoints", {"source": {"path": path},
                                          "breakpoints": [{"line": n} for n in lines],
                                          "lines": lines, "sourceModified": False})
        assert [b["line"] for b in body["breakpoints"]] == lines, body
        assert all(b["verified"] for b in body["breakpoints"]), body
        return path

    def frames(self) -> list[dict[str, Any]]:
        return self.ok("stackTrace", {"threadId": 1})["stackFrames"]

    def variables(self, frame_id: int, scope: str) -> dict[str, str]:
        scopes = {s["name"]: s for s in self.ok("scopes", {"frameId": frame_id})["scopes"]}
        assert scope in scopes, f"no scope {scope}: {list(scopes)}"
        got = self.ok("variables", {"variablesReference": scopes[scope]["variablesReference"]})
        return {v["name"]: v["value"] for v in got["variables"]}


def cell_path(info: dict[str, Any], code: str) -> str:
    """The path JupyterLab computes for a cell (DebuggerConfig.getCodeId)."""
    assert info["hashMethod"] == "Murmur2", info
    return f"{info['tmpFilePrefix']}{murmur2_x86(code, info['hashSeed'])}{info['tmpFileSuffix']}"


def stopped(dap: Dap, reason: str) -> dict[str, Any]:
    event = dap.event("stopped")
    assert event["body"]["reason"] == reason, event
    assert event["body"]["threadId"] == 1 and event["body"]["allThreadsStopped"] is True, event
    return event


@pytest.fixture(scope="module")
def kernel():
    with running_kernel(KERNEL_NAME) as (km, kc):
        yield km, kc


@pytest.fixture
def dap(kernel):
    km, kc = kernel
    assert km.is_alive(), "the kernel died in an earlier test"
    client = Dap(kc)
    yield client
    # whatever the test left: resume everything, forget every breakpoint
    client.request("disconnect", {"restart": False, "terminateDebuggee": False})
    while True:
        try:
            kc.get_iopub_msg(timeout=0.2)
        except Empty:
            break
    while True:
        try:
            kc.get_shell_msg(timeout=0.05)
        except Empty:
            break


def test_kernel_info_and_kernelspec_offer_the_debugger(kernel, installed_kernelspecs) -> None:
    km, kc = kernel
    spec = json.loads((installed_kernelspecs.default_dir / "kernel.json").read_text())
    # JupyterLab offers its debugger for a kernel whose kernelspec says so (service.ts isAvailable)
    assert spec["metadata"]["debugger"] is True, spec["metadata"]
    info = get_reply(kc, kc.kernel_info())["content"]
    assert info["debugger"] is True, info
    assert "debugger" in info["supported_features"], info


def test_breakpoint_step_variables_evaluate_continue(kernel, dap) -> None:
    km, kc = kernel
    info = dap.start()
    assert info["isStarted"] is True and info["stoppedThreads"] == [], info
    assert info["tmpFileSuffix"] == ".ts" and info["tmpFilePrefix"].endswith("/"), info
    for field in ("breakpoints", "richRendering", "exceptionPaths", "copyToGlobals"):
        assert field in info, f"debugInfo has no {field}: {info}"
    # TypeScript the user sees: types, an interface over three lines
    code = (
        "interface Point {\n"
        "  x: number;\n"
        "}\n"
        "function scale(p: Point, k: number): number {\n"
        "  const scaled: number = p.x * k;\n"
        "  const shifted = scaled + 1;\n"
        "  return shifted;\n"
        "}\n"
        "const result = scale({ x: 3 }, 7);\n"
        "console.log('result is', result);\n"
        "result"
    )
    path = dap.breakpoints(code, [6])
    # the path JupyterLab computes, holding the cell as the user wrote it
    assert path == cell_path(info, code)
    assert Path(path).read_text() == code
    dap.ok("configurationDone", {})
    dap.ok("setExceptionBreakpoints", {"filters": []})
    assert dap.ok("debugInfo")["breakpoints"] == [{"source": path, "breakpoints": [{"line": 6}]}]

    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    assert dap.ok("debugInfo")["stoppedThreads"] == [1]
    assert dap.ok("threads")["threads"] == [{"id": 1, "name": "main thread"}]
    frames = dap.frames()
    # the function's frame, then the cell's top level; none of the kernel's own
    assert [re.sub(r"\d+", "n", f["name"]) for f in frames] == ["scale (In[n])", "In[n]"], frames
    assert [f["source"]["path"] for f in frames] == [path, path], frames
    assert [f["line"] for f in frames] == [6, 9], frames
    locals_ = dap.variables(frames[0]["id"], "Locals")
    assert locals_["k"] == "7" and locals_["scaled"] == "21", locals_
    assert locals_["shifted"] == "undefined", locals_
    assert locals_["p"] == "{x: 3}", locals_
    assert not any(name.startswith("__tsak") for name in locals_), locals_
    # the notebook's names, without the kernel's own (no `require`, `display`, `__tsak_*`)
    notebook = dap.variables(frames[0]["id"], "Globals")
    assert "scale" in notebook and "result" in notebook, notebook
    assert not ({"require", "display", "console", "process"} & set(notebook)), notebook
    assert dap.ok("evaluate", {"expression": "scaled * 2 + k", "frameId": frames[0]["id"],
                               "context": "repl"})["result"] == "49"

    dap.ok("next", {"threadId": 1})
    stopped(dap, "step")
    frames = dap.frames()
    assert frames[0]["line"] == 7 and frames[0]["source"]["path"] == path, frames
    assert dap.variables(frames[0]["id"], "Locals")["shifted"] == "22"

    body = dap.ok("continue", {"threadId": 1})
    assert body.get("allThreadsContinued") is True, body
    dap.event("continued")
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    out = dap.of_request(msg_id)
    assert "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream") == "result is 22\n", \
        [summarize(m) for m in out]
    assert [m["content"]["data"]["text/plain"] for m in out if m["msg_type"] == "execute_result"] == ["22"]
    assert dap.ok("debugInfo")["stoppedThreads"] == []

    dap.ok("disconnect", {"restart": False, "terminateDebuggee": False})
    assert dap.ok("debugInfo")["isStarted"] is False
    # the kernel answers as before, and the breakpoint is gone with the debugger
    ex = execute(kc, code)
    assert ex.content["status"] == "ok" and ex.result_text == "22", ex.describe()


def test_breakpoint_on_a_cells_first_line_stops_before_it_and_steps_to_the_next(kernel, dap) -> None:
    """Line 1 of a cell's script also holds a statement of the kernel's (transform/rewrite.ts
    BEGIN): the user sees a stop before their first statement, and one step goes to line 2."""
    km, kc = kernel
    dap.start()
    code = "let first = 1;\nlet second = first + 1;\nsecond"
    dap.breakpoints(code, [1])
    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    frames = dap.frames()
    assert frames[0]["line"] == 1, frames
    assert dap.variables(frames[0]["id"], "Locals")["first"] == "undefined"
    dap.ok("next", {"threadId": 1})
    stopped(dap, "step")
    frames = dap.frames()
    assert frames[0]["line"] == 2, frames
    assert dap.variables(frames[0]["id"], "Locals")["first"] == "1"
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_each_stop_has_frame_ids_of_its_own(kernel, dap) -> None:
    """JupyterLab keeps its selected frame when a new stack has a frame of the same path and id
    (packages/debugger callstack model, `getFrameId`): it then neither moves the cell's highlight
    nor asks for the variables again. A step must give new ids, and an old id is refused."""
    km, kc = kernel
    dap.start()
    code = "function f() {\n  let a = 1;\n  a += 1;\n  return a;\n}\nf()"
    dap.breakpoints(code, [3])
    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    before = dap.frames()
    assert before[0]["line"] == 3 and dap.variables(before[0]["id"], "Locals")["a"] == "1", before
    dap.ok("next", {"threadId": 1})
    stopped(dap, "step")
    after = dap.frames()
    assert after[0]["line"] == 4, after
    assert not ({f["id"] for f in before} & {f["id"] for f in after}), (before, after)
    assert dap.variables(after[0]["id"], "Locals")["a"] == "2"
    stale = dap.request("scopes", {"frameId": before[0]["id"]})
    assert stale["success"] is False and "no frame" in stale["message"], stale
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_variables_of_primitive_values_have_no_type(kernel, dap) -> None:
    """JupyterLab's Variables tree shows a variable's `type` instead of its value for any type
    but Python's int/float/bool/str (packages/debugger variables `convertType`): a primitive is
    sent without one (its value says it), so the tree shows `total: 3`, not `total: number`."""
    km, kc = kernel
    dap.start()
    code = ("function g() {\n  const n = 3, s = 'x', b = true, u = undefined, z = null, big = 2n;\n"
            "  const arr = [1], fn = () => 1;\n  return n;\n}\ng()")
    dap.breakpoints(code, [4])
    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    frame = dap.frames()[0]
    scopes = {s["name"]: s for s in dap.ok("scopes", {"frameId": frame["id"]})["scopes"]}
    got = {v["name"]: v for v in dap.ok("variables", {"variablesReference": scopes["Locals"]["variablesReference"]})["variables"]}
    shown = {name: (v["value"], v.get("type")) for name, v in got.items()}
    assert shown["n"] == ("3", None) and shown["s"] == ('"x"', None) and shown["b"] == ("true", None), shown
    assert shown["u"] == ("undefined", None) and shown["z"] == ("null", None) and shown["big"] == ("2n", None), shown
    assert shown["arr"] == ("Array(1) [1]", "Array") and shown["fn"][1] == "function", shown
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_what_a_cell_printed_before_its_breakpoint_shows_while_it_is_paused(kernel, dap) -> None:
    km, kc = kernel
    dap.start()
    code = "console.log('one');\nconsole.log('two');\nlet printed = 2;"
    dap.breakpoints(code, [3])
    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    text = ""
    while text != "one\ntwo\n":
        m = dap.wait_iopub(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream",
                           f"the cell's output so far ({text!r})")
        text += m["content"]["text"]
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_breakpoint_in_a_cell_that_ran_before_attach(kernel, dap) -> None:
    """A function of an earlier cell (never dumped): its frame names that cell's file."""
    km, kc = kernel
    earlier = "function twice(n: number): number {\n  const d = n * 2;\n  return d;\n}"
    assert execute(kc, earlier).content["status"] == "ok"
    info = dap.start()
    caller = "let got = twice(5);\ngot"
    dap.breakpoints(caller, [1])
    msg_id = kc.execute(caller)
    stopped(dap, "breakpoint")
    dap.ok("stepIn", {"threadId": 1})
    stopped(dap, "step")
    frames = dap.frames()
    assert frames[0]["name"].startswith("twice (In["), frames
    assert frames[0]["line"] == 2, frames
    # the frontend finds the earlier cell by its path; its text is there for a source view
    assert frames[0]["source"]["path"] == cell_path(info, earlier), frames
    assert Path(frames[0]["source"]["path"]).read_text() == earlier
    assert dap.ok("source", {"source": {"path": frames[0]["source"]["path"]}})["content"] == earlier
    assert frames[1]["source"]["path"] == cell_path(info, caller), frames
    dap.ok("stepOut", {"threadId": 1})
    stopped(dap, "step")
    frames = dap.frames()
    assert frames[0]["source"]["path"] == cell_path(info, caller) and frames[0]["name"].startswith("In["), frames
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_line_numbers_of_a_cell_tsc_compiles(kernel, dap) -> None:
    """A decorated class is compiled by tsc, whose output has lines of its own: a pause in it
    shows the cell's line, not the script's."""
    km, kc = kernel
    dap.start()
    dap.ok("setExceptionBreakpoints", {"filters": ["raised"]})
    code = (
        "function logged(value: any, context: ClassDecoratorContext) {}\n"
        "@logged\n"
        "class Meter {\n"
        "  read(): number {\n"
        "    throw new RangeError('no reading');\n"
        "  }\n"
        "}\n"
        "try { new Meter().read(); } catch { }"
    )
    msg_id = kc.execute(code)
    event = stopped(dap, "exception")
    assert event["body"].get("text") == "RangeError: no reading", event
    frames = dap.frames()
    assert [re.sub(r"\d+", "n", f["name"]) for f in frames] == ["read (In[n])", "In[n]"], frames
    assert [f["line"] for f in frames] == [5, 8], frames
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_uncaught_exceptions_stop_where_thrown_and_caught_ones_do_not(kernel, dap) -> None:
    """The "uncaught" filter: an exception no try … catch of the notebook catches (the kernel's own
    catch does not count) stops where it is thrown; caught ones, also by an awaiting caller and
    in a caller's frame, run on. "raised" stops on both."""
    km, kc = kernel
    dap.start()
    filters = {f["filter"] for f in dap.ok("initialize", {"adapterID": KERNEL_NAME})["exceptionBreakpointFilters"]}
    assert filters == {"raised", "uncaught"}, filters
    dap.ok("setExceptionBreakpoints", {"filters": ["uncaught"]})
    caught = {
        "in its own try": "try {\n  JSON.parse('{');\n} catch {}\n1",
        "by a caller": "function inner(): number { throw new Error('inner'); }\n"
                       "function outer() { try { return inner(); } catch { return 5; } }\nouter()",
        "by an awaiting caller": "async function later() { await null; throw new Error('later'); }\n"
                                 "try { await later(); } catch {}\n2",
    }
    for what, code in caught.items():
        reply = get_reply(kc, kc.execute(code))
        assert reply["content"]["status"] == "ok", (what, reply["content"])
    dap.no_event("stopped")
    uncaught = [
        ("function check(n: number) {\n  if (n > 2) throw new RangeError('too big');\n}\ncheck(3)", "RangeError: too big", 2),
        ("await null;\nthrow new TypeError('after await')", "TypeError: after await", 2),
        ("try { JSON.parse('{'); } catch {\n  throw new Error('again');\n}", "Error: again", 2),
    ]
    for code, text, line in uncaught:
        msg_id = kc.execute(code)
        event = stopped(dap, "exception")
        assert event["body"]["text"] == text, event
        assert dap.frames()[0]["line"] == line, dap.frames()
        dap.ok("continue", {"threadId": 1})
        assert get_reply(kc, msg_id)["content"]["status"] == "error"
    dap.ok("setExceptionBreakpoints", {"filters": ["raised"]})
    msg_id = kc.execute(caught["in its own try"])
    assert stopped(dap, "exception")["body"]["text"].startswith("SyntaxError"), "raised stops on a caught one"
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"
    dap.ok("setExceptionBreakpoints", {"filters": []})
    assert get_reply(kc, kc.execute(uncaught[0][0]))["content"]["status"] == "error"
    dap.no_event("stopped")


def test_breakpoints_in_a_cell_tsc_compiles_stop_on_the_cells_lines(kernel, dap) -> None:
    """The script of a decorated class's cell has lines of its own: breakpoints set on the cell's
    lines (before it ever ran) stop on those lines."""
    km, kc = kernel
    dap.start()
    code = (
        "function tracked(value: any, context: ClassDecoratorContext) {}\n"
        "@tracked\n"
        "class Gauge {\n"
        "  read(): number {\n"
        "    const reading: number = 42;\n"
        "    return reading;\n"
        "  }\n"
        "}\n"
        "const gauge = new Gauge();\n"
        "const shown = gauge.read();\n"
        "shown"
    )
    dap.breakpoints(code, [6, 10])
    msg_id = kc.execute(code)
    for line, local in ((10, ("gauge", "Gauge {}")), (6, ("reading", "42"))):
        stopped(dap, "breakpoint")
        frames = dap.frames()
        assert frames[0]["line"] == line, frames
        assert dap.variables(frames[0]["id"], "Locals")[local[0]] == local[1]
        dap.ok("continue", {"threadId": 1})
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    # run again (a new script): the breakpoints move to it too
    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    assert dap.frames()[0]["line"] == 10
    dap.ok("disconnect", {})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"


def test_inspect_variables_idle_and_while_a_cell_runs(kernel, dap) -> None:
    """JupyterLab's Variables panel when nothing is stopped: the notebook's names, asked at every
    output of a cell (DebuggerHandler), also while the cell keeps the main thread busy."""
    km, kc = kernel
    # no debugger attached: nothing to ask, nothing shown
    assert dap.ok("inspectVariables")["variables"] == []
    dap.start()
    assert execute(kc, "const inventory = { apples: 3 };\nlet counted = 7").content["status"] == "ok"
    got = {v["name"]: v for v in dap.ok("inspectVariables")["variables"]}
    assert got["counted"]["value"] == "7" and got["inventory"]["value"] == "{apples: 3}", got
    assert not ({"require", "display", "console", "process"} & set(got)), sorted(got)
    assert not any(name.startswith("__tsak") for name in got), sorted(got)
    inner = dap.ok("variables", {"variablesReference": got["inventory"]["variablesReference"]})["variables"]
    assert {v["name"]: v["value"] for v in inner}["apples"] == "3", inner
    msg_id = kc.execute("while (true) {\n  counted++;\n}")
    dap.wait_iopub(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input",
                   "the cell's execute_input")
    # the loop never yields: a value past 7 was read while it ran
    seen = []
    while len(seen) < 50 and (not seen or int(seen[-1]) <= 7):
        seen.append({v["name"]: v["value"] for v in dap.ok("inspectVariables")["variables"]}["counted"])
    assert int(seen[-1]) > 7, seen
    get_reply(kc, send_control(kc, "interrupt_request"), channel="control")
    assert get_reply(kc, msg_id)["content"]["ename"] == "KernelInterrupt"


def test_debugger_statement_pauses_only_while_attached(kernel, dap) -> None:
    km, kc = kernel
    # no debugger: a `debugger;` statement is nothing
    ex = execute(kc, "let passes = 0;\ndebugger;\npasses++")
    assert ex.content["status"] == "ok", ex.describe()
    dap.start()
    msg_id = kc.execute("debugger;\npasses++")
    stopped(dap, "breakpoint")
    assert dap.frames()[0]["line"] == 1
    dap.ok("continue", {"threadId": 1})
    assert get_reply(kc, msg_id)["content"]["status"] == "ok"
    dap.ok("disconnect", {})
    ex = execute(kc, "debugger;\npasses")
    assert ex.content["status"] == "ok" and ex.result_text == "2", ex.describe()
    dap.no_event("stopped")


def test_evaluate_takes_typescript_and_the_notebooks_names_as_cells_see_them(kernel, dap) -> None:
    """What the user types into the debugger is TypeScript, as in a cell: types are stripped, and at
    a cell's top level a notebook name bound under an identifier of its own (`fetch`, which Node
    has) is the notebook's, not Node's; in a function's frame a local of that name is the local."""
    km, kc = kernel
    ex = execute(kc, "const fetch: number = 40;")
    assert ex.content["status"] == "ok", ex.describe()
    dap.start()
    code = "function inner(fetch: string) {\n  debugger;\n  return fetch;\n}\nconst total: number = fetch + 2;\ndebugger;\ninner('local')"
    msg_id = kc.execute(code)
    stopped(dap, "breakpoint")
    top = dap.frames()[0]
    assert top["line"] == 6, top

    def evaluate(expression: str, frame: dict) -> str:
        return dap.ok("evaluate", {"expression": expression, "frameId": frame["id"], "context": "repl"})["result"]

    assert evaluate("(total as number) * 2", top) == "84"
    assert evaluate("fetch!", top) == "40"
    assert evaluate("const half: number = total / 2; half", top) == "21"
    assert evaluate("[1, 2].map((n: number): number => n + total)", top) == "Array(2) [43, 44]"
    # text that does not parse is refused with the reason, and the stop goes on
    bad = dap.request("evaluate", {"expression": "total as", "frameId": top["id"], "context": "repl"})
    assert bad["success"] is False and "SyntaxError" in bad["message"], bad
    dap.ok("continue", {"threadId": 1})
    stopped(dap, "breakpoint")
    inner = dap.frames()[0]
    assert inner["line"] == 2, inner
    assert evaluate("(fetch as string).toUpperCase()", inner) == '"LOCAL"'
    dap.ok("continue", {"threadId": 1})
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    dap.ok("disconnect", {})


@pytest.mark.parametrize("where", ["synchronous part", "after an await", "thread cell"])
def test_a_cells_timeout_does_not_count_the_time_it_is_stopped(kernel, dap, where: str) -> None:
    """A `timeout` is the time the cell's code had to run: stopped at a breakpoint for longer than
    that, it still finishes; running longer than that, it still times out. Also a `// thread`
    cell, whose thread is stopped while the main thread keeps the time."""
    km, kc = kernel
    dap.start()
    # the settings on the first lines, then the cell's code
    first = {"synchronous part": "// timeout=1\n", "after an await": "// timeout=1\nawait null;\n",
             "thread cell": "// thread\n// timeout=1\n"}[where]

    def stop() -> int:
        return thread_stopped(dap, "breakpoint") if where == "thread cell" else stopped(dap, "breakpoint")["body"]["threadId"]

    # after the stop: a guarded loop (the deadline's flag), then a wait (the cell's timer)
    code = f"{first}let laps = 0;\ndebugger;\nfor (let i = 0; i < 3; i++) laps++;\nawait new Promise((r) => setTimeout(r, 50));\nlaps"
    msg_id = kc.execute(code)
    tid = stop()
    time.sleep(2.5)  # stopped for longer than its timeout, with every timer of the kernel running
    dap.ok("continue", {"threadId": tid})
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in dap.of_request(msg_id) if m["msg_type"] == "execute_result"] == ["3"]
    # the code's own time still counts: a cell that runs on past its timeout is stopped
    msg_id = kc.execute(f"{first}debugger;\nwhile (true) {{}}")
    tid = stop()
    dap.ok("continue", {"threadId": tid})
    reply = get_reply(kc, msg_id, timeout=20)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "TimeoutError", reply["content"]
    dap.ok("disconnect", {})


def thread_stopped(dap: Dap, reason: str) -> int:
    """A stop in a thread of its own (a `// thread` cell's): its DAP thread id."""
    event = dap.event("stopped")
    body = event["body"]
    assert body["reason"] == reason and body["threadId"] != 1, event
    # the main thread (and any other) runs on
    assert body["allThreadsStopped"] is False, event
    return body["threadId"]


def test_breakpoint_in_a_thread_cell_stops_its_thread_while_the_main_thread_answers(kernel, dap) -> None:
    km, kc = kernel
    dap.start()
    code = (
        "// thread name=dbgworker\n"
        "function twice(n: number): number {\n"
        "  const doubled: number = n * 2;\n"
        "  return doubled;\n"
        "}\n"
        "const got = twice(21);\n"
        "got"
    )
    path = dap.breakpoints(code, [3])
    dap.ok("configurationDone", {})
    msg_id = kc.execute(code)
    tid = thread_stopped(dap, "breakpoint")
    # the thread cell's thread is a DAP thread, by the thread's name, beside the main thread
    threads = dap.ok("threads")["threads"]
    assert {"id": 1, "name": "main thread"} in threads and {"id": tid, "name": "dbgworker"} in threads, threads
    assert dap.ok("debugInfo")["stoppedThreads"] == [tid]
    frames = dap.ok("stackTrace", {"threadId": tid})["stackFrames"]
    assert [re.sub(r"\d+", "n", f["name"]) for f in frames] == ["twice (In[n])", "In[n]"], frames
    assert [f["source"]["path"] for f in frames] == [path, path], frames
    assert [f["line"] for f in frames] == [3, 6], frames
    locals_ = dap.variables(frames[0]["id"], "Locals")
    assert locals_["n"] == "21" and locals_["doubled"] == "undefined", locals_
    # the thread's own notebook names
    assert "twice" in dap.variables(frames[0]["id"], "Globals")
    # the main thread is not stopped, and answers a cell meanwhile
    assert dap.request("stackTrace", {"threadId": 1})["success"] is False
    other = kc.execute("const onMain = 6 * 7;\nonMain")
    assert get_reply(kc, other)["content"]["status"] == "ok"
    assert [m["content"]["data"]["text/plain"] for m in dap.of_request(other) if m["msg_type"] == "execute_result"] == ["42"]

    dap.ok("next", {"threadId": tid})
    assert thread_stopped(dap, "step") == tid
    frames = dap.ok("stackTrace", {"threadId": tid})["stackFrames"]
    assert frames[0]["line"] == 4 and frames[0]["source"]["path"] == path, frames
    assert dap.variables(frames[0]["id"], "Locals")["doubled"] == "42"
    assert dap.ok("evaluate", {"expression": "doubled + 1", "frameId": frames[0]["id"], "context": "repl"})["result"] == "43"
    body = dap.ok("continue", {"threadId": tid})
    assert body.get("allThreadsContinued") is False, body
    assert dap.event("continued")["body"]["threadId"] == tid
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in dap.of_request(msg_id) if m["msg_type"] == "execute_result"] == ["42"]
    assert dap.ok("debugInfo")["stoppedThreads"] == []


def test_debugger_statement_in_a_thread_cell_pauses_only_while_attached(kernel, dap) -> None:
    km, kc = kernel
    code = "// thread\nlet inThread = 1;\ndebugger;\ninThread + 1"
    ex = execute(kc, code)
    assert ex.content["status"] == "ok" and ex.result_text == "2", ex.describe()
    dap.start()
    msg_id = kc.execute(code)
    tid = thread_stopped(dap, "breakpoint")
    names = {t["id"]: t["name"] for t in dap.ok("threads")["threads"]}
    # a pool thread: no name of its own
    assert re.fullmatch(r"thread pool \d+", names[tid]), names
    frames = dap.ok("stackTrace", {"threadId": tid})["stackFrames"]
    assert frames[0]["line"] == 3 and re.fullmatch(r"In\[\d+\]", frames[0]["name"]), frames
    assert dap.variables(frames[0]["id"], "Locals")["inThread"] == "1"
    dap.ok("continue", {"threadId": tid})
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    dap.ok("disconnect", {})
    ex = execute(kc, code)
    assert ex.content["status"] == "ok" and ex.result_text == "2", ex.describe()
    dap.no_event("stopped")


def test_bad_dap_input_is_refused_with_a_message(kernel, dap) -> None:
    km, kc = kernel
    # before initialize: only debugInfo (and source) answer
    r = dap.request("stackTrace", {"threadId": 1})
    assert r["success"] is False and "not started" in r["message"], r
    assert dap.ok("debugInfo")["isStarted"] is False
    dap.start()
    cases = [
        (dap.request("noSuchCommand", {}), "unknown command 'noSuchCommand'"),
        (dap.request("dumpCell", {}), "dumpCell: arguments.code must be a string"),
        (dap.request("setBreakpoints", {"breakpoints": [{"line": 1}]}), "setBreakpoints: arguments.source must be an object"),
        (dap.request("setBreakpoints", {"source": {"path": "/no/such/file.ts"}, "breakpoints": [{"line": 1}]}),
         "no such source: /no/such/file.ts"),
        (dap.request("setBreakpoints", {"source": {"path": dap.ok("dumpCell", {"code": "1"})["sourcePath"]},
                                        "breakpoints": [{"line": "one"}]}),
         "breakpoints[0].line must be a positive integer"),
        (dap.request("setExceptionBreakpoints", {"filters": ["sometimes"]}), "unknown filter 'sometimes'"),
        (dap.request("stackTrace", {"threadId": 1}), "not stopped"),
        (dap.request("continue", {"threadId": 1}), "not stopped"),
        (dap.request("evaluate", {"expression": "1"}), "not stopped"),
    ]
    for response, says in cases:
        assert response["success"] is False, response
        assert says in response["message"], response
    # not a DAP request at all
    for content in ({}, {"type": "request", "seq": 99, "command": 7}, {"type": "request", "seq": 98, "command": "evaluate", "arguments": [1]}):
        response = dap.send(content)
        assert response["type"] == "response" and response["success"] is False and response["message"], response
    # a breakpoint past the end of its cell is not verified, and says why
    path = dap.ok("dumpCell", {"code": "let q = 1;\nq"})["sourcePath"]
    body = dap.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 9}]})
    assert body["breakpoints"][0]["verified"] is False and "past the end" in body["breakpoints"][0]["message"], body
    # and the kernel is fine
    ex = execute(kc, "40 + 2")
    assert ex.content["status"] == "ok" and ex.result_text == "42", ex.describe()


def test_paused_kernel_answers_control_and_interrupt_resumes_and_stops_the_cell() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        dap = Dap(kc)
        dap.start()
        assert execute(kc, "let spins = 0").content["status"] == "ok"
        code = "while (true) {\n  spins++;\n}"
        dap.breakpoints(code, [2])
        msg_id = kc.execute(code)
        stopped(dap, "breakpoint")
        # paused: control and heartbeat still answer
        assert get_reply(kc, send_control(kc, "kernel_info_request"), channel="control")["content"]["status"] == "ok"
        assert kc.hb_channel.is_beating()
        assert dap.frames()[0]["line"] == 2
        reply = get_reply(kc, send_control(kc, "interrupt_request"), channel="control")
        assert reply["content"]["status"] == "ok"
        dap.event("continued")
        reply = get_reply(kc, msg_id)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KernelInterrupt", reply["content"]
        # variables kept (the paused `spins++` ran, then the loop's guard stopped the cell), and
        # the breakpoint still there for the next run
        ex = execute(kc, "spins")
        assert ex.content["status"] == "ok" and ex.result_text == "1", ex.describe()
        msg_id = kc.execute(code)
        stopped(dap, "breakpoint")
        dap.ok("disconnect", {})
        dap.event("continued")
        get_reply(kc, send_control(kc, "interrupt_request"), channel="control")
        assert get_reply(kc, msg_id)["content"]["ename"] == "KernelInterrupt"


def test_interrupt_resumes_a_paused_thread_cell_and_stops_it(kernel, dap) -> None:
    km, kc = kernel
    dap.start()
    code = "// thread name=dbgspin\nlet turns = 0;\nwhile (true) {\n  turns++;\n}"
    dap.breakpoints(code, [4])
    msg_id = kc.execute(code)
    tid = thread_stopped(dap, "breakpoint")
    assert dap.ok("stackTrace", {"threadId": tid})["stackFrames"][0]["line"] == 4
    reply = get_reply(kc, send_control(kc, "interrupt_request"), channel="control")
    assert reply["content"]["status"] == "ok"
    assert dap.event("continued")["body"]["threadId"] == tid
    reply = get_reply(kc, msg_id)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KernelInterrupt", reply["content"]
    assert dap.ok("debugInfo")["stoppedThreads"] == []


def test_breakpoints_in_files_the_notebook_imports(tmp_path) -> None:
    (tmp_path / "geometry.ts").write_text(
        "interface Box {\n  w: number;\n  h: number;\n}\n"
        "export function area(b: Box): number {\n  const a: number = b.w * b.h;\n  return a;\n}\n")
    (tmp_path / "legacy.js").write_text("exports.half = function half(n) {\n  const h = n / 2;\n  return h;\n};\n")
    with running_kernel(KERNEL_NAME, start_kwargs={"cwd": str(tmp_path)}) as (km, kc):
        dap = Dap(kc)
        dap.start()
        for name, line in (("geometry.ts", 7), ("legacy.js", 3)):
            body = dap.ok("setBreakpoints", {"source": {"path": str(tmp_path / name)}, "breakpoints": [{"line": line}]})
            assert body["breakpoints"][0]["verified"] is True, body
        msg_id = kc.execute("import { area } from './geometry.ts';\nconst { half } = require('./legacy.js');\narea({ w: 2, h: 3 }) + half(8)")
        for name, line, local in (("geometry.ts", 7, ("a", "6")), ("legacy.js", 3, ("h", "4"))):
            stopped(dap, "breakpoint")
            frames = dap.frames()
            assert (frames[0]["source"]["path"], frames[0]["line"]) == (str(tmp_path / name), line), frames
            assert frames[1]["name"].startswith("In["), frames
            assert dap.variables(frames[0]["id"], "Locals")[local[0]] == local[1]
            dap.ok("continue", {"threadId": 1})
        reply = get_reply(kc, msg_id)
        assert reply["content"]["status"] == "ok", reply["content"]


def test_a_worker_the_notebook_starts_is_a_thread_that_stops_at_its_breakpoints(tmp_path) -> None:
    """`new Worker(...)` in a cell: the worker is a DAP thread of its own, named as the cell named
    it; a breakpoint in its file stops it (not the main thread, which answers meanwhile), with its
    frames, scopes and evaluate; what needs a cell's shell is refused with the reason."""
    (tmp_path / "square.mjs").write_text(
        'import { parentPort, workerData } from "node:worker_threads";\n'
        "function square(n) {\n  const result = n * n;\n  return result;\n}\n"
        "parentPort.postMessage(square(workerData));\n")
    with running_kernel(KERNEL_NAME, start_kwargs={"cwd": str(tmp_path)}) as (km, kc):
        dap = Dap(kc)
        dap.start()
        body = dap.ok("setBreakpoints", {"source": {"path": str(tmp_path / "square.mjs")}, "breakpoints": [{"line": 4}]})
        assert body["breakpoints"][0]["verified"] is True, body
        msg_id = kc.execute(
            'import { Worker } from "node:worker_threads";\n'
            'const w = new Worker("./square.mjs", { workerData: 7, name: "squarer" });\n'
            "await new Promise((resolve, reject) => { w.once(\"message\", resolve); w.once(\"error\", reject); })")
        tid = thread_stopped(dap, "breakpoint")
        assert {"id": tid, "name": "squarer"} in dap.ok("threads")["threads"]
        frames = dap.ok("stackTrace", {"threadId": tid})["stackFrames"]
        assert (frames[0]["name"], frames[0]["source"]["path"], frames[0]["line"]) == ("square", str(tmp_path / "square.mjs"), 4), frames
        scopes = [s["name"] for s in dap.ok("scopes", {"frameId": frames[0]["id"]})["scopes"]]
        assert scopes[0] == "Locals" and "Globals" in scopes, scopes
        locals_ = dap.variables(frames[0]["id"], "Locals")
        assert (locals_["n"], locals_["result"]) == ("7", "49"), locals_
        assert dap.ok("evaluate", {"expression": "result + 1", "frameId": frames[0]["id"], "context": "repl"})["result"] == "50"
        refused = dap.request("richInspectVariables", {"variableName": "result", "frameId": frames[0]["id"]})
        assert refused["success"] is False and "worker of the notebook" in refused["message"], refused
        # the main thread runs on: a task cell runs beside the one that waits for the worker
        ex = execute(kc, "// task\n6 * 7")
        assert ex.content["status"] == "ok" and ex.result_text == "42", ex.describe()
        dap.ok("continue", {"threadId": tid})
        reply = get_reply(kc, msg_id)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert [m["content"]["data"]["text/plain"] for m in dap.of_request(msg_id) if m["msg_type"] == "execute_result"] == ["49"]
        dap.ok("disconnect", {})


def test_rich_inspect_copy_to_globals_and_the_notebooks_modules(tmp_path) -> None:
    """JupyterLab's "Render Variable" (richInspectVariables), "Copy to Globals" (copyToGlobals) and
    Kernel Sources panel (modules, asked after every execution; a module opens with source)."""
    (tmp_path / "sizes.ts").write_text("export const side: number = 4;\n")
    with running_kernel(KERNEL_NAME, start_kwargs={"cwd": str(tmp_path)}) as (km, kc):
        dap = Dap(kc)
        info = dap.start()
        assert info["richRendering"] is True and info["copyToGlobals"] is True, info
        setup = ("const badge = { [Symbol.for('Jupyter.display')]() { return { 'text/html': '<b>rich</b>' }; } };\n"
                 "let kept = 1;\nconst fixed = 2;")
        assert execute(kc, setup).content["status"] == "ok"
        # nothing stopped: a notebook name's bundle, as the cell's result would show it
        body = dap.ok("richInspectVariables", {"variableName": "badge"})
        assert body["data"]["text/html"] == "<b>rich</b>" and "text/plain" in body["data"], body
        assert body["metadata"] == {}, body
        refused = dap.request("richInspectVariables", {"variableName": "missing"})
        assert refused["success"] is False and "missing" in refused["message"], refused

        code = ("import { side } from './sizes.ts';\n"
                "function tile(n: number) {\n"
                "  const square = { n, [Symbol.for('Jupyter.display')]() { return { 'text/markdown': `**${n}²**` }; } };\n"
                "  return square;\n"
                "}\n"
                "tile(side).n")
        dap.breakpoints(code, [4])
        msg_id = kc.execute(code)
        stopped(dap, "breakpoint")
        frame = dap.frames()[0]["id"]
        body = dap.ok("richInspectVariables", {"variableName": "square", "frameId": frame})
        assert body["data"]["text/markdown"] == "**4²**", body
        body = dap.ok("richInspectVariables", {"variableName": "n", "frameId": frame})
        assert body["data"] == {"text/plain": "4"}, body
        for arguments, says in (({"variableName": "nothing", "frameId": frame}, "nothing"),
                                ({"variableName": "a.b()", "frameId": frame}, "not a variable name")):
            refused = dap.request("richInspectVariables", arguments)
            assert refused["success"] is False and says in refused["message"], refused

        # copy a local into the notebook: a new name, and a `let` of the notebook
        dap.ok("copyToGlobals", {"srcVariableName": "square", "dstVariableName": "copied", "srcFrameId": frame})
        dap.ok("copyToGlobals", {"srcVariableName": "n", "dstVariableName": "kept", "srcFrameId": frame})
        assert dap.variables(frame, "Globals")["copied"].startswith("{n: 4"), dap.variables(frame, "Globals")
        for dst, says in (("fixed", "const"), ("process", "global"), ("__tsak_x", "kernel")):
            refused = dap.request("copyToGlobals", {"srcVariableName": "n", "dstVariableName": dst, "srcFrameId": frame})
            assert refused["success"] is False and says in refused["message"], refused
        refused = dap.request("copyToGlobals", {"srcVariableName": "n", "dstVariableName": "x"})
        assert refused["success"] is False and "srcFrameId" in refused["message"], refused

        dap.ok("continue", {"threadId": 1})
        assert get_reply(kc, msg_id)["content"]["status"] == "ok"
        ex = execute(kc, "[copied.n, kept, fixed]")
        assert ex.result_text == "[ 4, 4, 2 ]", ex.describe()
        assert "copied" in {v["name"] for v in dap.ok("inspectVariables")["variables"]}
        # not stopped, copyToGlobals has no frame to copy from
        refused = dap.request("copyToGlobals", {"srcVariableName": "n", "dstVariableName": "x", "srcFrameId": 0})
        assert refused["success"] is False and "not stopped" in refused["message"], refused

        # the Kernel Sources panel: the file the notebook imported, not the kernel's or Node's
        modules = dap.ok("modules", {})
        paths = {m["path"] for m in modules["modules"]}
        assert str(tmp_path / "sizes.ts") in paths, modules
        assert modules["totalModules"] == len(modules["modules"]), modules
        assert not [p for p in paths if "/dist/" in p or p.startswith("node:")], sorted(paths)
        assert "side: number" in dap.ok("source", {"source": {"path": str(tmp_path / "sizes.ts")}})["content"]
        assert dap.ok("modules", {"startModule": 0, "moduleCount": 1})["modules"] == modules["modules"][:1]


def test_pause_stops_a_running_cell_in_its_own_code() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        dap = Dap(kc)
        dap.start()
        code = "let laps = 0;\nwhile (true) {\n  laps++;\n}"
        msg_id = kc.execute(code)
        # the cell runs (it never ends by itself) when the frontend asks for a pause
        dap.wait_iopub(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_input",
                       "the cell's execute_input")
        dap.ok("pause", {"threadId": 1})
        stopped(dap, "pause")
        frames = dap.frames()
        # in the cell's loop (not in the kernel's code, nor on the guard the transform put there)
        assert len(frames) == 1 and frames[0]["line"] in (2, 3), frames
        laps = int(dap.ok("evaluate", {"expression": "laps", "frameId": frames[0]["id"]})["result"])
        dap.ok("next", {"threadId": 1})
        stopped(dap, "step")
        top = dap.frames()[0]["id"]
        assert int(dap.ok("evaluate", {"expression": "laps", "frameId": top})["result"]) in (laps, laps + 1)
        dap.ok("continue", {"threadId": 1})
        get_reply(kc, send_control(kc, "interrupt_request"), channel="control")
        assert get_reply(kc, msg_id)["content"]["ename"] == "KernelInterrupt"


def test_shutdown_while_paused_is_an_orderly_one() -> None:
    """The paused cell is let go: it is cancelled with a reply, and the process ends by itself
    (exit code 0), not by the worker's last resort (SIGKILL) for a main thread that never acts."""
    with running_kernel(KERNEL_NAME) as (km, kc):
        dap = Dap(kc)
        dap.start()
        code = "let n = 1;\nn++;\nn"
        dap.breakpoints(code, [2])
        msg_id = kc.execute(code)
        stopped(dap, "breakpoint")
        proc = kernel_process(km)
        reply = get_reply(kc, send_control(kc, "shutdown_request", {"restart": False}), channel="control")
        assert reply["content"]["status"] == "ok"
        assert get_reply(kc, msg_id)["content"]["status"] in ("ok", "error")
        assert wait_exit(proc, timeout=10) == 0, f"exit code {proc.poll()}"
