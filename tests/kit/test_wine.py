"""The Windows probe EXEs, run for real under Wine (Debian's wine32 and wine64) where installed.

Wine is not Windows: these tests check the kit's Windows code path (LoadLibrary-free EXE,
IsWow64Process2 through GetProcAddress, FindFirstFileA, the command line) on a real Windows API
implementation, and the kit's Wine runner (interopkit.kit.wine): both bitnesses, timeouts, the
prefix rebuilt when it lacks syswow64, and no Wine process left running after any run.
"""

import json
import time
from pathlib import Path

import pytest

from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import probe_path
from interopkit.wow64.measure import list_folder, measure
from interopkit.wow64.redirect import environment


@pytest.fixture
def wine64_bits(wine64: None) -> int:
    return 64  # conftest installs Debian's wine64 where it can


def test_x64_probe_reports_a_native_64_bit_process(wine64_bits: int) -> None:
    space = measure("probe_x64.exe", cap_gib=16, wine_bits=wine64_bits)
    assert space.pointer_size == 8 and space.cap_bytes == 16 << 30
    assert space.reserved_bytes == 16 << 30  # capped: Wine books every reserved page
    # IsWow64Process2: not a WOW64 process (0), on an x64 machine (0x8664)
    assert space.windows["wow64_process_machine"] == 0
    assert space.windows["native_machine"] == 0x8664
    model = environment("x64", "win11-x64")
    for name in ("PROCESSOR_ARCHITECTURE", "ProgramFiles", "ProgramW6432"):
        assert space.windows["environment"][name] == model[name]


def test_x64_probe_lists_system32(wine64_bits: int) -> None:
    listing = list_folder("probe_x64.exe", "C:\\windows\\system32", wine_bits=wine64_bits)
    assert listing.found and listing.bits == 64
    assert "kernel32.dll" in {name.lower() for name in listing.entries}
    pattern = list_folder("probe_x64.exe", "C:\\windows\\system32\\kernel3*", wine_bits=wine64_bits)
    assert [name.lower() for name in pattern.entries] == ["kernel32.dll"]
    missing = list_folder("probe_x64.exe", "C:\\no\\such\\folder", wine_bits=wine64_bits)
    assert not missing.found and missing.entries == ()


# -- the kit's Wine runner: both bitnesses, timeouts, nothing left running ----------------------

PROBES = {32: "probe_x86.exe", 64: "probe_x64.exe"}
CAP = {"INTEROPKIT_PROBE_CAP_GIB": "1"}  # Wine books every reserved page: keep the 64-bit one short


@pytest.mark.parametrize("bits", [32, 64])
def test_run_reports_the_process_bitness_and_leaves_nothing_running(
        bits: int, wine32: None) -> None:
    result = wine.run(probe_path(PROBES[bits]), bits=bits, timeout=120, env=CAP)
    report = json.loads(result.stdout)
    assert result.bits == bits and report["pointer_size"] * 8 == bits
    # IsWow64Process2: a 32-bit process runs under WOW64 (I386, 0x14c); a 64-bit one does not
    assert report["wow64_process_machine"] == (0x14C if bits == 32 else 0)
    assert result.version.startswith("wine-") and result.seconds > 0
    assert wine.leftover_processes() == []


def test_a_session_keeps_one_wineserver_and_ends_it(wine32: None) -> None:
    with wine.session():
        first = wine.run(probe_path(PROBES[32]), bits=32, env=CAP)
        assert any(name.startswith("wineserver") for _pid, name in wine.leftover_processes())
        second = wine.run(probe_path(PROBES[64]), bits=64, env=CAP)
    assert json.loads(first.stdout)["pointer_size"] == 4
    assert json.loads(second.stdout)["pointer_size"] == 8
    assert wine.leftover_processes() == []


