"""Map an import-free PE image into memory the way the Windows loader would, in pure Python.

The kit's own loaders (the emulator of notebook 04, and later the Linux-side surrogate) cannot
ask Windows to load a DLL, so they do the loader's three steps themselves: copy the headers and
each section to its RVA, apply the base relocations when the image lands somewhere other than
its preferred ImageBase, and find exports by name in the export directory. An image with
imports is refused: nothing here could resolve them. Layouts follow Microsoft's PE format page
(PE-FMT), declared with ``interopkit.layout`` like every other structure in the kit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ImageError
from .headers import (
    COFF_HEADER,
    DATA_DIRECTORY,
    DIRECTORY_NAMES,
    DOS_HEADER,
    OPTIONAL_HEADER32,
    OPTIONAL_HEADER64,
    SECTION_HEADER,
    read_headers,
)
from .layout import Layout, ShortRead
from .machine import Machine
from .winerror import WinError

__all__ = ["BASE_RELOCATION", "EXPORT_DIRECTORY", "MappedImage", "map_image"]

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

BASE_RELOCATION = Layout("base relocation block", [
    ("VirtualAddress", "I", "RVA of the 4 KiB page the block fixes"),
    ("SizeOfBlock", "I", "bytes in the block, header included"),
])

_IMAGE_REL_BASED_ABSOLUTE = 0
_IMAGE_REL_BASED_HIGHLOW = 3
_IMAGE_REL_BASED_DIR64 = 10


@dataclass(frozen=True)
class MappedImage:
    """An image laid out as it would be in memory."""

    path: str
    """The file."""
    machine: Machine
    """Its machine."""
    base: int
    """The address it is mapped at."""
    preferred_base: int
    """The ImageBase in its headers."""
    memory: bytes
    """SizeOfImage bytes: headers and sections at their RVAs, relocations applied."""
    exports: dict[str, int]
    """Exported name -> RVA."""
    relocations: int
    """How many relocations were applied (0 when mapped at the preferred base)."""
    forwarded: dict[str, str] = field(default_factory=dict)
    """Exported name -> the ``DLL.Function`` it forwards to: no code of this image runs."""

    def address_of(self, name: str) -> int:
        """The mapped address of an export; ImageError when there is none by that name, or
        when it is forwarded to another DLL."""
        if name in self.forwarded:
            raise ImageError(self.path, f"forwards {name!r} to {self.forwarded[name]!r}: its "
                             "entry is that name, not code", "The kit's loaders map one DLL "
                             "and follow no forwarders: call the function in the DLL it names")
        try:
            return self.base + self.exports[name]
        except KeyError:
            close = sorted(n for n in self.exports if n.split("@")[0] == name.split("@")[0])
            raise ImageError(self.path, f"exports no function named {name!r}",
                             f"It exports: {', '.join(sorted(self.exports))}" +
                             (f" (did you mean {close[0]!r}?)" if close else ""),
                             WinError.ERROR_PROC_NOT_FOUND) from None


def map_image(path: str | os.PathLike[str], base: int | None = None) -> MappedImage:
    """Map an import-free PE image, at ``base`` or at its preferred ImageBase."""
    headers = read_headers(path)
    shown = str(path)
    if headers.format != "PE" or headers.machine is None:
        raise ImageError(shown, "is not a PE image of a known machine",
                         "The kit's loaders map Windows DLLs (x86, x64, ARM64)")
    data = Path(path).read_bytes()
    try:
        return _map(data, shown, headers.machine, headers.pe_magic == "PE32+", base)
    except ShortRead as exc:
        raise ImageError(shown, f"is truncated: {exc}", "Get a complete copy of the file",
                         WinError.ERROR_BAD_EXE_FORMAT) from exc


def _map(data: bytes, shown: str, machine: Machine, plus: bool, base: int | None) -> MappedImage:
    pe = DOS_HEADER.read(data, "e_lfanew")
    coff = COFF_HEADER.unpack(data, pe + 4)
    opt_at = pe + 4 + COFF_HEADER.size
    layout = OPTIONAL_HEADER64 if plus else OPTIONAL_HEADER32
    optional = layout.unpack(data, opt_at)
    directories = [DATA_DIRECTORY.unpack(data, opt_at + layout.size + i * DATA_DIRECTORY.size)
                   for i in range(min(optional["NumberOfRvaAndSizes"], len(DIRECTORY_NAMES)))]
    size = optional["SizeOfImage"]
    if not 0 < size <= 256 << 20:
        raise ImageError(shown, f"has SizeOfImage {size}", "The kit maps images up to 256 MiB",
                         WinError.ERROR_BAD_EXE_FORMAT)
    memory = bytearray(size)
    memory[:optional["SizeOfHeaders"]] = data[:optional["SizeOfHeaders"]]
    table = opt_at + coff["SizeOfOptionalHeader"]
    for index in range(coff["NumberOfSections"]):
        section = SECTION_HEADER.unpack(data, table + index * SECTION_HEADER.size)
        raw = data[section["PointerToRawData"]:
                   section["PointerToRawData"] + min(section["SizeOfRawData"],
                                                     section["VirtualSize"] or
                                                     section["SizeOfRawData"])]
        start = section["VirtualAddress"]
        if start + len(raw) > size:
            raise ImageError(shown, f"has a section beyond SizeOfImage ({start:#x})",
                             "The file is damaged", WinError.ERROR_BAD_EXE_FORMAT)
        memory[start:start + len(raw)] = raw
    imports = _directory(directories, "IMPORT")
    if imports[0] and memory[imports[0]:imports[0] + 20] != bytes(20):
        raise ImageError(shown, "imports functions from other DLLs",
                         "The kit's loaders map import-free images only: build the DLL "
                         "without a C runtime (-nostdlib), like the kit's samples")
    preferred = optional["ImageBase"]
    where = preferred if base is None else base
    applied = 0 if where == preferred else _relocate(memory, directories, where - preferred,
                                                     plus, shown)
    exports, forwarded = _exports(memory, directories)
    return MappedImage(shown, machine, where, preferred, bytes(memory), exports, applied,
                       forwarded)


def _directory(directories: list[dict[str, int]], name: str) -> tuple[int, int]:
    index = DIRECTORY_NAMES.index(name)
    if index >= len(directories):
        return (0, 0)
    return (directories[index]["VirtualAddress"], directories[index]["Size"])


def _relocate(memory: bytearray, directories: list[dict[str, int]], delta: int, plus: bool,
              shown: str) -> int:
    rva, size = _directory(directories, "BASERELOC")
    if not rva:
        raise ImageError(shown, "has no base relocations and cannot move from its ImageBase",
                         "Map it at its preferred base")
    applied, at, end = 0, rva, rva + size
    while at + BASE_RELOCATION.size <= end:
        block = BASE_RELOCATION.unpack(memory, at)
        if block["SizeOfBlock"] < BASE_RELOCATION.size:
            break
        for offset in range(at + BASE_RELOCATION.size, at + block["SizeOfBlock"], 2):
            entry = int.from_bytes(memory[offset:offset + 2], "little")
            kind, target = entry >> 12, block["VirtualAddress"] + (entry & 0xFFF)
            if kind == _IMAGE_REL_BASED_ABSOLUTE:
                continue  # padding
            width = {_IMAGE_REL_BASED_HIGHLOW: 4, _IMAGE_REL_BASED_DIR64: 8}.get(kind)
            if width is None:
                raise ImageError(shown, f"uses relocation type {kind}, which the kit does not "
                                 "apply", "Map it at its preferred base")
            value = int.from_bytes(memory[target:target + width], "little")
            memory[target:target + width] = ((value + delta) % (1 << (8 * width))).to_bytes(
                width, "little")
            applied += 1
        at += block["SizeOfBlock"]
    return applied


def _exports(memory: bytes,
             directories: list[dict[str, int]]) -> tuple[dict[str, int], dict[str, str]]:
    rva, size = _directory(directories, "EXPORT")
    if not rva:
        return {}, {}
    table = EXPORT_DIRECTORY.unpack(memory, rva)
    out, forwarded = {}, {}
    for index in range(min(table["NumberOfNames"], 65536)):
        name_rva = int.from_bytes(memory[table["AddressOfNames"] + 4 * index:
                                         table["AddressOfNames"] + 4 * index + 4], "little")
        ordinal = int.from_bytes(memory[table["AddressOfNameOrdinals"] + 2 * index:
                                        table["AddressOfNameOrdinals"] + 2 * index + 2], "little")
        function = table["AddressOfFunctions"] + 4 * ordinal
        end = memory.find(b"\0", name_rva)
        name = memory[name_rva:end].decode("ascii", "replace")
        address = int.from_bytes(memory[function:function + 4], "little")
        if rva <= address < rva + size:  # inside the export directory: a forwarder (PE-FMT)
            stop = memory.find(b"\0", address, address + 256)
            forwarded[name] = memory[address:stop if stop >= 0 else address + 256].decode(
                "ascii", "replace")
        else:
            out[name] = address
    return out, forwarded
