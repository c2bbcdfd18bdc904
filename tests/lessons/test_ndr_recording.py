"""interopkit.lessons.ndr_recording: the recorded run of the real NDR bytes, its provenance, and
the live-or-recorded choice; notebook 06's real-bytes table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interopkit.com.capture import KNOWN_DIFFERENCES, compare, compare_replay, sweep
from interopkit.errors import UsageError
from interopkit.kit import wine
from interopkit.kit.winprobe import wine_name
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


def test_the_recorded_replays_still_compare_as_recorded_with_todays_model() -> None:
    found, _rec = load_sweep()
    for recorded_replay in found.replays:
        assert compare_replay(recorded_replay.sent, recorded_replay.replay) == recorded_replay


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


def _rows(page: str) -> list[list[str]]:
    """The tables' rows as lists of cell texts, tags removed."""
    import html
    import re

    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in
             re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", page)]


def _recorded_page(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)
    return real_bytes_html(real_sweep())


def test_the_summary_counts_the_sweep_and_says_which_part_the_table_shows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    page = _recorded_page(monkeypatch)
    found, _rec = load_sweep()
    # The old summary counted all 96 captures and showed 24 rows without saying so.
    assert f"{len(found.comparisons)} captures: 3 builds, 4 types and 8 values" in page
    shown = _rows(page.split("One side's bytes")[0])[1:]
    agree = sum(row[-1] == "agree" for row in shown)
    differ = sum(row[-1].startswith("Wine differs") for row in shown)
    assert (len(shown), agree + differ) == (24, 24)
    assert (f"The table shows the 24 captures of 0x80000000, 0x180000000 ({agree} agree, "
            f"{differ} are Wine's listed differences, 0 unexplained)") in page
    assert f"{len(found.replays)} replays (" in page and "Shown: the 6 of 0x180000000" in page


def test_each_value_shows_as_the_process_holding_it_holds_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {tuple(row[:3]): row for row in _rows(_recorded_page(monkeypatch))}
    cut = rows[("32-bit", "INT_PTR", "0x180000000 → 0x80000000 in a 32-bit process")]
    # the 32-bit server's INT_PTR in 32 bits, not the tool's 64-bit widening 0xffffffff80000000
    assert cut[5] == cut[6] == "0x80000000 (-2,147,483,648)"
    wide = rows[("64-bit", "INT_PTR", "0x180000000")]
    assert wide[5] == "0xffffffff80000000 (-2,147,483,648)"
    kept = rows[("32-bit", "ULONG64", "0x180000000")]  # ULONG64 is 64 bits anywhere
    assert kept[3] == "00 00 00 80 01 00 00 00" and kept[5] == "0x180000000"


def test_one_rule_labels_wines_differences_alike_in_both_tables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    page = _recorded_page(monkeypatch)
    rows = _rows(page)
    assert rows[0][-1] == "verdict" and all(row[-1] for row in rows)  # every column is named
    # the platform once above the tables, not in every row
    assert "Every row ran under Wine 8.0" in page
    assert not any(cell.startswith("Wine 8") for row in rows for cell in row)
    plain = next(row for row in rows if row[:3] == ["64-bit", "HANDLE_PTR", "0x180000000"])
    replayed = next(row for row in rows if row[:4] == ["64-bit with _WIN64", "64-bit",
                                                        "HANDLE_PTR", "0x180000000"])
    # The replay used to be scored as if the model knew widl leaves _WIN64 undefined: "agree".
    assert replayed[5:] == ["0x80000000", "0x180000000",
                            "Wine differs: HANDLE_PTR in 4 bytes, no _WIN64 [2]"]
    assert plain[-1] == replayed[-1]
    assert "title='handle-ptr-without-win64'" in page
    assert "<code>unsigned-int3264-sign-extended</code>" in page
    assert "unsigned-int3264-sign-extended)" not in page.split("<ol>")[0]  # no code in a cell


@pytest.mark.usefixtures("wine32", "no_wine_left")
def test_record_writes_a_live_run_with_its_provenance(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ndr_recording, "sweep", lambda values=(0x8000_0000,): sweep(values))
    path = record(tmp_path)
    found, rec = load_sweep(tmp_path)
    assert path == tmp_path / f"{NAME}.json" and rec.wine_version == wine_name()
    assert len(found.comparisons) == 12 and found.unexplained == ()
    live = real_sweep((0x8000_0000,), tmp_path)
    assert isinstance(live, RealSweep) and live.live and live.label.startswith("live: Wine ")
