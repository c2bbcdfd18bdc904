"""interopkit.kit.winprobe's runner for every Windows program of the kit: one label, one path
spelling, one batch, one run, natively on Windows and under Wine elsewhere."""

import json
from pathlib import Path

import pytest

from interopkit.kit import wine, winprobe
from interopkit.kit.samples import probe_path


def test_runs_are_labelled_with_wines_version_and_the_bitness() -> None:
    assert winprobe.wine_name("wine-8.0 (Debian 8.0~repack-4)") == "Wine 8.0 (Debian 8.0~repack-4)"
    assert winprobe.platform(32, "wine-8.0 (Debian 8.0~repack-4)") == \
        "Wine 8.0 (Debian 8.0~repack-4), 32-bit process"
    assert winprobe.native_path("/tmp/x.dll") == wine.windows_path("/tmp/x.dll") == \
        "Z:\\tmp\\x.dll"


def test_run_exe_runs_a_windows_program_and_labels_the_run(wine32: None) -> None:
    with winprobe.batch():
        ran = winprobe.run_exe(probe_path("probe_x86.exe"), bits=32, timeout=120)
    assert ran.seconds > 0 and ran.platform == winprobe.platform(32)
    assert json.loads(ran.stdout)["pointer_size"] == 4


def test_one_at_a_time_is_an_exclusive_lock_of_its_own_beside_the_prefix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    monkeypatch.setenv("WINEPREFIX", str(tmp_path / "prefix"))
    with wine.one_at_a_time("com"):
        lock = tmp_path / ".prefix.com.lock"
        with open(lock, "wb") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(lock, "wb") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the block ends
