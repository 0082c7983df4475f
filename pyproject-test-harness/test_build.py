"""`npm run build` is quiet: it prints warnings and errors, not a table of the files it wrote."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import REPO_DIR, describe

pytestmark = pytest.mark.timeout(120)


def test_the_build_after_tsc_prints_nothing_when_all_is_well() -> None:
    """Each step of the build script after `tsc` (which prints errors only), run as npm runs it:
    by a shell, with node_modules/.bin on PATH, in the repository. They rewrite dist/ with what
    the tsc output there already gives, which the harness runs."""
    script = json.loads((REPO_DIR / "package.json").read_text())["scripts"]["build"]
    steps = [step.strip() for step in script.split("&&")]
    assert steps[0].startswith("tsc "), script
    env = dict(os.environ, PATH=f"{REPO_DIR / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}")
    for step in steps[1:]:
        proc = subprocess.run(step, shell=True, cwd=REPO_DIR, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=90)
        assert proc.returncode == 0, describe(proc)
        assert proc.stdout == "" and proc.stderr == "", f"the build step {step!r} is not quiet\n" + describe(proc)
    assert (REPO_DIR / "dist" / "io" / "worker.bundle.js").is_file()
