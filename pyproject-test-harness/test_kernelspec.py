"""The kernelspec our own CLI writes (`node dist/cli/main.js install|list|remove`)."""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from conftest import (
    KERNEL_DISPLAY_NAME,
    KERNEL_NAME,
    SIGNAL_KERNEL_DISPLAY_NAME,
    SIGNAL_KERNEL_NAME,
    describe,
    run_cli,
)

pytestmark = pytest.mark.timeout(60)


def load(spec_dir: Path) -> dict:
    return json.loads((spec_dir / "kernel.json").read_text(encoding="utf-8"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path}: first chunk is not IHDR"
    return struct.unpack(">II", data[16:24])


def check_common(spec: dict, spec_dir: Path) -> None:
    argv = spec["argv"]
    assert isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv), argv
    assert "{connection_file}" in argv, f"argv must contain the {{connection_file}} slot: {argv}"
    assert spec["language"] == "typescript", spec
    v = spec.get("kernel_protocol_version")
    assert isinstance(v, str) and re.fullmatch(r"5\.(\d+)(\.\d+)?", v), (
        f"kernel_protocol_version should be a 5.x version string: {v!r}")
    assert int(v.split(".")[1]) >= 3, f"kernel_protocol_version {v} < 5.3"
    assert isinstance(spec.get("metadata"), dict), f"metadata must be an object: {spec}"
    # Logos next to kernel.json, as Jupyter front ends look for them.
    for size in (32, 64):
        logo = spec_dir / f"logo-{size}x{size}.png"
        assert logo.is_file(), f"missing {logo.name} in {sorted(p.name for p in spec_dir.iterdir())}"
        assert png_size(logo) == (size, size), f"{logo.name} is {png_size(logo)}"
    # The launcher must be runnable as written: argv[0] exists (absolute) or is on PATH.
    exe = argv[0]
    if os.path.isabs(exe):
        assert os.access(exe, os.X_OK), f"argv[0] {exe} is not executable"


def test_default_kernelspec(installed_kernelspecs) -> None:
    spec_dir = installed_kernelspecs.default_dir
    spec = load(spec_dir)
    assert spec_dir.name == KERNEL_NAME
    assert spec["display_name"] == KERNEL_DISPLAY_NAME, spec
    assert spec.get("interrupt_mode") == "message", spec
    check_common(spec, spec_dir)


def test_signal_kernelspec(installed_kernelspecs) -> None:
    spec_dir = installed_kernelspecs.signal_dir
    spec = load(spec_dir)
    assert spec_dir.name == SIGNAL_KERNEL_NAME
    assert spec["display_name"] == SIGNAL_KERNEL_DISPLAY_NAME, spec
    assert spec.get("interrupt_mode") == "signal", spec
    check_common(spec, spec_dir)


def test_jupyter_client_finds_both_specs(installed_kernelspecs) -> None:
    ksm = KernelSpecManager()
    found = ksm.find_kernel_specs()
    for name, d in ((KERNEL_NAME, installed_kernelspecs.default_dir),
                    (SIGNAL_KERNEL_NAME, installed_kernelspecs.signal_dir)):
        assert name in found, f"{name} not found by jupyter_client: {found}"
        assert Path(found[name]).resolve() == d.resolve(), (name, found[name])
    assert ksm.get_kernel_spec(KERNEL_NAME).interrupt_mode == "message"
    assert ksm.get_kernel_spec(SIGNAL_KERNEL_NAME).interrupt_mode == "signal"
    assert ksm.get_kernel_spec(KERNEL_NAME).language == "typescript"


def test_install_user_honours_jupyter_data_dir(tmp_path: Path) -> None:
    env = os.environ.copy()
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "data")
    proc = run_cli("install", "--user", "--name", "ts-async-user-test", env=env)
    assert proc.returncode == 0, describe(proc)
    spec_dir = tmp_path / "data" / "kernels" / "ts-async-user-test"
    assert (spec_dir / "kernel.json").is_file(), (
        f"--user with JUPYTER_DATA_DIR={env['JUPYTER_DATA_DIR']} did not write {spec_dir}; "
        f"tree: {sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob('*'))}\n{describe(proc)}")
    check_common(load(spec_dir), spec_dir)


def test_install_passes_backend_and_log_level_to_argv(tmp_path: Path) -> None:
    proc = run_cli("install", "--prefix", str(tmp_path), "--name", "ts-async-argv-test",
                   "--backend", "node", "--log-level", "debug")
    assert proc.returncode == 0, describe(proc)
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / "ts-async-argv-test"
    argv = load(spec_dir)["argv"]
    joined = " ".join(argv)
    assert re.search(r"--backend[= ]node\b", joined), f"--backend node not passed to argv: {argv}"
    assert re.search(r"--log-level[= ]debug\b", joined), f"--log-level not passed to argv: {argv}"


def test_list_and_remove(tmp_path: Path) -> None:
    env = os.environ.copy()
    prefix = tmp_path / "prefix"
    env["JUPYTER_PATH"] = str(prefix / "share" / "jupyter") + os.pathsep + env["JUPYTER_PATH"]
    proc = run_cli("install", "--prefix", str(prefix), "--name", "ts-async-remove-me", env=env)
    assert proc.returncode == 0, describe(proc)
    spec_dir = prefix / "share" / "jupyter" / "kernels" / "ts-async-remove-me"
    assert (spec_dir / "kernel.json").is_file()

    proc = run_cli("list", env=env)
    assert proc.returncode == 0, describe(proc)
    assert "ts-async-remove-me" in proc.stdout, describe(proc)
    assert KERNEL_NAME in proc.stdout, describe(proc)

    proc = run_cli("remove", "--prefix", str(prefix), "--name", "ts-async-remove-me", env=env)
    assert proc.returncode == 0, describe(proc)
    assert not spec_dir.exists(), f"`remove` left {spec_dir}"

    proc = run_cli("list", env=env)
    assert proc.returncode == 0, describe(proc)
    assert "ts-async-remove-me" not in proc.stdout, describe(proc)


def test_install_sys_prefix_uses_active_environment(tmp_path: Path) -> None:
    env = os.environ.copy()
    env["VIRTUAL_ENV"] = str(tmp_path / "venv")
    env.pop("CONDA_PREFIX", None)
    proc = run_cli("install", "--sys-prefix", "--name", "ts-async-sysprefix-test", env=env)
    assert proc.returncode == 0, describe(proc)
    spec_dir = tmp_path / "venv" / "share" / "jupyter" / "kernels" / "ts-async-sysprefix-test"
    assert (spec_dir / "kernel.json").is_file(), describe(proc)
    check_common(load(spec_dir), spec_dir)
