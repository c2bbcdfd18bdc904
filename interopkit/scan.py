"""``scan(folder)``: classify every PE and ELF file below a folder from its headers alone.

One read of the first 4 KiB per file (``interopkit.headers``), no table parsing: fast enough
for a whole program folder or a Windows ``System32``. Files that are not images are counted,
not listed; images whose headers are damaged are listed with the reason.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ImageError, UsageError
from .headers import READ_SIZE, Headers, parse_headers, sniff

__all__ = ["ScanEntry", "ScanResult", "scan"]


@dataclass(frozen=True)
class ScanEntry:
    """One image found by a scan."""

    path: str
    """The file, relative to the scanned folder."""
    headers: Headers | None
    """What its headers say; None when they could not be read."""
    error: str | None = None
    """Why the headers could not be read."""


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found."""

    root: str
    """The folder scanned."""
    entries: tuple[ScanEntry, ...]
    """Every PE or ELF file, sorted by path."""
    files_seen: int
    """Regular files looked at, images or not."""
    by_machine: dict[str, int] = field(default_factory=dict)
    """Count of images per machine name (``I386``, ``AMD64`` ...; ``damaged`` for errors)."""


def scan(root: str | os.PathLike[str],
         progress: Callable[[int], None] | None = None) -> ScanResult:
    """Scan ``root`` recursively (symbolic links are not followed); paths relative to it."""
    base = Path(root)
    if not base.exists():
        raise UsageError(str(root), "does not exist", "Give a folder to scan")
    if not base.is_dir():
        raise UsageError(str(root), "is a file, not a folder",
                         "Use `interopkit inspect` for a single file")
    entries: list[ScanEntry] = []
    seen = 0
    root_text = os.path.join(str(base), "")
    folders = [str(base)]
    while folders:  # os.scandir with plain strings: pathlib costs more than reading the headers
        try:
            listing = os.scandir(folders.pop())
        except OSError:
            continue
        with listing:
            for entry in listing:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    folders.append(entry.path)
                elif entry.is_file():
                    seen += 1
                    found = _classify(entry.path, entry.path[len(root_text):])
                    if found is not None:
                        entries.append(found)
                    if progress and seen % 256 == 0:
                        progress(seen)
    entries.sort(key=lambda e: e.path)
    counts = Counter(e.headers.machine_name if e.headers else "damaged" for e in entries)
    return ScanResult(str(root), tuple(entries), seen, dict(sorted(counts.items())))


def _classify(path: str, shown: str) -> ScanEntry | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(READ_SIZE)
    except OSError as exc:
        return ScanEntry(shown, None, f"cannot be read ({exc.strerror or exc})")
    if sniff(data) is None:
        return None
    try:
        return ScanEntry(shown, parse_headers(data, path))
    except ImageError as exc:
        return ScanEntry(shown, None, exc.problem)
