"""interopkit.lessons.ndr_recording: the recorded run of the real NDR bytes, its provenance, and
the live-or-recorded choice; notebook 06's real-bytes table."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from interopkit.com.capture import KNOWN_DIFFERENCES, compare, sweep
from interopkit.errors import UsageError
from interopkit.kit import wine
from interopkit.lessons import ndr_recording, recorded
from interopkit.lessons.handle_ptr_truncation import real_bytes_html
from interopkit.lessons.ndr_recording import (
    COMMAND,
    NAME,
    RealSweep,
    load_sweep,
    real_sweep,
    record,
    to_dict,
)


def test_the_shipped_recording_has_its_provenance_and_no_unexplained_case() -> None:
    found, rec = load_sweep()
    assert rec.name == NAME and rec.command == COMMAND
    assert rec.wine_version and rec.wine_version.startswith("Wine ")
    assert rec.date.startswith("20") and rec.host["cpu"]
    assert found.unexplained == () and found.agreeing > 0
    assert {c.capture.build.bits for c in found.comparisons} == {32, 64}
    assert {c.difference for c in found.comparisons} == {None, *KNOWN_DIFFERENCES}
    assert rec.result["summary"]["captures"] == len(found.comparisons)


def test_the_recorded_captures_still_compare_as_recorded_with_todays_model() -> None:
    found, _rec = load_sweep()
    for recorded_comparison in found.comparisons:
        assert compare(recorded_comparison.capture) == recorded_comparison


def test_load_then_save_gives_the_same_dictionaries() -> None:
    found, rec = load_sweep()
    again = to_dict(found)
    for key in ("captures", "replays", "differences", "values"):
        assert again[key] == rec.result[key], key


def test_a_damaged_recording_is_a_usage_error(tmp_path: Path) -> None:
    good = json.loads((recorded.DATA_DIR / f"{NAME}.json").read_text(encoding="utf-8"))
    del good["result"]["captures"][0]["request_hex"]
    (tmp_path / f"{NAME}.json").write_text(json.dumps(good), encoding="utf-8")
    with pytest.raises(UsageError, match="is not a recorded sweep"):
        load_sweep(tmp_path)


def test_without_wine_the_recording_is_shown_and_labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Wine was started although it was reported missing")

    monkeypatch.setattr(wine, "run", refuse)
    monkeypatch.setattr(wine, "session", refuse)
    got = real_sweep()
    assert not got.live and got.label.startswith("recorded on ")
    assert "32-bit and 64-bit Wine is not installed" in got.label
    page = real_bytes_html(got)
    assert got.label in page and "RPC_X_BAD_STUB_DATA (0x800706F7)" in page
    assert "WINE-WIDL" in page and "MIDL-3264" in page and "unexplained" in page
    # Two values, four types, three builds; then the replays of 0x180000000 and of DWORD_PTR
    # 0x80000000.
    assert page.count("<tr>") == 1 + 24 + 1 + 6


def test_record_writes_a_live_run_with_its_provenance(
        wine32: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = set(wine.leftover_processes())
    monkeypatch.setattr(ndr_recording, "sweep", lambda values=(0x8000_0000,): sweep(values))
    path = record(tmp_path)
    found, rec = load_sweep(tmp_path)
    assert path == tmp_path / f"{NAME}.json" and rec.wine_version == recorded._wine_name()
    assert len(found.comparisons) == 12 and found.unexplained == ()
    live = real_sweep((0x8000_0000,), tmp_path)
    assert isinstance(live, RealSweep) and live.live and live.label.startswith("live: Wine ")
    deadline = time.monotonic() + 10  # other runs may share the prefix: theirs were there before
    while (left := set(wine.leftover_processes()) - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"Wine processes left running: {sorted(left)}"
