"""The dynamic symbols of an ELF shared object or executable: its exports and imports.

The ELF counterpart of a PE export and import directory, read from the section headers
(``.dynsym`` with its string table, and ``.dynamic`` for ``DT_NEEDED``) with the same
declared layouts as the rest of the kit. Used by ``interopkit.inspection``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout import Layout

__all__ = ["DynamicInfo", "read_dynamic"]

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


@dataclass(frozen=True)
class DynamicInfo:
    """Exports, imports and needed libraries of an ELF file."""

    exports: tuple[str, ...]
    """Defined global or weak functions and objects, sorted."""
    imports: tuple[str, ...]
    """Undefined symbols the dynamic loader must find elsewhere, sorted."""
    needed: tuple[str, ...]
    """DT_NEEDED libraries, in file order."""


def read_dynamic(data: bytes, bits: int, shoff: int, shnum: int) -> DynamicInfo:
    """Read .dynsym and .dynamic; raises layout.ShortRead on a truncated file."""
    section = SECTION[bits]
    sections = [section.unpack(data, shoff + i * section.size) for i in range(shnum)]
    exports: set[str] = set()
    imports: set[str] = set()
    needed: list[str] = []
    for header in sections:
        if header["sh_type"] == SHT_DYNSYM and header["sh_link"] < len(sections):
            strings = _blob(data, sections[header["sh_link"]])
            _symbols(data, header, strings, bits, exports, imports)
        elif header["sh_type"] == SHT_DYNAMIC and header["sh_link"] < len(sections):
            strings = _blob(data, sections[header["sh_link"]])
            needed += _needed(data, header, strings, bits)
    return DynamicInfo(tuple(sorted(exports)), tuple(sorted(imports)), tuple(needed))


def _symbols(data: bytes, header: dict[str, int], strings: bytes, bits: int,
             exports: set[str], imports: set[str]) -> None:
    layout = SYMBOL[bits]
    for index in range(1, header["sh_size"] // layout.size):  # entry 0 is the null symbol
        symbol = layout.unpack(data, header["sh_offset"] + index * layout.size)
        binding, kind = symbol["st_info"] >> 4, symbol["st_info"] & 0xF
        name = _string(strings, symbol["st_name"])
        if not name or binding not in (STB_GLOBAL, STB_WEAK):
            continue
        if symbol["st_shndx"] == SHN_UNDEF:
            imports.add(name)
        elif kind in (STT_FUNC, STT_OBJECT):
            exports.add(name)


def _needed(data: bytes, header: dict[str, int], strings: bytes, bits: int) -> list[str]:
    layout = DYNAMIC[bits]
    out = []
    for index in range(header["sh_size"] // layout.size):
        entry = layout.unpack(data, header["sh_offset"] + index * layout.size)
        if entry["d_tag"] == DT_NULL:
            break
        if entry["d_tag"] == DT_NEEDED:
            out.append(_string(strings, entry["d_val"]))
    return out


def _blob(data: bytes, header: dict[str, int]) -> bytes:
    return data[header["sh_offset"]:header["sh_offset"] + header["sh_size"]]


def _string(strings: bytes, offset: int) -> str:
    end = strings.find(b"\0", offset)
    return strings[offset:end if end >= 0 else len(strings)].decode("utf-8", "replace")
