"""Recorded Wine runs: saved with provenance, read back, labelled, and used when Wine is absent."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from interopkit.errors import UsageError
from interopkit.kit import wine
from interopkit.kit.samples import PACKAGE_DIR
from interopkit.lessons import recorded


@dataclass(frozen=True)
class _Run:
    platform: str
    sizes: tuple[int, ...]
    module: str


def _no_wine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Wine was started although it was reported missing")

    monkeypatch.setattr(wine, "run", refuse)
    monkeypatch.setattr(wine, "session", refuse)


def test_save_and_load_round_trip_with_provenance(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wine, "version", lambda: "wine-8.0 (Test)")
    kit_file = wine.windows_path(PACKAGE_DIR.parent / "data" / "samples" / "x.dll")
    path = recorded.save(tmp_path, "wow64_32", {"run": _Run("Wine 8.0, 32-bit process",
                                                             (4, 8), kit_file)})
    back = recorded.load("wow64_32", tmp_path)
    assert path == tmp_path / "wow64_32.json"
    assert back.result == {"run": {"platform": "Wine 8.0, 32-bit process", "sizes": [4, 8],
                                   "module": "<kit>\\data\\samples\\x.dll"}}
    assert back.wine_version == "Wine 8.0 (Test)"
    assert back.date.endswith("+00:00")
    assert back.command == recorded.COMMAND
    assert back.host["os"] and back.host["cpu"]
    assert back.kit_version


def test_a_damaged_recording_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "registry.json").write_text('{"name": "registry"}')
    with pytest.raises(UsageError, match=r"registry\.json.*not a readable recording"):
        recorded.load("registry", tmp_path)


@pytest.mark.parametrize("name", list(recorded.QUESTIONS))
def test_the_shipped_recordings_carry_provenance(name: str) -> None:
    rec = recorded.load(name)
    assert rec.name == name
    assert rec.wine_version and rec.wine_version.startswith("Wine ")
    assert rec.date and rec.command == recorded.COMMAND and rec.kit_version
    assert set(rec.host) == {"os", "cpu"}
    # No path of the recording machine is shipped: Windows paths are on Wine's own C: drive or
    # under <kit>; one through Z: (Wine's view of the machine's files) or a POSIX path would be
    # the machine's. (This used to look for the clone's folder name, which a clone named "x"
    # finds in every "x86".)
    texts = list(_strings(rec.result))
    assert not [t for t in texts if re.search(r"(?i)\bz:\\", t) or t.startswith("/")]
    assert str(PACKAGE_DIR.parent) not in json.dumps(rec.result)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_the_recorded_label_says_when_and_with_what(tmp_path: Path) -> None:
    rec = recorded.Recording("loader_64", {}, "Wine 8.0", "2026-01-02T03:04:05+00:00", "cmd",
                             {"os": "Linux 6.1", "cpu": "x86_64"}, "0.1.0")
    assert recorded.recorded_label(rec, "Wine is not installed here") == (
        "recorded on 2026-01-02T03:04:05+00:00 with Wine 8.0 (Linux 6.1, x86_64): "
        "Wine is not installed here")


def test_answer_falls_back_to_the_recording_without_starting_wine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _no_wine(monkeypatch)
    got = recorded.answer("loader_32")
    assert not got.live
    assert got.result == recorded.load("loader_32").result
    assert got.label.startswith("recorded on ")
    assert "32-bit Wine is not installed here" in got.label


def test_answer_refuses_an_unknown_question() -> None:
    with pytest.raises(UsageError, match="not a recorded question"):
        recorded.answer("wow64_16")


def test_answer_falls_back_when_wine_fails_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.errors import HostError

    def broken(*args: object, **kwargs: object) -> None:
        raise HostError("the kit's Wine prefix", "could not be made", "Run interopkit wine-setup")

    monkeypatch.setattr(wine, "find_wine", lambda bits=64: "/usr/lib/wine/wine64")
    monkeypatch.setattr(wine, "session", broken)
    got = recorded.answer("wow64_64")
    assert not got.live
    assert "Wine did not run here" in got.label and "could not be made" in got.label


def test_the_com_recordings_hold_com_runs_without_a_path_of_the_machine() -> None:
    from interopkit.com.real import FAILURES

    runs = recorded.load("com_demo").result["runs"]
    assert [(r["client_bits"], r["setup"]["server_bits"]) for r in runs] == [(64, 32), (32, 64)]
    for run in runs:
        assert run["platform"].startswith("Wine ") and len(run["call_us"]) == recorded.COM_CALLS
        assert run["model"]["registration"]["dll"].startswith("<kit>\\interopkit\\bin\\")
        assert set(run["surrogate"]) == {"image", "bits"}
    cases = recorded.load("com_failures").result["cases"]
    assert [c["case"] for c in cases] == [title for title, *_ in FAILURES]
    assert all(set(c["run"]["model"]) >= {"succeeded", "hresult", "reason"} for c in cases)


def test_record_writes_only_the_questions_named(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    monkeypatch.setattr(wine, "version", lambda: "wine-8.0 (Test)")
    monkeypatch.setattr(wine, "session", contextlib.nullcontext)
    monkeypatch.setattr(recorded, "QUESTIONS", {"a": ((64,), lambda: {"x": 1}),
                                                "b": ((64,), lambda: {"x": 2})})
    assert recorded.record(tmp_path, ["b"]) == [tmp_path / "b.json"]
    assert recorded.load("b", tmp_path).result == {"x": 2}
    assert not (tmp_path / "a.json").exists()
    with pytest.raises(UsageError, match="c: is not a recorded question"):
        recorded.record(tmp_path, ["c"])


def test_answer_prints_the_progress_before_a_live_run(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import contextlib

    said = []
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: "/usr/lib/wine/wine64")
    monkeypatch.setattr(wine, "session", contextlib.nullcontext)
    monkeypatch.setattr(wine, "version", lambda: "wine-8.0 (Test)")
    monkeypatch.setattr(recorded, "QUESTIONS", {
        "slow": ((32, 64), lambda: said.append(capsys.readouterr().out) or {"done": True})})
    got = recorded.answer("slow", progress="Activating for real...")
    assert got.live and got.result == {"done": True}
    assert said == ["Activating for real...\n"]  # printed before the run started
