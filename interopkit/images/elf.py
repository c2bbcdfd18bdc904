"""The dynamic symbols of an ELF shared object or executable: its exports and imports.

The ELF counterpart of a PE export and import directory, read from the section headers
(``.dynsym`` with its string table, and ``.dynamic`` for ``DT_NEEDED``) with the same
declared layouts as the rest of the kit. Every table's offset and size are checked against the
file's size before it is read, and the tables are read in blocks, never the whole file. Used by
``interopkit.images.inspection``.
"""

from __future__ import annotations

from dataclasses import dataclass

from interopkit.errors import ImageError
from interopkit.images.files import ImageFile
from interopkit.images.layout import Layout, ShortRead
from interopkit.winerror import WinError

__all__ = ["MAX_SYMBOLS", "DynamicInfo", "StringTable", "read_dynamic", "read_sections"]

SHT_DYNAMIC = 6
SHT_DYNSYM = 11
DT_NULL, DT_NEEDED = 0, 1
STB_GLOBAL, STB_WEAK = 1, 2
STT_OBJECT, STT_FUNC = 1, 2
SHN_UNDEF = 0


def _section(bits: int) -> Layout:
    word = "I" if bits == 32 else "Q"
    return Layout(f"ELF{bits} section header", [
        ("sh_name", "I", "name offset in the section-name table"),
        ("sh_type", "I", "SHT_DYNSYM = 11, SHT_DYNAMIC = 6 ..."),
        ("sh_flags", word, "flags"),
        ("sh_addr", word, "address in memory"),
        ("sh_offset", word, "file offset"),
        ("sh_size", word, "bytes"),
        ("sh_link", "I", "linked section (the string table of a symbol table)"),
        ("sh_info", "I", "extra information"),
        ("sh_addralign", word, "alignment"),
        ("sh_entsize", word, "size of one entry"),
    ])


SECTION = {32: _section(32), 64: _section(64)}
_SECTION_NAMES = {bits: tuple(f.name for f in layout.fields) for bits, layout in SECTION.items()}
SYMBOL = {
    32: Layout("ELF32 symbol", [
        ("st_name", "I", "name offset"), ("st_value", "I", "address"), ("st_size", "I", "size"),
        ("st_info", "B", "binding << 4 | type"), ("st_other", "B", "visibility"),
        ("st_shndx", "H", "section index; 0 = undefined (imported)"),
    ]),
    64: Layout("ELF64 symbol", [
        ("st_name", "I", "name offset"), ("st_info", "B", "binding << 4 | type"),
        ("st_other", "B", "visibility"), ("st_shndx", "H", "section index; 0 = undefined"),
        ("st_value", "Q", "address"), ("st_size", "Q", "size"),
    ]),
}
DYNAMIC = {
    32: Layout("ELF32 dynamic entry", [("d_tag", "i", "tag"), ("d_val", "I", "value")]),
    64: Layout("ELF64 dynamic entry", [("d_tag", "q", "tag"), ("d_val", "Q", "value")]),
}


MAX_SYMBOLS = 1 << 20
"""Dynamic symbols the kit reads; a larger .dynsym is refused (the largest shared libraries
have tens of thousands)."""
_SYMBOLS_PER_READ = 4096
_MAX_NAME = 4096


@dataclass(frozen=True)
class DynamicInfo:
    """Exports, imports and needed libraries of an ELF file."""

    exports: tuple[str, ...]
    """Defined global or weak functions and objects, sorted."""
    imports: tuple[str, ...]
    """Undefined symbols the dynamic loader must find elsewhere, sorted."""
    needed: tuple[str, ...]
    """DT_NEEDED libraries, in file order."""


def read_sections(source: ImageFile, bits: int, shoff: int,
                  shnum: int) -> list[dict[str, int]]:
    """The section header table; ShortRead when the file ends before it does."""
    section = SECTION[bits]
    table = source.read_at(shoff, shnum * section.size, section.name + " table")
    return [dict(zip(_SECTION_NAMES[bits], fields))
            for fields in section.struct.iter_unpack(table)]


