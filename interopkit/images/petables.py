"""The tables of a PE image (sections, exports, imports), read only where the headers point.

``PeTables`` maps an RVA to a file offset through the section table the way the loader
lays sections out (PE-FMT: a section's data starts at PointerToRawData; past SizeOfRawData
and up to VirtualSize it is zero-filled), and reads each table through
``interopkit.images.files.ImageFile``: every RVA, count and length is checked before anything is
read, and nothing else of the file is read. Counts beyond what the format allows (export ordinals
are 16-bit indexes, PE-FMT) are refused rather than followed, so a damaged or hostile file
costs a few reads, not its size. Used by ``interopkit.images.inspection``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from interopkit.errors import ImageError
from interopkit.images.files import ImageFile
from interopkit.images.headers import DIRECTORY_NAMES, SECTION_HEADER, PeFixed
from interopkit.images.layout import Layout
from interopkit.winerror import WinError

__all__ = ["EXPORT_DIRECTORY", "IMPORT_DESCRIPTOR", "PeTables", "Section"]

EXPORT_DIRECTORY = Layout("export directory", [
    ("Characteristics", "I", "reserved, 0"),
    ("TimeDateStamp", "I", "time the export data was created"),
    ("MajorVersion", "H", "version"),
    ("MinorVersion", "H", "version"),
    ("Name", "I", "RVA of the DLL's name"),
    ("Base", "I", "first ordinal"),
    ("NumberOfFunctions", "I", "entries in the export address table"),
    ("NumberOfNames", "I", "entries in the name pointer table"),
    ("AddressOfFunctions", "I", "RVA of the export address table"),
    ("AddressOfNames", "I", "RVA of the name pointer table"),
    ("AddressOfNameOrdinals", "I", "RVA of the ordinal table"),
])

IMPORT_DESCRIPTOR = Layout("import descriptor", [
    ("OriginalFirstThunk", "I", "RVA of the import lookup table (names or ordinals)"),
    ("TimeDateStamp", "I", "0, or -1 when bound"),
    ("ForwarderChain", "I", "first forwarder, or -1"),
    ("Name", "I", "RVA of the DLL's name"),
    ("FirstThunk", "I", "RVA of the import address table (a copy of the lookup table on disk)"),
])

MAX_EXPORTS = 1 << 16
"""Export address table entries the kit reads: the ordinal table holds 16-bit indexes."""
MAX_IMPORTED_DLLS = 4096
"""Import descriptors the kit follows before calling the table damaged."""
MAX_IMPORTED_NAMES = 1 << 18
"""Imported functions, over all DLLs, the kit reads before calling the table damaged."""
MAX_NAME = 4096
"""Longest export or import name read (C++ decorated names run to a few hundred bytes)."""

_THUNKS_PER_READ = 512
_BLOCK = 4 << 20


@dataclass(frozen=True)
class Section:
    """One entry of the section table."""

    name: str
    """Section name (``.text``, ``.rdata`` ...)."""
    virtual_address: int
    """Its RVA."""
    virtual_size: int
    """Bytes in memory (0 in some old images: then SizeOfRawData)."""
    raw_offset: int
    """PointerToRawData: where its bytes start in the file."""
    raw_size: int
    """SizeOfRawData: how many of them the file holds."""

    @property
    def span(self) -> int:
        """Bytes the section covers from its RVA."""
        return max(self.virtual_size, self.raw_size)


class PeTables:
    """Bounded reads of a PE image's tables through its section table."""

    def __init__(self, source: ImageFile, fixed: PeFixed) -> None:
        self.source = source
        self.fixed = fixed
        self.path = source.path
        count = fixed.coff["NumberOfSections"]  # 16 bits: at most 2.6 MB of table
        table = source.read_at(fixed.section_table, count * SECTION_HEADER.size,
                               "section table")
        self.sections = tuple(_section(*fields) for fields in
                              SECTION_HEADER.struct.iter_unpack(table))
        """The section table, in file order."""
        self._headers_end = min(fixed.optional["SizeOfHeaders"], source.size)
        # (RVA, span, file offset, bytes in the file) per section, for the lookups below
        self._spans = [(s.virtual_address, s.span, s.raw_offset, s.raw_size)
                       for s in self.sections]
        self._last = self._spans[0] if self._spans else (0, 0, 0, 0)

    def check_complete(self) -> None:
        """ImageError when a section's data runs past the end of the file."""
        end = max((s.raw_offset + s.raw_size for s in self.sections if s.raw_size), default=0)
        if end > self.source.size:
            raise ImageError(self.path, f"is truncated: its sections end at byte {end} but the "
                             f"file has {self.source.size} bytes", "Get a complete copy of the "
                             "file", WinError.ERROR_BAD_EXE_FORMAT)

    def directory(self, name: str) -> tuple[int, int]:
        """(RVA, size) of the data directory ``name``; (0, 0) when absent."""
        index = DIRECTORY_NAMES.index(name)
        directories = self.fixed.directories
        return directories[index] if index < len(directories) else (0, 0)

    # -- RVAs -----------------------------------------------------------------------------

    def _locate(self, rva: int, what: str) -> tuple[int, int, int]:
        """(file offset, bytes the file holds from there, bytes the section covers from
        there) for ``rva``; ImageError when no section (and not the headers) holds it."""
        start, span, raw_offset, raw_size = self._last
        if not 0 <= rva - start < span:
            found = next((s for s in self._spans if 0 <= rva - s[0] < s[1]), None)
            if found is None:
                if 0 <= rva < self._headers_end:  # the headers are mapped at RVA 0
                    return rva, self._headers_end - rva, self._headers_end - rva
                raise ImageError(self.path, f"has {what} at RVA {rva:#x}, which no section "
                                 "holds", "The file is damaged: its tables point outside the "
                                 "image", WinError.ERROR_BAD_EXE_FORMAT)
            self._last = start, span, raw_offset, raw_size = found
        delta = rva - start
        return raw_offset + delta, max(0, raw_size - delta), span - delta

    def read(self, rva: int, length: int, what: str) -> bytes:
        """``length`` bytes at ``rva`` (zero-filled past the section's raw data, as in
        memory); ImageError when the section ends first."""
        if length <= 0:
            return b""
        offset, in_file, covered = self._locate(rva, what)
        if length > covered:
            raise ImageError(self.path, f"has {what} at RVA {rva:#x} ({length} bytes) running "
                             "past the end of its section", "The file is damaged",
                             WinError.ERROR_BAD_EXE_FORMAT)
        data = self.source.read_at(offset, min(length, in_file), what)
        return data + bytes(length - len(data)) if len(data) < length else data

    def string(self, rva: int, what: str, limit: int = MAX_NAME) -> str:
        """The NUL-terminated ASCII name at ``rva``."""
        offset, in_file, _covered = self._locate(rva, what)
        raw = self.source.cstring(offset, min(limit, in_file))
        return raw.decode("ascii", "replace")

    def strings(self, rvas: list[int] | tuple[int, ...], what: str) -> list[str]:
        """``string`` for each RVA. Names lie side by side in one section in every linker's
        output, so they are read as one block when they fit in ``_BLOCK`` bytes of one
        section's file data; otherwise one by one."""
        if not rvas:
            return []
        low, high = min(rvas), max(rvas)
        offset, in_file, _covered = self._locate(low, what)
        if high - low >= min(in_file, _BLOCK):
            return [self.string(rva, what) for rva in rvas]
        block = self.source.read_at(offset, min(in_file, high - low + MAX_NAME), what)
        out = []
        for rva in rvas:
            at = rva - low
            end = block.find(b"\0", at, at + MAX_NAME)
            out.append(block[at:end if end >= 0 else at + MAX_NAME].decode("ascii", "replace"))
        return out

    # -- tables -----------------------------------------------------------------------------

    def exports(self) -> tuple[str, ...]:
        """Exported names, sorted; ``#N`` for a function exported by ordinal N only."""
        rva, _size = self.directory("EXPORT")
        if not rva:
            return ()
        table = EXPORT_DIRECTORY.unpack(self.read(rva, EXPORT_DIRECTORY.size, "the export "
                                                  "directory"))
        functions, names = table["NumberOfFunctions"], table["NumberOfNames"]
        if functions > MAX_EXPORTS or names > MAX_EXPORTS:
            raise ImageError(self.path, f"claims {functions} exported functions and {names} "
                             "names; export ordinals are 16-bit indexes (PE-FMT), so at most "
                             f"{MAX_EXPORTS}", "The export directory is damaged",
                             WinError.ERROR_BAD_EXE_FORMAT)
        addresses = _words(self.read(table["AddressOfFunctions"], 4 * functions,
                                     "the export address table"), "I")
        pointers = _words(self.read(table["AddressOfNames"], 4 * names,
                                    "the export name pointers"), "I")
        ordinals = _words(self.read(table["AddressOfNameOrdinals"], 2 * names,
                                    "the export ordinal table"), "H")
        if ordinals and max(ordinals) >= functions:
            raise ImageError(self.path, f"has an export name whose ordinal index "
                             f"{max(ordinals)} is past its {functions} functions", "The export "
                             "directory is damaged", WinError.ERROR_BAD_EXE_FORMAT)
        # A name whose function slot is 0 is a hole in the table: nothing is exported there.
        kept = [(pointer, index) for pointer, index in zip(pointers, ordinals)
                if addresses[index]]
        out, named = [], set()
        for name, (_pointer, index) in zip(self.strings([p for p, _ in kept], "an export name"),
                                           kept):
            if name:
                out.append(name)
                named.add(index)
        base = table["Base"]
        out += [f"#{base + index}" for index, address in enumerate(addresses)
                if address and index not in named]
        return tuple(sorted(out))

    def imports(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(DLL name, imported names) for each import descriptor, in file order; ``#N`` for
        an import by ordinal."""
        rva, _size = self.directory("IMPORT")
        if not rva:
            return ()
        out: list[tuple[str, tuple[str, ...]]] = []
        budget = [MAX_IMPORTED_NAMES]
        at = rva
        while True:
            entry = IMPORT_DESCRIPTOR.unpack(self.read(at, IMPORT_DESCRIPTOR.size,
                                                       "an import descriptor"))
            if not any(entry.values()):
                return tuple(out)  # the all-zero descriptor ends the table (PE-FMT)
            if len(out) == MAX_IMPORTED_DLLS:
                raise ImageError(self.path, f"has more than {MAX_IMPORTED_DLLS} import "
                                 "descriptors without the all-zero one that ends them",
                                 "The import directory is damaged",
                                 WinError.ERROR_BAD_EXE_FORMAT)
            library = self.string(entry["Name"], "an imported DLL's name", 512)
            lookup = entry["OriginalFirstThunk"] or entry["FirstThunk"]
            thunks = self._thunks(lookup, budget) if lookup else []
            out.append((library, self._import_names(thunks)))
            at += IMPORT_DESCRIPTOR.size

    def _thunks(self, rva: int, budget: list[int]) -> list[int]:
        width = 8 if self.fixed.optional["Magic"] == 0x20B else 4
        names: list[int] = []
        at = rva
        while True:
            _offset, _in_file, covered = self._locate(at, "an import lookup table")
            count = min(_THUNKS_PER_READ, covered // width)
            if not count:
                raise ImageError(self.path, f"has an import lookup table at RVA {rva:#x} that "
                                 "runs past the end of its section without its zero entry",
                                 "The import directory is damaged",
                                 WinError.ERROR_BAD_EXE_FORMAT)
            for thunk in _words(self.read(at, count * width, "an import lookup table"),
                                "Q" if width == 8 else "I"):
                if not thunk:
                    return names
                budget[0] -= 1
                if budget[0] < 0:
                    raise ImageError(self.path, f"imports more than {MAX_IMPORTED_NAMES} "
                                     "functions", "The import directory is damaged",
                                     WinError.ERROR_BAD_EXE_FORMAT)
                names.append(thunk)
            at += count * width

    def _import_names(self, thunks: list[int]) -> tuple[str, ...]:
        width = 8 if self.fixed.optional["Magic"] == 0x20B else 4
        by_ordinal = 1 << (8 * width - 1)  # IMAGE_ORDINAL_FLAG32/64 (PE-FMT)
        # A hint/name entry is a 2-byte hint, then the name.
        found = iter(self.strings([(t & 0x7FFFFFFF) + 2 for t in thunks if not t & by_ordinal],
                                  "an imported name"))
        return tuple(f"#{t & 0xFFFF}" if t & by_ordinal else next(found) for t in thunks)


def _section(name: bytes, virtual_size: int, virtual_address: int, raw_size: int,
             raw_offset: int, *_rest: int) -> Section:
    return Section(name.rstrip(b"\0").decode("ascii", "replace"), virtual_address,
                   virtual_size, raw_offset, raw_size)


def _words(data: bytes, code: str) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // struct.calcsize(code)}{code}", data)
