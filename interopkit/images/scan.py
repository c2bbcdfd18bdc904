"""``scan(folder)``: classify every PE and ELF file below a folder from its headers alone.

One read of the first 4 KiB per file (``interopkit.images.headers``), no table parsing: fast enough
for a whole program folder or a Windows ``System32``. Files that are not images are counted,
not listed; images whose headers are damaged are listed with the reason, and older formats
(16-bit NE programs, LE and LX files) are called what they are. What could not be read at all
(a folder that cannot be listed, a file that cannot be opened) is listed apart, as unreadable:
the scan cannot say whether those are images. Only regular files are opened (pipes and
devices are skipped), and symbolic links are not followed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interopkit.errors import ImageError, UsageError
from interopkit.images.files import open_image
from interopkit.images.headers import READ_SIZE, Headers, LegacyImageError, parse_headers, sniff

__all__ = ["LEGACY_LABELS", "ScanEntry", "ScanResult", "Unreadable", "scan"]


@dataclass(frozen=True)
class ScanEntry:
    """One image found by a scan."""

    path: str
    """The file, relative to the scanned folder."""
    headers: Headers | None
    """What its headers say; None when they could not be read."""
    error: str | None = None
    """Why the headers could not be read."""
    legacy: str | None = None
    """``NE``, ``LE`` or ``LX`` for an image of a format older than PE (not damaged)."""

    @property
    def label(self) -> str:
        """The machine name, ``16-bit NE`` (``LE``, ``LX``) or ``damaged``."""
        if self.headers is not None:
            return self.headers.machine_name
        return LEGACY_LABELS.get(self.legacy or "", "damaged")


LEGACY_LABELS = {"NE": "16-bit NE", "LE": "LE (VxD)", "LX": "LX (OS/2)"}
"""How a scan counts images of the formats that came before PE."""


@dataclass(frozen=True)
class Unreadable:
    """A file or folder the scan could not read."""

    path: str
    """Relative to the scanned folder (``.`` for the folder itself)."""
    folder: bool
    """True for a folder that could not be listed (everything below it is unseen)."""
    error: str
    """Why, as the system said it."""


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
    """Count of images per machine name (``I386``, ``AMD64`` ...; ``16-bit NE``, ``LE (VxD)``
    or ``LX (OS/2)`` for older formats; ``damaged`` for errors)."""
    unreadable: tuple[Unreadable, ...] = ()
    """Folders that could not be listed and files that could not be opened, sorted by path."""


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
    unreadable: list[Unreadable] = []
    seen = 0
    root_text = os.path.join(str(base), "")
    folders = [str(base)]
    while folders:  # os.scandir with plain strings: pathlib costs more than reading the headers
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    kind = _kind(entry)
                    if kind == "folder":
                        folders.append(entry.path)
                    elif kind == "file":
                        seen += 1
                        found = _classify(entry.path, entry.path[len(root_text):])
                        if isinstance(found, Unreadable):
                            unreadable.append(found)
                        elif found is not None:
                            entries.append(found)
                        if progress and seen % 256 == 0:
                            progress(seen)
        except OSError as exc:  # listing it, or reading its next entry, failed
            unreadable.append(Unreadable(folder[len(root_text):] or ".", True,
                                         exc.strerror or str(exc)))
    entries.sort(key=lambda e: e.path)
    unreadable.sort(key=lambda u: u.path)
    counts = Counter(e.label for e in entries)
    return ScanResult(str(root), tuple(entries), seen, dict(sorted(counts.items())),
                      tuple(unreadable))


def _kind(entry: os.DirEntry[str]) -> str | None:
    """``folder``, ``file`` (regular) or None (links, pipes, devices, or vanished)."""
    try:
        if entry.is_symlink():
            return None
        if entry.is_dir():
            return "folder"
        return "file" if entry.is_file() else None
    except OSError:
        return None


def _classify(path: str, shown: str) -> ScanEntry | Unreadable | None:
    try:
        source = open_image(path)
    except ImageError as exc:  # it could not be opened: whether it is an image is unknown
        return Unreadable(shown, False, exc.problem)
    with source:
        try:
            data = source.read_upto(0, READ_SIZE)
        except ImageError as exc:
            return Unreadable(shown, False, exc.problem)
        if sniff(data) is None:
            return None
        try:
            return ScanEntry(shown, parse_headers(data, path, source))
        except LegacyImageError as exc:
            return ScanEntry(shown, None, exc.problem, exc.format)
        except ImageError as exc:
            return ScanEntry(shown, None, exc.problem)
