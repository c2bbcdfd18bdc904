"""Map an import-free PE image into memory the way the Windows loader would, in pure Python.

The kit's own loaders (the emulator of notebook 04, and later the Linux-side surrogate) cannot
ask Windows to load a DLL, so they do the loader's three steps themselves: copy the headers and
each section to its RVA, apply the base relocations when the image lands somewhere other than
its preferred ImageBase, and find exports by name in the export directory. An image with
imports is refused: nothing here could resolve them. Layouts follow Microsoft's PE format page
(PE-FMT), declared with ``interopkit.images.layout`` like every other structure in the kit. The file
is read through ``interopkit.images.petables``: the headers and each section's data, every offset
checked against the file's size, and every table the loader follows is checked against
SizeOfImage before it is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from interopkit.errors import ImageError
from interopkit.images.files import open_image
from interopkit.images.headers import READ_SIZE, parse_headers, pe_headers, truncated
from interopkit.images.layout import Layout, ShortRead
from interopkit.images.machine import Machine
from interopkit.images.petables import EXPORT_DIRECTORY, MAX_EXPORTS, MAX_NAME, PeTables
from interopkit.winerror import WinError

__all__ = ["BASE_RELOCATION", "EXPORT_DIRECTORY", "MappedImage", "map_image"]

BASE_RELOCATION = Layout("base relocation block", [
    ("VirtualAddress", "I", "RVA of the 4 KiB page the block fixes"),
    ("SizeOfBlock", "I", "bytes in the block, header included"),
])

_IMAGE_REL_BASED_ABSOLUTE = 0
_IMAGE_REL_BASED_HIGHLOW = 3
_IMAGE_REL_BASED_DIR64 = 10
MAX_IMAGE = 256 << 20
"""The largest SizeOfImage the kit maps."""


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
    shown = str(path)
    with open_image(path) as source:
        head = source.read_upto(0, READ_SIZE)
        headers = parse_headers(head, shown, source)
        if headers.format != "PE" or headers.machine is None:
            raise ImageError(shown, "is not a PE image of a known machine",
                             "The kit's loaders map Windows DLLs (x86, x64, ARM64)")
        try:
            fixed = pe_headers(head, shown, source)[1]
            tables = PeTables(source, fixed)
            tables.check_complete()
            return _map(tables, shown, headers.machine, headers.pe_magic == "PE32+", base)
        except ShortRead as exc:
            raise truncated(shown, exc) from exc


def _map(tables: PeTables, shown: str, machine: Machine, plus: bool,
         base: int | None) -> MappedImage:
    optional = tables.fixed.optional
    size = optional["SizeOfImage"]
    if not 0 < size <= MAX_IMAGE:
        raise ImageError(shown, f"has SizeOfImage {size}", "The kit maps images up to 256 MiB",
                         WinError.ERROR_BAD_EXE_FORMAT)
    memory = bytearray(size)
    # Only what the headers point to is read: the headers, then each section's file data.
    header_bytes = tables.source.read_upto(0, min(optional["SizeOfHeaders"], size))
    memory[:len(header_bytes)] = header_bytes
    for section in tables.sections:
        length = min(section.raw_size, section.virtual_size or section.raw_size)
        start = section.virtual_address
        if start + length > size:
            raise ImageError(shown, f"has a section beyond SizeOfImage ({start:#x})",
                             "The file is damaged", WinError.ERROR_BAD_EXE_FORMAT)
        memory[start:start + length] = tables.source.read_at(section.raw_offset, length,
                                                             f"section {section.name}")
    imports = tables.directory("IMPORT")
    if imports[0] and memory[imports[0]:imports[0] + 20] != bytes(20):
        raise ImageError(shown, "imports functions from other DLLs",
                         "The kit's loaders map import-free images only: build the DLL "
                         "without a C runtime (-nostdlib), like the kit's samples")
    preferred = optional["ImageBase"]
    where = preferred if base is None else base
    applied = 0 if where == preferred else _relocate(memory, tables.directory("BASERELOC"),
                                                     where - preferred, shown)
    exports, forwarded = _exports(memory, tables.directory("EXPORT"), shown)
    return MappedImage(shown, machine, where, preferred, bytes(memory), exports, applied,
                       forwarded)


def _damaged(shown: str, what: str) -> ImageError:
    return ImageError(shown, what, "The file is damaged: the kit's loader refuses it, as "
                      "Windows would", WinError.ERROR_BAD_EXE_FORMAT)


def _relocate(memory: bytearray, directory: tuple[int, int], delta: int, shown: str) -> int:
    rva, size = directory
    if not rva:
        raise ImageError(shown, "has no base relocations and cannot move from its ImageBase",
                         "Map it at its preferred base")
    end = rva + size
    if end > len(memory):
        raise _damaged(shown, f"has base relocations ({rva:#x}+{size:#x}) past SizeOfImage")
    applied, at = 0, rva
    while at + BASE_RELOCATION.size <= end:
        block = BASE_RELOCATION.unpack(memory, at)
        if block["SizeOfBlock"] < BASE_RELOCATION.size:
            break
        if at + block["SizeOfBlock"] > end:
            raise _damaged(shown, f"has a relocation block at RVA {at:#x} running past the "
                           "relocation directory")
        for offset in range(at + BASE_RELOCATION.size, at + block["SizeOfBlock"] - 1, 2):
            entry = int.from_bytes(memory[offset:offset + 2], "little")
            kind, target = entry >> 12, block["VirtualAddress"] + (entry & 0xFFF)
            if kind == _IMAGE_REL_BASED_ABSOLUTE:
                continue  # padding
            width = {_IMAGE_REL_BASED_HIGHLOW: 4, _IMAGE_REL_BASED_DIR64: 8}.get(kind)
            if width is None:
                raise ImageError(shown, f"uses relocation type {kind}, which the kit does not "
                                 "apply", "Map it at its preferred base")
            if target + width > len(memory):
                raise _damaged(shown, f"has a relocation at RVA {target:#x}, outside the image")
            value = int.from_bytes(memory[target:target + width], "little")
            memory[target:target + width] = ((value + delta) % (1 << (8 * width))).to_bytes(
                width, "little")
            applied += 1
        at += block["SizeOfBlock"]
    return applied


def _exports(memory: bytes, directory: tuple[int, int],
             shown: str) -> tuple[dict[str, int], dict[str, str]]:
    """Exported names to RVAs, and forwarded names to their forwarder strings."""
    rva, size = directory
    if not rva:
        return {}, {}
    table = EXPORT_DIRECTORY.unpack(memory, rva)
    count, functions = table["NumberOfNames"], table["NumberOfFunctions"]
    names_at, ordinals_at = table["AddressOfNames"], table["AddressOfNameOrdinals"]
    functions_at = table["AddressOfFunctions"]
    if count > MAX_EXPORTS or functions > MAX_EXPORTS:
        raise _damaged(shown, f"claims {functions} exported functions and {count} names")
    for what, at, length in (("name pointers", names_at, 4 * count),
                             ("ordinals", ordinals_at, 2 * count),
                             ("addresses", functions_at, 4 * functions)):
        if at + length > len(memory):
            raise _damaged(shown, f"has its export {what} at RVA {at:#x}, past SizeOfImage")
    out, forwarded = {}, {}
    for index in range(count):
        name_rva = int.from_bytes(memory[names_at + 4 * index:names_at + 4 * index + 4],
                                  "little")
        ordinal = int.from_bytes(memory[ordinals_at + 2 * index:ordinals_at + 2 * index + 2],
                                 "little")
        if ordinal >= functions or name_rva >= len(memory):
            raise _damaged(shown, f"has export name {index} pointing outside its tables")
        end = memory.find(b"\0", name_rva, name_rva + MAX_NAME)
        name = memory[name_rva:end if end >= 0 else name_rva + MAX_NAME].decode("ascii",
                                                                                 "replace")
        function = functions_at + 4 * ordinal
        address = int.from_bytes(memory[function:function + 4], "little")
        if rva <= address < rva + size:  # inside the export directory: a forwarder (PE-FMT)
            stop = memory.find(b"\0", address, address + MAX_NAME)
            forwarded[name] = memory[address:stop if stop >= 0 else address + MAX_NAME].decode(
                "ascii", "replace")
        else:
            out[name] = address
    return out, forwarded
