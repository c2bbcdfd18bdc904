"""Recorded Wine runs: what notebooks 02, 03 and 05 show where Wine is absent (Binder, macOS).

A recording is one JSON file per question in ``data/wine/``: the answer exactly as the live run
gave it (the dataclasses of ``interopkit.wow64.real``, ``interopkit.loading.winload`` and
``interopkit.com.real`` as dictionaries) with its provenance (Wine version, UTC date, command,
host, kit version), so a recorded answer is always labelled as recorded, with where and when.
``answer(name)`` gives the live answer when Wine of the needed bitness runs here, else the
recorded one, and a label saying which. Regenerate the files with
``python -m interopkit.lessons.recorded data/wine/`` (followed by question names to regenerate
only those).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform as host
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import PACKAGE_DIR, data_dir
from interopkit.kit.winprobe import batch, wine_name

__all__ = ["DATA_DIR", "QUESTIONS", "Answer", "Recording", "answer", "cached", "labels_html",
           "load", "record", "save"]

DATA_DIR = data_dir() / "wine"
"""Where the kit ships its recorded runs."""

COMMAND = "python -m interopkit.lessons.recorded data/wine/"
PROGRESS = "Starting Wine (a few seconds the first time)..."


def _snapshot(bits: int) -> Callable[[], Any]:
    def ask() -> Any:
        from interopkit.wow64.real import snapshot, wow64_facts
        return {"snapshot": snapshot(bits),
                "laa": wow64_facts(bits, large_address_aware=True) if bits == 32 else None}
    return ask


def _loads(bits: int) -> Callable[[], Any]:
    def ask() -> Any:
        from interopkit.loading.winload import load_all, missing_dependency, search_order
        return {"loads": load_all(bits), "missing_dependency": missing_dependency(bits),
                "search_order": search_order(bits)}
    return ask


def _registry() -> Any:
    from interopkit.wow64.real import registry_round_trip
    return registry_round_trip()


COM_CALLS = 100
"""Timed Add calls per real COM activation (about 0.1 s under Wine)."""


def _com_demo() -> Any:
    from interopkit.com.real import demo
    return {"runs": [demo(64, 32, calls=COM_CALLS), demo(32, 64, calls=COM_CALLS)]}


def _com_failures() -> Any:
    from interopkit.com.real import failures
    return {"cases": [{"case": title, "run": run} for title, run in failures()]}


QUESTIONS: dict[str, tuple[tuple[int, ...], Callable[[], Any]]] = {
    "wow64_32": ((32,), _snapshot(32)),
    "wow64_64": ((64,), _snapshot(64)),
    "registry": ((32, 64), _registry),
    "loader_32": ((32,), _loads(32)),
    "loader_64": ((64,), _loads(64)),
    "com_demo": ((32, 64), _com_demo),
    "com_failures": ((32, 64), _com_failures),
}
"""Each recorded question: the Wine bitnesses it needs and how to ask it live."""


@dataclass(frozen=True)
class Recording:
    """One run with its provenance."""

    name: str
    """The question (a key of ``QUESTIONS``)."""
    result: Any
    """The answer, as JSON-ready dictionaries."""
    wine_version: str | None
    """``wine --version`` of the run (None: it ran on Windows)."""
    date: str
    """When it ran (UTC, ISO 8601)."""
    command: str
    """The command that made the file."""
    host: dict[str, str]
    """The machine it ran on (os, cpu)."""
    kit_version: str
    """interopkit's version."""


@dataclass(frozen=True)
class Answer:
    """What a lesson shows: the answer and a label saying live or recorded."""

    result: Any
    """The answer, as dictionaries."""
    label: str
    """``live: Wine 8.0, 32-bit process`` or ``recorded on <date> with Wine 8.0 (<host>): ...``."""
    live: bool
    """True when it ran here and now."""


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _scrub(value: Any) -> Any:
    """The kit's own folder as ``<kit>``: no path of the recording machine is shipped."""
    root = wine.windows_path(PACKAGE_DIR.parent)
    if isinstance(value, str):
        return value.replace(root, "<kit>")
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _host() -> dict[str, str]:
    return {"os": f"{host.system()} {host.release()}", "cpu": host.machine()}


