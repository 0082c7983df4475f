"""The Caller API (src/caller) used by cells of the real kernel, through jupyter_client.

A cell calls into a named thread (also the thread of `// thread name=...` cells, whose globals the
call sees), runs CPU-bound work with `toThread` while the main thread answers, gets errors back
with their name and message, cancels calls across threads (also by interrupting the cell), and
uses `callLater`; a thread's output reaches the calling cell; the kernel shuts down cleanly with
Caller threads running.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import KERNEL_NAME
from kernel_helpers import (
    Sorter,
    collect_iopub,
    control_request,
    get_reply,
    kernel_process,
    quiet_client,
    running_kernel,
    send_execute,
    wait_exit,
)

pytestmark = pytest.mark.timeout(60)

IMPORT = 'import { Caller } from "ts-async-kernel";\n'


@pytest.fixture
def kc(shared_kernel):
    kc = quiet_client(*shared_kernel)
    assert run(kc, IMPORT + "0").content["status"] == "ok"
    return kc


def run(kc, code: str, **kwargs):
    return Sorter(kc).execution(send_execute(kc, code, **kwargs))


def ok(kc, code: str, **kwargs):
    ex = run(kc, code, **kwargs)
    assert ex.content["status"] == "ok", ex.describe()
    return ex


def stderr(ex) -> str:
    return "".join(m["content"]["text"] for m in ex.of_type("stream") if m["content"]["name"] == "stderr")


def test_cell_calls_into_a_named_thread_and_its_globals(kc) -> None:
    ok(kc, "// thread name=store\nlet total = 0;\nfunction add(n: number) { total += n; return total }")
    ex = ok(kc, 'const store = Caller.get({ name: "store" });\nawait store.call({ source: "add" }, 5)')
    assert ex.result_text == "5"
    # the same globals the thread's cells see, and a call with TypeScript source text
    assert ok(kc, "// thread name=store\ntotal").result_text == "5"
    assert ok(kc, 'await store.call({ source: "(a: number, b: number) => a * b + total" }, 6, 7)').result_text == "47"
    # the main namespace is the main thread's: the call ran there, not here
    assert ok(kc, "typeof total").result_text == "'undefined'"


def test_to_thread_runs_cpu_bound_work_while_the_main_thread_answers(kc, tmp_path: Path) -> None:
    s = Sorter(kc)
    # the thread spins until the test lets it go: no clock decides which reply comes first
    release = tmp_path / "release"
    busy = send_execute(
        kc,
        "await Caller.toThread({ source: \"(path: string) => { const { existsSync } = require('node:fs'); "
        "while (!existsSync(path)) {} return require('node:worker_threads').isMainThread }\" }, "
        f"{json.dumps(str(release))})")
    quick = send_execute(kc, "// task\n6 * 7")
    assert s.execution(quick).result_text == "42"
    assert not s.replied(busy), "the toThread call finished before it was let go"
    release.touch()
    ex = s.execution(busy)
    assert ex.content["status"] == "ok", ex.describe()
    assert ex.result_text == "false", "the function ran in the main thread"


def test_module_function_in_a_thread_with_its_output(kc, tmp_path: Path) -> None:
    work = tmp_path / "work.ts"
    work.write_text("export function shout(text: string): string {\n"
                    "  console.log(`shouting ${text}`);\n"
                    "  return text.toUpperCase();\n"
                    "}\n")
    ex = ok(kc, f'await Caller.get({{ name: "store" }}).call({{ module: {str(work)!r}, export: "shout" }}, "hi")')
    assert ex.result_text == "'HI'"
    assert ex.stdout == "shouting hi\n", ex.describe()
    # console.log and display from source text in the thread, in this cell's output
    ex = ok(kc, 'await Caller.get({ name: "store" }).call({ source: "() => { console.log(\'from the thread\'); '
                'display.html(\'<b>bold</b>\'); return 1 }" })')
    assert ex.stdout == "from the thread\n", ex.describe()
    assert ex.of_type("display_data")[0]["content"]["data"]["text/html"] == "<b>bold</b>"


def test_an_error_crosses_back_with_its_name_and_message(kc) -> None:
    ex = run(kc, 'await Caller.get({ name: "store" }).call({ source: "(m: string) => { throw new RangeError(m) }" }, "too far")')
    assert ex.content["status"] == "error"
    assert ex.content["ename"] == "RangeError", ex.describe()
    assert ex.content["evalue"] == "too far"
    assert any('<thread "store">' in line for line in ex.content["traceback"]), ex.content["traceback"]
    ex = ok(kc, 'let caught: unknown;\ntry { await Caller.toThread({ source: "() => JSON.parse(\'{\')" }) } catch (e) { caught = e }\n'
                "[(caught as Error).name, caught instanceof SyntaxError]")
    assert ex.result_text == "[ 'SyntaxError', true ]"
    # a failing call nobody awaits is not lost: it is reported on the stderr of the calling cell
    ex = ok(kc, 'Caller.get({ name: "store" }).callSoon({ source: "() => { throw new Error(\'nobody awaits\') }" });\n'
                "await new Promise((r) => setTimeout(r, 300));")
    assert "Unhandled promise rejection: Error: nobody awaits" in stderr(ex), ex.describe()
    # a function cannot be sent to another thread: a clear error at the call
    ex = run(kc, 'Caller.get({ name: "store" }).call(() => 1)')
    assert ex.content["ename"] == "TypeError"
    assert "A function cannot be sent to another thread" in ex.content["evalue"]


WAIT_FOR_CANCEL = (
    "async () => { const { Caller } = await import('ts-async-kernel'); "
    "const signal = Caller.currentPending()!.signal; "
    "globalThis.waiting = true; console.log('waiting in the thread'); "
    "await new Promise((resolve) => signal.addEventListener('abort', resolve)); "
    "globalThis.waiting = false; globalThis.why = `${signal.reason.name}: ${signal.reason.message}` }")


def test_cancel_crosses_to_the_thread(kc) -> None:
    ex = ok(kc, 'const store = Caller.get({ name: "store" });\n'
                f'const waiting = store.call({{ source: "{WAIT_FOR_CANCEL}" }});\n'
                "const running = { source: '() => globalThis.waiting' };\n"
                "while (!(await store.call(running))) await new Promise((r) => setTimeout(r, 10));\n"
                'waiting.cancel("no longer needed");\n'
                "const seen = await waiting.catch((e) => `${e.name}: ${e.message}`);\n"
                "while (await store.call(running)) await new Promise((r) => setTimeout(r, 10));\n"
                'seen + " / " + await store.call({ source: "() => why" })')
    assert ex.result_text == "'PendingCancelled: no longer needed / PendingCancelled: no longer needed'"
    # cell code called in the thread has its awaits rejected by the cancel, and its timers cleared
    ok(kc, "// thread name=store\nvar ticks = 0;\n"
           "async function slowly() {\n"
           "  setInterval(() => ticks++, 10);\n"
           "  try { await new Promise((r) => setTimeout(r, 10_000)); } catch (e) { globalThis.slowlyCaught = `${e.name}: ${e.message}`; }\n"
           "}")
    ex = ok(kc, 'const slow = store.call({ source: "slowly" });\n'
                "await new Promise((r) => setTimeout(r, 100));\n"
                'slow.cancel(new RangeError("enough"));\n'
                "await slow.catch(() => {});\n"
                'while (!(await store.call({ source: "() => globalThis.slowlyCaught" }))) await new Promise((r) => setTimeout(r, 10));\n'
                'const t1 = await store.call({ source: "() => ticks" });\n'
                "await new Promise((r) => setTimeout(r, 100));\n"
                '[await store.call({ source: "() => slowlyCaught" }), t1 > 0, (await store.call({ source: "() => ticks" })) === t1]')
    assert ex.result_text == "[ 'RangeError: enough', true, true ]", ex.describe()


def test_interrupting_a_cell_cancels_the_calls_it_awaits(kc) -> None:
    s = Sorter(kc)
    cell = send_execute(kc, f'await Caller.get({{ name: "store" }}).call({{ source: "{WAIT_FOR_CANCEL}" }})')
    s.wait_output(cell, "stream")  # the function runs in the thread
    control_request(kc, "interrupt_request")
    assert s.reply(cell)["content"]["ename"] == "KernelInterrupt"
    s.outputs(cell)
    ex = ok(kc, "// thread name=store\nwhile (globalThis.waiting) await new Promise((r) => setTimeout(r, 10));\nglobalThis.why")
    assert ex.result_text == "'KernelInterrupt: Execution interrupted by the user'"


def test_call_later_here_and_in_a_thread(kc) -> None:
    ex = ok(kc, "const t0 = Date.now();\nawait Caller.current().callLater(0.3, () => Date.now() - t0)")
    assert int(ex.result_text) >= 290, ex.result_text
    ex = ok(kc, 'await Caller.get({ name: "store" }).callLater(0.2, { source: "() => console.log(\'a little later\')" })')
    assert ex.stdout == "a little later\n", ex.describe()


def test_queue_call_runs_in_order_and_logs_failures(kc) -> None:
    ok(kc, "// thread name=queue\nconst seen: number[] = [];")
    ex = ok(kc, 'const q = Caller.get({ name: "queue" });\n'
                "const step = { source: \"async (n: number) => { await new Promise((r) => setTimeout(r, 20 - n * 5)); "
                "if (n === 2) throw new Error('two is bad'); seen.push(n) }\" };\n"
                "await Promise.all([1, 2, 3].map((n) => q.queueCall(step, n)));\n"
                'await q.call({ source: "() => seen" })')
    assert ex.result_text == "[ 1, 3 ]", ex.describe()
    assert "failed: Error: two is bad" in stderr(ex), ex.describe()


def test_a_thread_cell_calls_the_main_thread(kc) -> None:
    ok(kc, 'const mainGreeting = "hello from main";')
    ex = ok(kc, '// thread name=store\nimport { Caller } from "ts-async-kernel";\n'
                'await Caller.mainThread().call({ source: "() => mainGreeting.toUpperCase()" })')
    assert ex.result_text == "'HELLO FROM MAIN'"


def test_interrupting_thread_cells_awaiting_spinning_and_stuck(kc, tmp_path: Path) -> None:
    # A thread cell that awaits takes the interrupt; its thread and globals stay.
    ok(kc, "// thread name=spin\nvar before = 'kept';")
    s = Sorter(kc)
    cell = send_execute(kc, "// thread name=spin\nconsole.log('waiting'); await new Promise(() => {})")
    s.wait_output(cell, "stream")
    control_request(kc, "interrupt_request")
    reply = s.reply(cell)["content"]
    assert (reply["ename"], reply["evalue"]) == ("KernelInterrupt", "Execution interrupted by the user"), reply
    s.outputs(cell)
    # So does one spinning in its own loop (the loop's guard reads the thread's attention flag).
    cell = send_execute(kc, "// thread name=spin\nconsole.log('spinning'); while (true) {}")
    s.wait_output(cell, "stream")
    control_request(kc, "interrupt_request")
    reply = s.reply(cell)["content"]
    assert (reply["ename"], reply["evalue"]) == ("KernelInterrupt", "Execution interrupted by the user"), reply
    s.outputs(cell)
    assert ok(kc, "// thread name=spin\nbefore").result_text == "'kept'"
    # One stuck in a loop no guard reaches (a module's) cannot: its thread is ended after a second.
    stuck = tmp_path / "stuck.mjs"
    stuck.write_text("export function forever() { for (;;) {} }\n")
    cell = send_execute(kc, f"// thread name=spin\nconst {{ forever }} = await import({str(stuck)!r});\n"
                            "console.log('stuck'); forever()")
    s.wait_output(cell, "stream")
    control_request(kc, "interrupt_request")
    reply = s.reply(cell, timeout=10)["content"]
    assert reply["ename"] == "KernelInterrupt", reply
    assert "the thread did not stop by itself, so it was ended; the globals of thread \"spin\" are gone" in reply["evalue"]
    s.outputs(cell)
    assert ok(kc, "// thread name=spin\ntypeof before").result_text == "'undefined'"


def test_a_widget_made_by_a_call_lives_in_the_called_thread(kc) -> None:
    ex = ok(kc, 'await Caller.get({ name: "painter" }).call({ source: "() => { globalThis.slider = new widgets.IntSlider({ value: 3 }); '
                "slider.observe((c) => console.log(`painter saw ${c.new}`), 'value'); return slider.modelId }\" })")
    model_id = ex.result_text.strip("'")
    opened = [m for m in ex.iopub if m["msg_type"] == "comm_open"]
    assert [m["content"]["comm_id"] for m in opened][-1] == model_id, ex.describe()
    assert opened[-1]["parent_header"]["msg_id"] == ex.msg_id, "the comm_open has the calling cell as parent"
    # the frontend moves the slider: the thread's observer runs, with the frontend's message as parent
    msg = kc.session.msg("comm_msg", {"comm_id": model_id, "data": {"method": "update", "state": {"value": 8}, "buffer_paths": []}})
    kc.session.send(kc.shell_channel.socket, msg)
    got = collect_iopub(kc, msg["header"]["msg_id"])
    assert "".join(m["content"]["text"] for m in got if m["msg_type"] == "stream") == "painter saw 8\n", got
    assert ok(kc, '// thread name=painter\nslider.value').result_text == "8"
    assert ok(kc, "typeof globalThis.slider").result_text == "'undefined'"


def test_shutdown_ends_caller_threads_and_the_process() -> None:
    with running_kernel(KERNEL_NAME) as (km, kc):
        proc = kernel_process(km)
        s = Sorter(kc)
        ready = send_execute(kc, IMPORT + 'await Caller.get({ name: "spinner" }).ready;\n'
                                          'Caller.get({ name: "spinner" }).call({ source: "() => { while (true) {} }" });\n'
                                          'Caller.toThread({ source: "() => new Promise(() => {})" });\n"started"')
        assert s.execution(ready).result_text == "'started'"
        reply = get_reply(kc, kc.shutdown(), "control")
        assert reply["content"]["status"] == "ok"
        rc = wait_exit(proc, timeout=5)
        assert rc == 0, f"kernel exit code after shutdown with Caller threads running: {rc}"
