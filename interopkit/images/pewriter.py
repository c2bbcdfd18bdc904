"""Minimal PE images constructed by the kit, for teaching and tests.

No toolchain on a Linux machine builds .NET assemblies (or, for the emulation lesson, ARM64EC
and ARM64X images), yet the lessons must show what the inspector says about them. This
module writes the smallest image that carries the headers in question, with the same layouts
``interopkit.images.headers`` reads. Every image it writes says so in its only section
(``CONSTRUCTED_MARKER``): they are not programs and do not run. Notebook 01 labels them
"constructed for teaching" wherever it shows one.
"""

from __future__ import annotations

import os
from pathlib import Path

from interopkit.errors import UsageError
from interopkit.images.headers import (
    COFF_HEADER,
    DATA_DIRECTORY,
    DIRECTORY_NAMES,
    DOS_HEADER,
    IMAGE_FILE_DLL,
    IMAGE_FILE_EXECUTABLE_IMAGE,
    IMAGE_FILE_LARGE_ADDRESS_AWARE,
    OPTIONAL_HEADER32,
    OPTIONAL_HEADER64,
    PE32_MAGIC,
    PE32PLUS_MAGIC,
    PE_SIGNATURE,
    SECTION_HEADER,
)
from interopkit.images.inspection import COR20_HEADER
from interopkit.images.layout import Layout
from interopkit.images.machine import Machine

__all__ = ["CONSTRUCTED_MARKER", "IMPORT_DESCRIPTOR", "build_image", "write_image"]

CONSTRUCTED_MARKER = b"interopkit: image constructed for teaching; it is not a program.\0"

_FILE_ALIGN, _SECTION_ALIGN = 0x200, 0x1000
_SECTION_RVA, _SECTION_OFFSET = 0x1000, 0x200
_IMAGE_SCN_CNT_INITIALIZED_DATA, _IMAGE_SCN_MEM_READ = 0x40, 0x40000000
_COM_DESCRIPTOR = DIRECTORY_NAMES.index("COM_DESCRIPTOR")
_IMPORT = DIRECTORY_NAMES.index("IMPORT")
_LOAD_CONFIG = DIRECTORY_NAMES.index("LOAD_CONFIG")

IMPORT_DESCRIPTOR = Layout("import descriptor", [
    ("OriginalFirstThunk", "I", "RVA of the import lookup table"),
    ("TimeDateStamp", "I", "0 until bound"),
    ("ForwarderChain", "I", "0"),
    ("Name", "I", "RVA of the DLL's name"),
    ("FirstThunk", "I", "RVA of the import address table"),
])


