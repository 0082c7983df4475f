"""Every notebook in examples/ (a glob: new ones are picked up) runs clean headless, twice: with
nbclient, as nbconvert, papermill and CI jobs run notebooks, and with our own `run` command.

A cell may show an error only where its `raises-exception` tag says the error is the point (both
runners honour that tag); any other error output fails the test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import EXAMPLES_DIR, KERNEL_NAME, describe, run_cli

pytestmark = pytest.mark.timeout(120)

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.ipynb"))


def test_examples_are_found() -> None:
    assert {"hello.ipynb", "tour.ipynb"} <= {p.name for p in EXAMPLES}, EXAMPLES


def check_ran_clean(nb, name: str) -> None:
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells, f"{name} has no code cell"
    for cell in code_cells:
        label = f"{name} cell {cell.get('id')}"
        assert isinstance(cell.execution_count, int), f"{label} was not executed"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            continue
        assert not errors, f"{label} failed: {errors[0].ename}: {errors[0].evalue}\n" + "\n".join(errors[0].traceback)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_with_nbclient(path: Path, examples_node_modules) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    # Cleared first: the outputs checked are this run's, not the ones saved in the file.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=60, startup_timeout=30,
                            resources={"metadata": {"path": str(EXAMPLES_DIR)}})
    client.execute()  # raises CellExecutionError on an unexpected error
    nbformat.validate(nb)
    check_ran_clean(nb, path.name)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_with_our_run_command(path: Path, examples_node_modules, tmp_path: Path) -> None:
    out = tmp_path / path.name
    proc = run_cli("run", str(path), "--output", str(out), timeout=90)
    assert proc.returncode == 0, describe(proc)
    nb = nbformat.read(str(out), as_version=4)
    nbformat.validate(nb)
    check_ran_clean(nb, path.name)