@pytest.mark.parametrize("bits", [32, 64])
def test_a_run_past_its_timeout_is_stopped_with_its_processes(bits: int, wine32: None) -> None:
    ping = f"C:\\windows\\{'syswow64' if bits == 32 else 'system32'}\\ping.exe"  # about 30 s
    with pytest.raises(HostError, match="did not finish within 3 s"):
        wine.run(ping, ["-n", "30", "127.0.0.1"], bits=bits, timeout=3)
    assert wine.leftover_processes() == []


def _stale_prefix(where: Path, *, ours: bool) -> None:
    """A prefix as wine64 alone makes it: 64-bit DLLs in system32, an empty syswow64."""
    windows = where / "drive_c" / "windows"
    (windows / "syswow64").mkdir(parents=True)
    (windows / "system32").mkdir()
    (windows / "system32" / "kernel32.dll").write_bytes(b"MZ")
    (where / "system.reg").write_text("WINE REGISTRY Version 2\n")
    if ours:
        (where / ".interopkit-prefix").write_text("made by interopkit\n")


def test_a_prefix_made_before_wine32_is_rebuilt(
        wine32: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "prefix"
    _stale_prefix(where, ours=True)
    monkeypatch.setenv("WINEPREFIX", str(where))
    assert "c0000135" in wine.needs_build()
    said: list[str] = []
    assert wine.ensure_prefix(progress=said.append) == where
    assert len(said) == 1 and "before 32-bit Wine was installed" in said[0]
    assert wine.needs_build() == ""
    assert (where / "drive_c" / "windows" / "syswow64" / "kernel32.dll").stat().st_size > 1000
    result = wine.run(probe_path(PROBES[32]), bits=32, env=CAP)
    assert json.loads(result.stdout)["pointer_size"] == 4
    assert wine.ensure_prefix(progress=said.append) == where and len(said) == 1  # reused
    assert wine.leftover_processes(where) == []


def test_a_stale_prefix_that_is_not_the_kits_is_left_alone(
        wine32: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "theirs"
    _stale_prefix(where, ours=False)
    monkeypatch.setenv("WINEPREFIX", str(where))
    with pytest.raises(HostError, match="not the kit's own"):
        wine.ensure_prefix()
    assert (where / "system.reg").exists()


def test_a_missing_bitness_names_the_setup_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wine, "_LOADERS", {32: ("/nonexistent/wine",),
                                           64: ("/nonexistent/wine64",)})
    monkeypatch.setattr(wine.shutil, "which", lambda name: None)
    assert wine.find_wine(32) is None and wine.find_wine(64) is None
    with pytest.raises(HostError, match="32-bit Wine .* interopkit wine-setup"):
        wine.run("probe_x86.exe", bits=32)
    with pytest.raises(UsageError, match="bits=16"):
        wine.find_wine(16)


def test_a_run_leaves_a_running_wine_surrogate_alone(wine_launcher: tuple[str, ...]) -> None:
    from interopkit.kit.samples import sample_path
    from interopkit.surrogate.client import Surrogate

    with Surrogate(sample_path("windows", "x64"), kind="wine") as hosted:
        assert hosted.call("add", 2, 3).result == 5
        result = wine.run(probe_path(PROBES[64]), bits=64, env=CAP)
        assert json.loads(result.stdout)["pointer_size"] == 8
        assert hosted.call("add", 4, 5).result == 9  # its wineserver was not ended under it
    deadline = time.monotonic() + 15  # Wine ends its services after the last program
    while wine.leftover_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert wine.leftover_processes() == []


def test_only_wines_own_programs_count_as_left_over(tmp_path: Path) -> None:
    """A Python (or the shell, or the test run itself) with the same WINEPREFIX is not Wine's:
    ending the prefix's Wine must never kill it."""
    import os
    import subprocess
    import sys

    if not Path("/proc/self/environ").exists():
        pytest.skip("reads /proc (Linux)")
    where = tmp_path / "prefix"
    where.mkdir()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             env={**os.environ, "WINEPREFIX": str(where)})
    try:
        time.sleep(0.3)
        assert wine.leftover_processes(where) == []
        wine._end_wineserver(where)
        assert child.poll() is None
    finally:
        child.kill()
        child.wait(10)
