"""The phases of a kernel's benchmark, one module each (bench/bench.py's docstring says what each
measures). Every phase takes a launched kernel (`client.Run`) and returns its figure as a dict;
driver.py decides which process each runs on."""

from __future__ import annotations

PHASES = ("startup", "completion", "rtt", "pipelined", "stream", "comm", "interrupt", "interrupt_sleep", "decl",
          "memory", "compute", "debugger")
