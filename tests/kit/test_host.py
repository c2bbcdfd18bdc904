import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from interopkit.images.machine import Machine
from interopkit.kit import host
from interopkit.kit.host import can_run_x86_32, host_info, run_probe


def test_host_facts_are_read_once_and_consistent() -> None:
    info = host_info()
    assert info is host_info()
    assert info.process_bits == struct.calcsize("P") * 8
    if sys.platform.startswith("linux"):
        assert info.os == "linux"
    assert info.machine in (Machine.AMD64, Machine.ARM64, Machine.I386, Machine.ARMNT, None)


@pytest.mark.skipif(host_info().cpu != "x86_64" or host_info().os != "linux",
                    reason="the 32-bit probe is an i386 Linux program")
def test_the_32_bit_probe_really_runs_here() -> None:
    run = can_run_x86_32()
    if not run.ran:
        pytest.skip(f"this kernel cannot run 32-bit x86 programs: {run.detail}")
    assert (run.pointer_size, run.arch) == (4, "i386")
    assert run_probe("probe-x86_64").pointer_size == 8


def test_a_probe_the_kernel_refuses_is_reported_not_raised() -> None:
    if host_info().os != "linux":
        pytest.skip("ENOEXEC is the Linux kernel's answer")
    run = run_probe("probe_x64.exe")  # a PE file: Linux cannot execute it
    if run.ran:
        pytest.skip("a binfmt_misc handler (Wine?) runs Windows programs on this machine")
    assert not run.ran and "Exec format error" in run.detail


def test_missing_probe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("interopkit.kit.samples.BIN_DIR", tmp_path)
    run = run_probe("probe-i386")
    assert not run.ran and "missing" in run.detail


@pytest.fixture
def fake_probe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Install a shell script as a probe called ``name``."""
    monkeypatch.setattr("interopkit.kit.samples.BIN_DIR", tmp_path)

    def make(name: str, script: str) -> str:
        path = tmp_path / name
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(0o755)
        return name
    return make


def test_probe_without_report(fake_probe) -> None:
    run = run_probe(fake_probe("probe-fake", "echo nonsense\nexit 3\n"))
    assert not run.ran and "exited with status 3 without its report" in run.detail


def test_hung_probe_times_out(fake_probe) -> None:
    run = run_probe(fake_probe("probe-hang", "exec sleep 30\n"), timeout=0.5)
    assert not run.ran and "did not finish within 0.5 s" in run.detail


def test_other_os_reports_without_guessing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = host.HostInfo("darwin", "23", "aarch64", Machine.ARM64, 64, "CPython")
    monkeypatch.setattr(host, "host_info", lambda: fake)
    host.can_run_x86_32.cache_clear()
    try:
        run = host.can_run_x86_32()
        assert not run.ran and "no 32-bit probe for darwin" in run.detail
    finally:
        host.can_run_x86_32.cache_clear()


@pytest.mark.parametrize("wine_bits", [32, 64], indirect=True)
def test_run_probe_under_wine_runs_through_the_wine_runner(
        wine_bits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files, a timeout and the wineserver ended (interopkit.kit.wine.run), never pipes."""
    from interopkit.kit import wine

    calls: list[int] = []
    real_run = wine.run

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["bits"])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(wine, "run", spy)
    name = "probe_x86.exe" if wine_bits == 32 else "probe_x64.exe"
    probe = run_probe(name, timeout=60, wine_bits=wine_bits,
                      env={"INTEROPKIT_PROBE_CAP_GIB": "1"})
    assert probe.ran, probe.detail
    assert probe.pointer_size * 8 == wine_bits
    assert calls == [wine_bits]