def build_image(machine: Machine, *, pe32_plus: bool | None = None, dll: bool = True,
                large_address_aware: bool = False, subsystem: int = 3,
                clr_flags: int | None = None,
                imports: dict[str, list[str]] | None = None, hybrid: bool = False) -> bytes:
    """The bytes of a minimal PE image.

    ``pe32_plus`` defaults to the machine's bitness; ``clr_flags`` (COMIMAGE_FLAGS_*) adds a
    CLR header, making it look like a .NET assembly to any PE reader; ``imports`` maps DLL
    names to the function names the image imports from them (an import directory);
    ``hybrid`` adds a load configuration pointing at (placeholder) hybrid metadata, which is
    what marks an ARM64EC (x64 header) or ARM64X (Arm64 header) image.
    """
    plus = machine.bits == 64 if pe32_plus is None else pe32_plus
    optional = OPTIONAL_HEADER64 if plus else OPTIONAL_HEADER32
    body = bytearray(CONSTRUCTED_MARKER)
    directories = [(0, 0)] * len(DIRECTORY_NAMES)
    if clr_flags is not None:
        cor_rva = _SECTION_RVA + len(body)
        body += COR20_HEADER.pack(cb=COR20_HEADER.size, MajorRuntimeVersion=2,
                                  MinorRuntimeVersion=5, Flags=clr_flags)
        directories[_COM_DESCRIPTOR] = (cor_rva, COR20_HEADER.size)
    if imports:
        body += b"\0" * (-len(body) % 8)
        table_rva = _SECTION_RVA + len(body)
        body += _import_tables(imports, table_rva, 8 if plus else 4)
        directories[_IMPORT] = (table_rva, IMPORT_DESCRIPTOR.size * (len(imports) + 1))
    image_base = 0x180000000 if plus else 0x10000000
    if hybrid:
        from interopkit.images.inspection import CHPE_POINTER_OFFSET

        width = 8 if plus else 4
        body += b"\0" * (-len(body) % 8)
        metadata_rva = _SECTION_RVA + len(body)
        body += (1).to_bytes(4, "little") + b"constructed CHPE metadata\0"  # version 1
        body += b"\0" * (-len(body) % 8)
        config_rva = _SECTION_RVA + len(body)
        size = CHPE_POINTER_OFFSET[64 if plus else 32] + width
        config = bytearray(size)
        config[:4] = size.to_bytes(4, "little")
        config[size - width:] = (image_base + metadata_rva).to_bytes(width, "little")
        body += config
        directories[_LOAD_CONFIG] = (config_rva, size)
    raw_size = _align(len(body), _FILE_ALIGN)
    characteristics = IMAGE_FILE_EXECUTABLE_IMAGE
    characteristics |= IMAGE_FILE_DLL if dll else 0
    characteristics |= IMAGE_FILE_LARGE_ADDRESS_AWARE if large_address_aware or plus else 0
    size_of_optional = optional.size + DATA_DIRECTORY.size * len(directories)
    headers = bytearray(DOS_HEADER.pack(e_magic=b"MZ", e_lfanew=DOS_HEADER.size))
    headers += PE_SIGNATURE
    headers += COFF_HEADER.pack(Machine=int(machine), NumberOfSections=1,
                                SizeOfOptionalHeader=size_of_optional,
                                Characteristics=characteristics)
    headers += optional.pack(
        Magic=PE32PLUS_MAGIC if plus else PE32_MAGIC, MajorLinkerVersion=14,
        SizeOfInitializedData=raw_size,
        ImageBase=image_base, SectionAlignment=_SECTION_ALIGN,
        FileAlignment=_FILE_ALIGN, MajorOperatingSystemVersion=6, MajorSubsystemVersion=6,
        SizeOfImage=_SECTION_RVA + _align(len(body), _SECTION_ALIGN),
        SizeOfHeaders=_SECTION_OFFSET, Subsystem=subsystem, DllCharacteristics=0x0140,
        NumberOfRvaAndSizes=len(directories),
    )
    for rva, size in directories:
        headers += DATA_DIRECTORY.pack(VirtualAddress=rva, Size=size)
    headers += SECTION_HEADER.pack(
        Name=b".rdata", VirtualSize=len(body), VirtualAddress=_SECTION_RVA,
        SizeOfRawData=raw_size, PointerToRawData=_SECTION_OFFSET,
        Characteristics=_IMAGE_SCN_CNT_INITIALIZED_DATA | _IMAGE_SCN_MEM_READ)
    image = bytes(headers.ljust(_SECTION_OFFSET, b"\0")) + bytes(body.ljust(raw_size, b"\0"))
    return image


def _import_tables(imports: dict[str, list[str]], base: int, slot: int) -> bytes:
    """Descriptors, then per DLL its lookup table, address table, names (PE-FMT, .idata)."""
    descriptors = IMPORT_DESCRIPTOR.size * (len(imports) + 1)
    tail = bytearray()
    entries = []
    for dll, names in imports.items():
        if not names:
            raise UsageError(f"imports of {dll}", "name no function",
                             "Give at least one function name per DLL (linkers never emit "
                             "an empty import)")
        hints = []
        for name in names:  # hint/name entries: a 2-byte hint, the name, NUL, even length
            hints.append(base + descriptors + len(tail))
            tail += b"\0\0" + name.encode("ascii") + b"\0"
            tail += b"\0" * (len(tail) % 2)
        dll_name = base + descriptors + len(tail)
        tail += dll.encode("ascii") + b"\0"
        tail += b"\0" * (-len(tail) % slot)
        thunks = b"".join(h.to_bytes(slot, "little") for h in hints) + b"\0" * slot
        lookup = base + descriptors + len(tail)
        tail += thunks
        address = base + descriptors + len(tail)
        tail += thunks
        entries.append(IMPORT_DESCRIPTOR.pack(OriginalFirstThunk=lookup, Name=dll_name,
                                              FirstThunk=address))
    return b"".join(entries) + IMPORT_DESCRIPTOR.pack() + bytes(tail)


def write_image(path: str | os.PathLike[str], machine: Machine, **options: object) -> Path:
    """Write ``build_image(machine, **options)`` to ``path``; returns the path."""
    target = Path(path)
    target.write_bytes(build_image(machine, **options))  # type: ignore[arg-type]
    return target


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment
