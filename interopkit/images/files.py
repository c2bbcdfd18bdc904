"""Opening the files the kit reads: regular files only, read in pieces the headers point to.

Every command that takes a file comes through here. ``require_regular_file`` is checked by the
command line for each file argument before a command runs, and ``open_image`` is how the
image readers (headers, inspection, scan, the PE mapper) open a file. Both refuse anything
that is not a regular file *before* reading it: a named pipe (FIFO) with no writer makes
``open()`` wait forever, and a device such as ``/dev/zero`` never ends.

``ImageFile`` never reads a whole file. ``read_at`` checks every offset and length against
the file's size before it reads (a header that points past the end is a ``ShortRead``, which
the callers turn into the kit's ``ImageError``), and ``cstring`` reads NUL-terminated names
through a small, bounded page cache, so that a 4 GiB sparse file costs what its headers say,
not its size.
"""

from __future__ import annotations

import os
import stat
from types import TracebackType
from typing import final

from interopkit.errors import ImageError, InteropKitError
from interopkit.images.layout import ShortRead
from interopkit.winerror import WinError

__all__ = ["ImageFile", "open_image", "require_regular_file"]

_PAGE = 4096
_CACHED_PAGES = 256  # at most 1 MiB of cached pages per open file
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def require_regular_file(path: str | os.PathLike[str],
                         error: type[InteropKitError] = ImageError) -> int:
    """The size of ``path`` if it is a regular file (symbolic links followed); otherwise
    ``error`` naming what it is. Nothing is opened, so a FIFO cannot block here."""
    shown = str(path)
    try:
        status = os.stat(path)
    except FileNotFoundError as exc:
        raise error(shown, "does not exist", "Check the path (the kit's own samples are "
                    "listed by `interopkit.kit.samples.sample_paths()`)",
                    WinError.ERROR_FILE_NOT_FOUND) from exc
    except PermissionError as exc:
        raise error(shown, "cannot be reached (permission denied)",
                    "Check the permissions of the folders on its path",
                    WinError.ERROR_ACCESS_DENIED) from exc
    except (OSError, ValueError) as exc:  # a name too long, a loop of links, a NUL in it
        raise error(shown, f"cannot be examined ({getattr(exc, 'strerror', None) or exc})",
                    "Check the path") from exc
    _check_mode(status.st_mode, shown, error)
    return status.st_size


def _check_mode(mode: int, shown: str, error: type[InteropKitError]) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise error(shown, "is a folder, not a file", "Name a file inside it, or classify "
                    "the whole folder with `interopkit scan`")
    what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise error(shown, f"is {what}, not a regular file",
                "Give a regular file: the kit does not read pipes or devices, which can "
                "block or never end (copy the data to a file first)")


def open_image(path: str | os.PathLike[str]) -> ImageFile:
    """Open a regular file for bounded reads; ImageError when it is missing, a folder, a
    pipe or device, or unreadable."""
    shown = str(path)
    require_regular_file(path)
    # O_NONBLOCK: if the path became a FIFO since the check, open() still returns at once;
    # fstat below then refuses it.
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | \
        getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError as exc:
        raise ImageError(shown, "cannot be read (permission denied)",
                         "Check the file's permissions", WinError.ERROR_ACCESS_DENIED) from exc
    except OSError as exc:
        raise ImageError(shown, f"cannot be read ({exc.strerror or exc})",
                         "Check that it is a regular, readable file") from exc
    try:
        status = os.fstat(fd)
        _check_mode(status.st_mode, shown, ImageError)
    except BaseException:
        os.close(fd)
        raise
    return ImageFile(fd, shown, status.st_size)


@final
class ImageFile:
    """An open regular file, read only at offsets checked against its size."""

    def __init__(self, fd: int, shown: str, size: int) -> None:
        self.fd = fd
        self.path = shown
        """The file, as given."""
        self.size = size
        """Its size in bytes when it was opened."""
        self._pages: dict[int, bytes] = {}
        self._head = b""  # the first bytes, once read: most headers and tables are in them

    def read_at(self, offset: int, length: int, what: str = "data") -> bytes:
        """``length`` bytes at ``offset``; ShortRead naming ``what`` when the file ends first."""
        if offset < 0 or length < 0:
            raise ShortRead(what, max(offset, 0), 0, length)
        if offset + length > self.size:
            raise ShortRead(what, offset, max(0, self.size - offset), length)
        if offset + length <= len(self._head):
            return self._head[offset:offset + length]
        return self._pread(offset, length)

    def read_upto(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset``: fewer (or none) where the file ends."""
        length = max(0, min(length, self.size - offset))
        if not length or offset < 0:
            return b""
        if offset + length <= len(self._head):
            return self._head[offset:offset + length]
        data = self._pread(offset, length)
        if offset == 0 and length <= _PAGE * 4:
            self._head = data
        return data

    def cstring(self, offset: int, limit: int, end: int | None = None) -> bytes:
        """The NUL-terminated bytes at ``offset`` (without the NUL), at most ``limit`` bytes
        and never past ``end`` (default: the end of the file)."""
        stop = min(self.size if end is None else end, offset + limit, self.size)
        out = b""
        at = offset
        while at < stop:
            page = self._page(at // _PAGE)
            start = at % _PAGE
            chunk = page[start:start + (stop - at)]
            nul = chunk.find(b"\0")
            if nul >= 0:
                return out + chunk[:nul]
            if not chunk:
                break
            out += chunk
            at += len(chunk)
        return out

    def _page(self, index: int) -> bytes:
        page = self._pages.get(index)
        if page is None:
            if len(self._pages) >= _CACHED_PAGES:
                self._pages.clear()  # scattered names: keep memory bounded, not the hit rate
            page = self.read_upto(index * _PAGE, _PAGE)
            self._pages[index] = page
        return page

    def _pread(self, offset: int, length: int) -> bytes:
        try:
            if hasattr(os, "pread"):
                data = os.pread(self.fd, length, offset)
            else:  # Windows has no pread
                os.lseek(self.fd, offset, os.SEEK_SET)
                data = os.read(self.fd, length)
        except OSError as exc:
            raise ImageError(self.path, f"cannot be read at offset {offset:#x} "
                             f"({exc.strerror or exc})", "Check that the file is readable "
                             "and not being changed") from exc
        if len(data) < length:  # the file shrank since it was opened
            raise ShortRead("file", offset, len(data), length)
        return data

    def close(self) -> None:
        """Close the file (again is harmless)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self._pages.clear()

    def __enter__(self) -> ImageFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
