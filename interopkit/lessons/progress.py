"""What a learner has solved, per notebook and overall, kept on this machine only.

When ``Exercise.check`` finds a learner's answer right, ``record`` writes the exercise's name,
its notebook and when it was first solved (UTC) to ``progress.json`` in the kit's cache
(``interopkit.kit.cache``). Nothing is sent anywhere and nothing is graded: every notebook
shows its own line at its end (``progress("03")``), the first one shows all of them
(``progress()``), and ``interopkit progress`` prints the same in a terminal (``--reset``
starts again and keeps the old file). A worked solution run by ``verify_solution`` is never
recorded: only a learner's own right answer counts.

Several kernels may record at once (one per open notebook): a write holds a lock file beside
the record, writes a temporary file and renames it over the record (``os.replace`` is atomic
on POSIX and on Windows), so no record is lost and no reader sees half a file. A record the kit
cannot trust (damaged, truncated, another shape, far too large, not a regular file) is never
deleted: it is moved aside as ``progress.json.unreadable-<UTC time>`` and the display says so.
The totals come from ``exercises_by_notebook`` when shown, so an exercise added to the kit
counts at once, and a recorded name the kit no longer asks is ignored.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from interopkit.errors import HostError, UsageError
from interopkit.kit import cache
from interopkit.lessons.answerkey import exercises_by_notebook
from interopkit.lessons.exercise import Exercise

__all__ = ["FILE_NAME", "NotebookProgress", "Progress", "progress", "progress_file", "record",
           "reset"]

FILE_NAME = "progress.json"
"""The record's name in the kit's cache folder."""

_MAX_BYTES = 1 << 20  # a record of every exercise is a few KB: a megabyte is not the kit's
_LOCK_SECONDS = 10.0  # a write holds the lock for milliseconds; longer is a stuck process
_FORMAT = 1


@dataclass(frozen=True)
class NotebookProgress:
    """One notebook's line."""

    notebook: str
    """The notebook's number ("01" ...)."""
    solved: tuple[str, ...]
    """The exercises solved, in the notebook's order."""
    unsolved: tuple[str, ...]
    """The exercises still to do, in the notebook's order."""

    @property
    def total(self) -> int:
        """How many exercises the notebook asks."""
        return len(self.solved) + len(self.unsolved)


@dataclass(frozen=True)
class Progress:
    """What a learner has solved: the notebooks shown, and the whole kit."""

    notebooks: tuple[NotebookProgress, ...]
    """Every notebook's line, or the one notebook asked for."""
    solved: int
    """Exercises solved in the whole kit."""
    total: int
    """Exercises in the whole kit."""
    file: str
    """Where the record is kept."""
    notes: tuple[str, ...] = ()
    """What went wrong reading the record (a file moved aside ...), one sentence each."""

    def as_json(self) -> dict[str, Any]:
        """The fields ``interopkit progress --json`` prints."""
        return {"notebooks": [{"notebook": row.notebook, "solved": list(row.solved),
                               "unsolved": list(row.unsolved), "total": row.total}
                              for row in self.notebooks],
                "solved": self.solved, "total": self.total, "file": self.file,
                "notes": list(self.notes)}

    def _lines(self) -> list[tuple[str, int, int, str]]:
        """(label, solved, total, what is still to do) for each line shown and the whole kit."""
        rows = [(f"notebook {row.notebook}", len(row.solved), row.total, _todo(row.unsolved))
                for row in self.notebooks]
        return [*rows, ("all notebooks", self.solved, self.total,
                        "" if self.solved < self.total else _todo(()))]

    def __str__(self) -> str:
        lines = ["Your progress (kept only on this machine; nothing is graded)"]
        for label, done, total, todo in self._lines():
            filled = round(10 * done / total) if total else 0
            lines.append(f"  {label:<14} {done:>3} / {total:<3} [{'#' * filled:<10}]"
                         + (f"  {todo}" if todo else ""))
        lines += [f"  kept in {self.file}", *(f"  note: {note}" for note in self.notes)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='text-align:left; white-space:nowrap'>{html.escape(label)}</td>"
            f"<td style='text-align:right; white-space:nowrap'>{done} / {total}</td>"
            f"<td>{_bar_html(done, total)}</td>"
            f"<td style='text-align:left'>{html.escape(todo)}</td></tr>"
            for label, done, total, todo in self._lines())
        notes = "".join(f'<p style="color:#b03000">{html.escape(note)}</p>' for note in self.notes)
        return ("<table><tr><th style='text-align:left'>notebook</th><th>solved</th><th></th>"
                f"<th style='text-align:left'></th></tr>{rows}</table>{notes}"
                f'<p style="color:#555555"><small>Kept only on this machine, in '
                f"{html.escape(self.file)}; nothing is sent anywhere and nothing is graded. "
                "<code>interopkit progress</code> shows it in a terminal.</small></p>")


