"""jupyter_kernel_test's conformance suite against the real ts-async kernel.

Every attribute that jupyter_kernel_test 0.7.0 reads is filled in, so none of its tests is
skipped. (Read from jupyter_kernel_test/__init__.py in the venv: kernel_name, language_name,
file_extension, code_hello_world, code_stderr, completion_samples, complete_code_samples,
incomplete_code_samples, invalid_code_samples, code_page_something, code_generate_error,
code_execute_result, code_display_data, code_history_pattern, supported_history_operations,
code_inspect_sample, code_clear_output; IopubWelcomeTests: kernel_name, support_iopub_welcome.)
"""

from __future__ import annotations

import pytest
# Imported as a module so pytest does not also collect the base classes (kernel "python3").
import jupyter_kernel_test as jkt

from conftest import KERNEL_NAME


class TsAsyncKernelTests(jkt.KernelTests):
    # Each jupyter_kernel_test wait is bounded by its own TIMEOUT (15 s); this is the backstop.
    pytestmark = pytest.mark.timeout(90)

    kernel_name = KERNEL_NAME
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("oops")'

    # The matches replace code[cursor_start:cursor_end], so for '"abc".toUpp' the match is
    # "toUpperCase". Answered by the TypeScript language service (members of a string, a
    # function declared in the same text, a Node API), or by runtime introspection until it is up.
    completion_samples = [
        {"text": '"abc".toUpp', "matches": ["toUpperCase"]},
        {"text": "function doubleIt(n: number) { return 2 * n }\ndoubleIt(2).toFix", "matches": ["toFixed"]},
        {"text": "JSON.str", "matches": ["stringify"]},
    ]

    complete_code_samples = ["1 + 1", "const a = 1;", "console.log('hi')"]
    incomplete_code_samples = ["function f() {", "const a = [1,", "if (true) {"]
    invalid_code_samples = ["const = 1;", ")"]

    # `?expr` / `expr?` is a pager request: payload [{source: "page", data: {...}, start: 0}].
    code_page_something = "?Math.max"

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a".repeat(3)', "result": "'aaa'"},
        {"code": "const n: number = 5; n * 2", "result": "10"},
    ]

    code_display_data = [
        {"code": 'display.html("<b>hi</b>")', "mime": "text/html"},
        {"code": "display(1)", "mime": "text/plain"},
    ]

    # Must match exactly one distinct code of code_execute_result (jupyter_kernel_test's
    # "unique" search expects one entry; its "n=3" search expects 3 entries, which the
    # repeated executions of "6 * 7" during test_history provide).
    code_history_pattern = "6 * *"
    supported_history_operations = ("tail", "range", "search")

    # A user-declared function: its signature and JSDoc.
    code_inspect_sample = "/** Halves a number. */\nfunction half(n: number): number { return n / 2 }\nhalf"

    code_clear_output = "clearOutput()"


class TsAsyncIopubWelcomeTests(jkt.IopubWelcomeTests):
    # jupyter_kernel_test waits for the welcome with no timeout of its own.
    pytestmark = pytest.mark.timeout(30)

    kernel_name = KERNEL_NAME
    support_iopub_welcome = True