def read_dynamic(source: ImageFile, bits: int, sections: list[dict[str, int]]) -> DynamicInfo:
    """Read .dynsym and .dynamic; every table is checked against the file's size first
    (ShortRead when one runs past the end, ImageError when .dynsym is implausibly large)."""
    exports: set[str] = set()
    imports: set[str] = set()
    needed: list[str] = []
    for header in sections:
        if header["sh_type"] == SHT_DYNSYM and header["sh_link"] < len(sections):
            strings = StringTable(source, sections[header["sh_link"]])
            _symbols(source, header, strings, bits, exports, imports)
        elif header["sh_type"] == SHT_DYNAMIC and header["sh_link"] < len(sections):
            strings = StringTable(source, sections[header["sh_link"]])
            needed += _needed(source, header, strings, bits)
    return DynamicInfo(tuple(sorted(exports)), tuple(sorted(imports)), tuple(needed))


def _table(source: ImageFile, header: dict[str, int], layout: Layout) -> tuple[int, int]:
    """(offset, entries) of a section of ``layout`` entries, checked against the file."""
    offset, size = header["sh_offset"], header["sh_size"]
    if offset + size > source.size:
        raise ShortRead(f"{layout.name} table", offset, max(0, source.size - offset), size)
    return offset, size // layout.size


def _symbols(source: ImageFile, header: dict[str, int], strings: StringTable, bits: int,
             exports: set[str], imports: set[str]) -> None:
    layout = SYMBOL[bits]
    offset, count = _table(source, header, layout)
    if count > MAX_SYMBOLS:
        raise ImageError(source.path, f"has a .dynsym of {header['sh_size']} bytes, "
                         f"{count} symbols; the kit reads at most {MAX_SYMBOLS}",
                         "The section table is damaged", WinError.ERROR_BAD_EXE_FORMAT)
    for first in range(1, count, _SYMBOLS_PER_READ):  # entry 0 is the null symbol
        block = source.read_at(offset + first * layout.size,
                               min(_SYMBOLS_PER_READ, count - first) * layout.size, "symbols")
        for fields in layout.struct.iter_unpack(block):
            info = fields[_INFO[bits]]
            binding, kind = info >> 4, info & 0xF
            if binding not in (STB_GLOBAL, STB_WEAK):
                continue
            undefined = fields[_SHNDX[bits]] == SHN_UNDEF
            if not undefined and kind not in (STT_FUNC, STT_OBJECT):
                continue
            name = strings.get(fields[0])
            if name:
                (imports if undefined else exports).add(name)


_INFO = {32: 3, 64: 1}
_SHNDX = {32: 5, 64: 3}


def _needed(source: ImageFile, header: dict[str, int], strings: StringTable,
            bits: int) -> list[str]:
    layout = DYNAMIC[bits]
    offset, count = _table(source, header, layout)
    out = []
    for first in range(0, count, _SYMBOLS_PER_READ):
        block = source.read_at(offset + first * layout.size,
                               min(_SYMBOLS_PER_READ, count - first) * layout.size,
                               "dynamic entries")
        for tag, value in layout.struct.iter_unpack(block):
            if tag == DT_NULL:
                return out
            if tag == DT_NEEDED:
                out.append(strings.get(value))
    return out


class StringTable:
    """A string table section, read name by name (never as a whole)."""

    def __init__(self, source: ImageFile, header: dict[str, int]) -> None:
        self.source = source
        self.offset = header["sh_offset"]
        self.size = min(header["sh_size"], max(0, source.size - self.offset))

    def get(self, index: int) -> str:
        """The name at ``index``; empty when the index is past the table."""
        if index >= self.size:
            return ""
        raw = self.source.cstring(self.offset + index, _MAX_NAME, self.offset + self.size)
        return raw.decode("utf-8", "replace")


def _string(strings: bytes, offset: int) -> str:
    """The name at ``offset`` of a string table already in memory (the file maps of
    ``interopkit.lessons.reading_bitness``)."""
    end = strings.find(b"\0", offset)
    return strings[offset:end if end >= 0 else len(strings)].decode("utf-8", "replace")