def _todo(unsolved: tuple[str, ...]) -> str:
    return f"still to do: {', '.join(unsolved)}" if unsolved else "all solved"


def _bar_html(done: int, total: int) -> str:
    width = round(100 * done / total) if total else 0
    return ('<div style="width:120px; height:10px; background:#dddddd">'
            f'<div style="width:{width}%; height:10px; background:#1a7f37"></div></div>')


class _Unreadable(Exception):
    """The record is there but is not one the kit wrote (internal: never leaves this module)."""


def progress_file() -> Path:
    """Where the record is kept now: ``progress.json`` in the kit's cache folder."""
    return cache.folder() / FILE_NAME


def progress(notebook: str | int | None = None) -> Progress:
    """What this learner has solved: every notebook and the whole kit, or with ``notebook``
    ("03" or 3) that notebook's line and the whole kit. Never raises for a damaged record."""
    kit = exercises_by_notebook()
    shown = None if notebook is None else _notebook_key(notebook, kit)
    path = progress_file()
    solved, notes = _load(path)
    rows = [NotebookProgress(
        number, tuple(e.name for e in items if e.name in solved.get(number, {})),
        tuple(e.name for e in items if e.name not in solved.get(number, {})))
        for number, items in kit.items()]
    return Progress(tuple(row for row in rows if shown in (None, row.notebook)),
                    sum(len(row.solved) for row in rows), sum(row.total for row in rows),
                    str(path), tuple(notes))


def record(exercise: Exercise) -> str:
    """Note that the learner solved ``exercise`` (the first time counts; later ones change
    nothing). Returns "" when that is saved, else one sentence for the learner: why it could not
    be saved, or which unreadable record was moved aside. Never raises for a file problem."""
    notebook = _notebook_of(exercise)
    if notebook is None:  # not one of the kit's notebooks' exercises: nothing to count it in
        return ""
    return _save(notebook, exercise.name)


def _save(notebook: str, name: str) -> str:
    """Add ``name`` of ``notebook`` to the record unless it is there; ``record``'s answer."""
    path = progress_file()
    moved = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path.parent):
            try:
                solved = _read(path)
            except _Unreadable as why:
                target = _move_aside(path, "unreadable")
                moved = (f"Your earlier progress file could not be read ({why}); it was kept as "
                         f"{target} and a new one was started with this answer.")
                solved = {}
            if name in solved.get(notebook, {}):
                return moved
            solved.setdefault(notebook, {})[name] = _now()
            _write(path, solved)
    except (OSError, ValueError) as exc:  # ValueError: a path the system refuses (a NUL in it)
        return (f"Your progress could not be saved in {path} ({_reason(exc)}); the answer is "
                "still right.")
    return moved


def reset() -> Path | None:
    """Start again from nothing: the record is moved aside as ``progress.json.reset-<UTC
    time>`` beside it, never deleted. Returns where it went, or None when there was none."""
    path = progress_file()
    try:
        if not os.path.lexists(path):
            return None
        with _locked(path.parent):
            return _move_aside(path, "reset") if os.path.lexists(path) else None
    except (OSError, ValueError) as exc:
        raise HostError(str(path), f"could not be moved aside ({_reason(exc)})",
                        "Check that you may write to its folder, or move the file yourself"
                        ) from exc


def _notebook_key(notebook: str | int, kit: dict[str, list[Exercise]]) -> str:
    key = f"{notebook:02d}" if isinstance(notebook, int) else str(notebook)
    if key not in kit:
        raise UsageError(f"notebook {notebook!r}", "asks no exercise the kit knows",
                         f"Give one of {', '.join(kit)}, or nothing for all of them")
    return key