def save(folder: str | os.PathLike[str], name: str, result: Any,
         command: str = COMMAND) -> Path:
    """Write ``result`` with its provenance to ``folder/<name>.json``."""
    from interopkit import __version__
    label = None if sys.platform == "win32" else wine_name()
    rec = Recording(name, _scrub(_plain(result)), label,
                    datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), command,
                    _host(), __version__)
    path = Path(folder) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(rec), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def load(name: str, folder: str | os.PathLike[str] = DATA_DIR) -> Recording:
    """Read ``folder/<name>.json``; a missing or damaged file is a UsageError naming it."""
    path = Path(folder) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Recording(**{f.name: data[f.name] for f in dataclasses.fields(Recording)})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(str(path), f"is not a readable recording ({exc})",
                         f"Regenerate it with {COMMAND} where Wine runs") from exc


def record(folder: str | os.PathLike[str] = DATA_DIR,
           names: Sequence[str] = ()) -> list[Path]:
    """Ask every question (or those named) live in one Wine session, and save each answer with
    its provenance."""
    unknown = sorted(set(names) - set(QUESTIONS))
    if unknown:
        raise UsageError(", ".join(unknown), "is not a recorded question",
                         f"Use some of {sorted(QUESTIONS)}")
    with batch():
        return [save(folder, name, ask()) for name, (_, ask) in QUESTIONS.items()
                if not names or name in names]


def recorded_label(rec: Recording, why: str) -> str:
    """``recorded on <date> with <Wine> (<os>, <cpu>): <why>``."""
    where = f"{rec.host.get('os', '?')}, {rec.host.get('cpu', '?')}"
    return f"recorded on {rec.date} with {rec.wine_version or 'Windows'} ({where}): {why}"


_started = False


def answer(name: str, folder: str | os.PathLike[str] = DATA_DIR,
           progress: str | None = None) -> Answer:
    """The live answer to ``name`` when this machine runs it (Windows, or Wine of each bitness
    it needs), else the recorded one; the label says which. ``progress`` is printed just before
    a live run that takes seconds (else the first live run of a kernel says Wine is starting)."""
    global _started
    if name not in QUESTIONS:
        raise UsageError(name, "is not a recorded question", f"Use one of {sorted(QUESTIONS)}")
    bits, ask = QUESTIONS[name]
    if sys.platform != "win32":
        absent = [b for b in bits if wine.find_wine(b) is None]
        if absent:
            what = " and ".join(f"{b}-bit" for b in absent)
            return Answer(load(name, folder).result, recorded_label(
                load(name, folder), f"{what} Wine is not installed here "
                f"({wine.SETUP_COMMAND} installs it)"), False)
    if progress is not None:
        print(progress, flush=True)
    elif not _started and sys.platform != "win32":
        print(PROGRESS, flush=True)
    _started = _started or sys.platform != "win32"
    try:
        with batch():
            result = _plain(ask())
    except HostError as exc:  # Wine is there but did not run (a broken prefix, a timeout)
        rec = load(name, folder)
        return Answer(rec.result, recorded_label(rec, f"Wine did not run here: {exc}"), False)
    where = "Windows" if sys.platform == "win32" else wine_name()
    kinds = " and ".join(f"{b}-bit" for b in bits)
    noun = "processes" if len(bits) > 1 else "process"
    return Answer(result, f"live: {where}, {kinds} {noun}", True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(f"usage: {COMMAND} [QUESTION ...]")
    for written in record(sys.argv[1], sys.argv[2:]):
        print(written)


_CACHE: dict[str, Answer] = {}
_WINE_NOTE = " (Wine is not Windows: where they differ, the differences are named)"


def cached(name: str, progress: str | None = None) -> Answer:
    """``answer(name)`` once per kernel: one Wine run per question, reused by every cell and
    every lesson that shows it."""
    if name not in _CACHE:
        _CACHE[name] = answer(name, progress=progress)
    return _CACHE[name]


def labels_html(*answers: Answer) -> str:
    """Where the answers come from, each label once; a Wine label says that Wine is not
    Windows."""
    import html

    labels = dict.fromkeys(a.label for a in answers)
    return "".join(f"<p><small><b>{html.escape(x)}</b>{_WINE_NOTE if 'Wine' in x else ''}"
                   "</small></p>" for x in labels)