def _notebook_of(exercise: Exercise) -> str | None:
    for number, items in exercises_by_notebook().items():
        if any(item is exercise for item in items):
            return number
    return None


def _load(path: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The record for showing, with what went wrong; a record the kit cannot trust is moved
    aside (under the lock, after reading it again: another kernel may just have replaced it)."""
    try:
        earlier = sorted(path.parent.glob(f"{FILE_NAME}.unreadable-*"))
        try:
            return _read(path), _earlier(earlier)
        except _Unreadable as unreadable:
            why = unreadable
    except (OSError, ValueError) as exc:  # ValueError: a path the system refuses (a NUL in it)
        return {}, [f"{path} could not be read ({_reason(exc)}): nothing is counted."]
    try:
        with _locked(path.parent):
            try:
                return _read(path), _earlier(earlier)
            except _Unreadable:
                target = _move_aside(path, "unreadable")
    except (OSError, ValueError) as exc:
        return {}, [(f"{path} could not be read ({why}) nor moved aside ({_reason(exc)}): "
                    "nothing in it is counted."), *_earlier(earlier)]
    return {}, [(f"{path} could not be read ({why}): it was moved aside to {target}, so "
                "nothing is lost, and nothing in it is counted."), *_earlier(earlier)]


def _earlier(files: list[Path]) -> list[str]:
    if not files:
        return []
    return [(f"{len(files)} earlier progress file(s) could not be read and were moved aside "
            f"(the newest: {files[-1]}); nothing in them is counted.")]


def _read(path: Path) -> dict[str, dict[str, str]]:
    """{notebook: {exercise: first solved}}; {} when there is no record. Raises _Unreadable
    when there is one the kit did not write, OSError when it cannot be opened at all."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {}
    # Checked before opening: a FIFO in its place would block the open, a device never end.
    if not stat.S_ISREG(info.st_mode):
        raise _Unreadable("it is not a regular file")
    if info.st_size > _MAX_BYTES:
        raise _Unreadable(f"it holds {info.st_size:,} bytes, far more than a record")
    with open(path, "rb") as handle:
        data = handle.read(_MAX_BYTES + 1)
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8, bad JSON, nesting too deep
        raise _Unreadable(f"it is not JSON: {type(exc).__name__}") from exc
    return _validated(document)


def _validated(document: Any) -> dict[str, dict[str, str]]:
    solved = document.get("solved") if isinstance(document, dict) else None
    if not isinstance(solved, dict) or not all(
            isinstance(names, dict) and all(isinstance(when, str) for when in names.values())
            for names in solved.values()):
        raise _Unreadable("it is JSON, but not the kit's record of solved exercises")
    return solved


def _write(path: Path, solved: dict[str, dict[str, str]]) -> None:
    text = json.dumps({"kit": "interopkit", "format": _FORMAT, "solved": solved}, indent=1,
                      sort_keys=True)
    handle, temporary = tempfile.mkstemp(prefix=f"{FILE_NAME}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def _move_aside(path: Path, why: str) -> Path:
    """Rename ``path`` to ``<name>.<why>-<UTC time>`` beside it (numbered if that is taken)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for number in itertools.count(1):
        target = path.with_name(f"{path.name}.{why}-{stamp}" + (f"-{number}" if number > 1
                                                                 else ""))
        if not os.path.lexists(target):
            os.replace(path, target)
            return target
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``progress.json.lock`` in ``folder``, for the duration; OSError
    (TimeoutError) when another process holds it for more than ``_LOCK_SECONDS``."""
    with open(folder / f"{FILE_NAME}.lock", "a+b") as handle:
        _acquire(handle)
        try:
            yield
        finally:
            _release(handle)


def _acquire(handle: IO[bytes]) -> None:
    deadline = time.monotonic() + _LOCK_SECONDS
    while not _try_lock(handle):
        if time.monotonic() > deadline:
            raise TimeoutError(f"another process held {handle.name} for over "
                               f"{_LOCK_SECONDS:.0f} s")
        time.sleep(0.01)


def _try_lock(handle: IO[bytes]) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows: a byte-range lock on the file's first byte
        import msvcrt

        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _release(handle: IO[bytes]) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or \
        type(exc).__name__
