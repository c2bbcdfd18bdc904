"""The fixed headers of PE and ELF images, read fast and without pefile.

``read_headers(path)`` reads only the first few kilobytes of a file: the DOS header, the PE
signature, the COFF header and the optional header (or the ELF identification, file header
and program headers). That is all ``interopkit scan`` needs, and it is what the Windows loader
checks first when it decides whether an image fits a process. ``field_values(path)`` returns
the same fields with their offsets, for the byte maps of notebook 01.

Layouts follow Microsoft's PE format page (key PE-FMT in ``interopkit.sources``) and the System V
ELF specification. Where a file is not an image, the error says what was found instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .errors import ImageError
from .layout import Layout, ShortRead
from .machine import ELF_TO_PE, ElfMachine, Machine
from .winerror import WinError

__all__ = [
    "COFF_HEADER",
    "DATA_DIRECTORY",
    "DIRECTORY_NAMES",
    "DOS_HEADER",
    "ELF32_HEADER",
    "ELF64_HEADER",
    "ELF_IDENT",
    "IMAGE_FILE_DLL",
    "IMAGE_FILE_EXECUTABLE_IMAGE",
    "IMAGE_FILE_LARGE_ADDRESS_AWARE",
    "OPTIONAL_HEADER32",
    "OPTIONAL_HEADER64",
    "PE32PLUS_MAGIC",
    "PE32_MAGIC",
    "READ_SIZE",
    "SECTION_HEADER",
    "SUBSYSTEMS",
    "FieldValue",
    "Headers",
    "field_values",
    "parse_headers",
    "read_headers",
    "sniff",
]

READ_SIZE = 4096
"""Bytes read from the start of a file; larger headers are read on demand."""

DOS_HEADER = Layout("DOS header", [
    ("e_magic", "2s", "'MZ', the signature every PE file starts with"),
    ("e_cblp", "H", "bytes on the last 512-byte page (MS-DOS)"),
    ("e_cp", "H", "512-byte pages in the file (MS-DOS)"),
    ("e_crlc", "H", "relocations (MS-DOS)"),
    ("e_cparhdr", "H", "header size in 16-byte paragraphs (MS-DOS)"),
    ("e_minalloc", "H", "minimum extra paragraphs (MS-DOS)"),
    ("e_maxalloc", "H", "maximum extra paragraphs (MS-DOS)"),
    ("e_ss", "H", "initial SS (MS-DOS)"),
    ("e_sp", "H", "initial SP (MS-DOS)"),
    ("e_csum", "H", "checksum (MS-DOS)"),
    ("e_ip", "H", "initial IP (MS-DOS)"),
    ("e_cs", "H", "initial CS (MS-DOS)"),
    ("e_lfarlc", "H", "offset of the relocation table (MS-DOS)"),
    ("e_ovno", "H", "overlay number (MS-DOS)"),
    ("e_res", "8s", "reserved"),
    ("e_oemid", "H", "OEM identifier"),
    ("e_oeminfo", "H", "OEM information"),
    ("e_res2", "20s", "reserved"),
    ("e_lfanew", "I", "file offset of the 'PE\\0\\0' signature"),
])

PE_SIGNATURE = b"PE\0\0"

COFF_HEADER = Layout("COFF file header", [
    ("Machine", "H", "the CPU the image is built for (IMAGE_FILE_MACHINE_*)"),
    ("NumberOfSections", "H", "entries in the section table"),
    ("TimeDateStamp", "I", "link time, or a hash in reproducible builds"),
    ("PointerToSymbolTable", "I", "COFF symbol table offset (0 for images)"),
    ("NumberOfSymbols", "I", "COFF symbols (0 for images)"),
    ("SizeOfOptionalHeader", "H", "bytes of optional header that follow"),
    ("Characteristics", "H", "flags, decoded in the value (FILE_CHARACTERISTICS)"),
])

_OPTIONAL_COMMON_HEAD = [
    ("Magic", "H", "0x10B = PE32 (32-bit), 0x20B = PE32+ (64-bit)"),
    ("MajorLinkerVersion", "B", "linker major version"),
    ("MinorLinkerVersion", "B", "linker minor version"),
    ("SizeOfCode", "I", "bytes of code sections"),
    ("SizeOfInitializedData", "I", "bytes of initialised data"),
    ("SizeOfUninitializedData", "I", "bytes of zero-filled data"),
    ("AddressOfEntryPoint", "I", "RVA of the entry point"),
    ("BaseOfCode", "I", "RVA of the first code section"),
]
_OPTIONAL_COMMON_MIDDLE = [
    ("SectionAlignment", "I", "alignment of sections in memory"),
    ("FileAlignment", "I", "alignment of sections in the file"),
    ("MajorOperatingSystemVersion", "H", "required OS major version"),
    ("MinorOperatingSystemVersion", "H", "required OS minor version"),
    ("MajorImageVersion", "H", "image major version"),
    ("MinorImageVersion", "H", "image minor version"),
    ("MajorSubsystemVersion", "H", "subsystem major version"),
    ("MinorSubsystemVersion", "H", "subsystem minor version"),
    ("Win32VersionValue", "I", "reserved, 0"),
    ("SizeOfImage", "I", "bytes the image occupies in memory"),
    ("SizeOfHeaders", "I", "bytes of all headers in the file"),
    ("CheckSum", "I", "image checksum (checked for drivers)"),
    ("Subsystem", "H", "2 = Windows GUI, 3 = Windows console ..."),
    ("DllCharacteristics", "H", "flags, decoded in the value (DLL_CHARACTERISTICS)"),
]


def _optional_header(bits: int) -> Layout:
    # PE32 and PE32+ differ only in the pointer-sized fields (and PE32's BaseOfData): the
    # width comes from the Magic in the file, never from the host.
    word = "I" if bits == 32 else "Q"
    base = [("BaseOfData", "I", "RVA of the first data section (PE32 only)")] if bits == 32 else []
    return Layout(f"optional header ({'PE32' if bits == 32 else 'PE32+'})", [
        *_OPTIONAL_COMMON_HEAD,
        *base,
        ("ImageBase", word, "preferred load address"),
        *_OPTIONAL_COMMON_MIDDLE,
        ("SizeOfStackReserve", word, "stack reserve of the first thread"),
        ("SizeOfStackCommit", word, "stack commit of the first thread"),
        ("SizeOfHeapReserve", word, "default heap reserve"),
        ("SizeOfHeapCommit", word, "default heap commit"),
        ("LoaderFlags", "I", "reserved, 0"),
        ("NumberOfRvaAndSizes", "I", "data directories that follow"),
    ])


OPTIONAL_HEADER32 = _optional_header(32)
OPTIONAL_HEADER64 = _optional_header(64)

DATA_DIRECTORY = Layout("data directory", [
    ("VirtualAddress", "I", "RVA of the table"),
    ("Size", "I", "size of the table"),
])

DIRECTORY_NAMES = (
    "EXPORT", "IMPORT", "RESOURCE", "EXCEPTION", "SECURITY", "BASERELOC", "DEBUG",
    "ARCHITECTURE", "GLOBALPTR", "TLS", "LOAD_CONFIG", "BOUND_IMPORT", "IAT", "DELAY_IMPORT",
    "COM_DESCRIPTOR", "RESERVED",
)

SECTION_HEADER = Layout("section header", [
    ("Name", "8s", "section name, NUL-padded"),
    ("VirtualSize", "I", "bytes in memory"),
    ("VirtualAddress", "I", "RVA of the section"),
    ("SizeOfRawData", "I", "bytes in the file"),
    ("PointerToRawData", "I", "file offset of the section's data"),
    ("PointerToRelocations", "I", "COFF relocations (0 for images)"),
    ("PointerToLinenumbers", "I", "deprecated"),
    ("NumberOfRelocations", "H", "COFF relocations (0 for images)"),
    ("NumberOfLinenumbers", "H", "deprecated"),
    ("Characteristics", "I", "flags: code, data, read, write, execute"),
])

ELF_MAGIC = b"\x7fELF"

ELF_IDENT = Layout("ELF identification", [
    ("EI_MAG", "4s", "'\\x7fELF'"),
    ("EI_CLASS", "B", "1 = ELFCLASS32, 2 = ELFCLASS64: the pointer width of the object"),
    ("EI_DATA", "B", "1 = little-endian, 2 = big-endian"),
    ("EI_VERSION", "B", "1"),
    ("EI_OSABI", "B", "0 = System V"),
    ("EI_ABIVERSION", "B", "ABI version"),
    ("EI_PAD", "7s", "padding"),
])


def _elf_header(bits: int) -> Layout:
    word = "I" if bits == 32 else "Q"
    return Layout(f"ELF{bits} file header", [
        ("e_type", "H", "1 = relocatable, 2 = executable, 3 = shared object or PIE, 4 = core"),
        ("e_machine", "H", "the CPU (EM_386, EM_X86_64, EM_AARCH64 ...)"),
        ("e_version", "I", "1"),
        ("e_entry", word, "entry point address"),
        ("e_phoff", word, "file offset of the program headers"),
        ("e_shoff", word, "file offset of the section headers"),
        ("e_flags", "I", "processor-specific flags"),
        ("e_ehsize", "H", "size of this header"),
        ("e_phentsize", "H", "size of one program header"),
        ("e_phnum", "H", "number of program headers"),
        ("e_shentsize", "H", "size of one section header"),
        ("e_shnum", "H", "number of section headers"),
        ("e_shstrndx", "H", "section holding section names"),
    ])


ELF32_HEADER = _elf_header(32)
ELF64_HEADER = _elf_header(64)

FILE_CHARACTERISTICS = {
    0x0001: "RELOCS_STRIPPED", 0x0002: "EXECUTABLE_IMAGE", 0x0004: "LINE_NUMS_STRIPPED",
    0x0008: "LOCAL_SYMS_STRIPPED", 0x0020: "LARGE_ADDRESS_AWARE", 0x0100: "32BIT_MACHINE",
    0x0200: "DEBUG_STRIPPED", 0x0400: "REMOVABLE_RUN_FROM_SWAP", 0x0800: "NET_RUN_FROM_SWAP",
    0x1000: "SYSTEM", 0x2000: "DLL", 0x4000: "UP_SYSTEM_ONLY",
}
"""IMAGE_FILE_* flags of the COFF header's Characteristics (PE-FMT)."""

DLL_CHARACTERISTICS = {
    0x0020: "HIGH_ENTROPY_VA", 0x0040: "DYNAMIC_BASE", 0x0080: "FORCE_INTEGRITY",
    0x0100: "NX_COMPAT", 0x0200: "NO_ISOLATION", 0x0400: "NO_SEH", 0x0800: "NO_BIND",
    0x1000: "APPCONTAINER", 0x2000: "WDM_DRIVER", 0x4000: "GUARD_CF",
    0x8000: "TERMINAL_SERVER_AWARE",
}
"""IMAGE_DLLCHARACTERISTICS_* flags of the optional header (PE-FMT)."""


def flag_names(value: int, table: dict[int, str]) -> tuple[str, ...]:
    """The names of the flags set in ``value``."""
    return tuple(name for bit, name in table.items() if value & bit)


IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002
IMAGE_FILE_LARGE_ADDRESS_AWARE = 0x0020
IMAGE_FILE_DLL = 0x2000
PE32_MAGIC = 0x10B
PE32PLUS_MAGIC = 0x20B
_COM_DESCRIPTOR = DIRECTORY_NAMES.index("COM_DESCRIPTOR")
_PE_HEADERS_MAX = (len(PE_SIGNATURE) + COFF_HEADER.size + OPTIONAL_HEADER64.size
                   + len(DIRECTORY_NAMES) * DATA_DIRECTORY.size)
_ET_NAMES = {1: "object", 2: "exe", 3: "dll", 4: "core"}
_PT_INTERP = 3

SUBSYSTEMS = {
    0: "unknown", 1: "native", 2: "Windows GUI", 3: "Windows console", 5: "OS/2 console",
    7: "POSIX console", 9: "Windows CE GUI", 10: "EFI application", 11: "EFI boot driver",
    12: "EFI runtime driver", 13: "EFI ROM", 14: "Xbox", 16: "Windows boot application",
}


@dataclass(frozen=True)
class Headers:
    """What the fixed headers of an image say, read without parsing its tables."""

    path: str
    """The file, as given."""
    format: str
    """``PE`` or ``ELF``."""
    machine: Machine | None
    """The PE machine, or the PE counterpart of the ELF machine; None if unknown."""
    machine_value: int
    """The raw ``Machine`` (PE) or ``e_machine`` (ELF) value."""
    bits: int
    """32 or 64: from the Magic (PE32/PE32+) or EI_CLASS, the data's own pointer width."""
    kind: str
    """``dll`` or ``exe`` (ELF also ``object`` or ``core``)."""
    pe_magic: str | None
    """``PE32`` or ``PE32+``; None for ELF."""
    subsystem: str | None
    """The PE subsystem name; None for ELF."""
    large_address_aware: bool
    """PE: IMAGE_FILE_LARGE_ADDRESS_AWARE is set (linkers set it on 64-bit images)."""
    has_clr_header: bool
    """PE: the COM_DESCRIPTOR (CLR) data directory is present, so this is a .NET image."""
    elf_machine: ElfMachine | None
    """ELF: the e_machine member, when known."""

    @property
    def machine_name(self) -> str:
        """``I386``, ``AMD64``, ``ARM64`` ... or the raw value in hex."""
        return self.machine.name if self.machine is not None else f"0x{self.machine_value:04X}"


@dataclass(frozen=True)
class FieldValue:
    """One header field of a real file, for byte maps and annotated dumps."""

    region: str
    """The structure it belongs to (``DOS header``, ``COFF file header`` ...)."""
    name: str
    """Field name."""
    offset: int
    """Absolute file offset."""
    size: int
    """Bytes."""
    value: Any
    """Decoded value."""
    doc: str
    """What the field means."""


def sniff(head: bytes) -> str | None:
    """``PE`` (well, ``MZ``), ``ELF`` or None from the first bytes of a file."""
    if head[:2] == b"MZ":
        return "PE"
    if head[:4] == ELF_MAGIC:
        return "ELF"
    return None


def read_headers(path: str | os.PathLike[str]) -> Headers:
    """Read the fixed headers of a PE or ELF file; ImageError says what is wrong otherwise."""
    shown = str(path)
    return parse_headers(_read_start(path, shown), shown)


def parse_headers(data: bytes, shown: str) -> Headers:
    """Parse the first ``READ_SIZE`` bytes of the file ``shown`` (read more only if needed)."""
    if not data:
        raise ImageError(shown, "is empty (0 bytes)", "An image starts with 'MZ' (PE) or "
                         "'\\x7fELF' (ELF): get a complete copy of the file",
                         WinError.ERROR_BAD_EXE_FORMAT)
    try:
        if sniff(data) == "PE":
            return _pe_headers(data, shown)
        if sniff(data) == "ELF":
            return _elf_headers(data, shown)
    except ShortRead as exc:
        raise ImageError(shown, f"is truncated: {exc}",
                         "The file was cut short (an interrupted download or copy?): "
                         "get a complete copy", WinError.ERROR_BAD_EXE_FORMAT) from exc
    raise ImageError(shown, f"is not an executable image: it starts with {_hex(data[:8])}, "
                     "not 'MZ' (PE) or '\\x7fELF' (ELF)",
                     "Give a .exe, .dll, .so or ELF executable", WinError.ERROR_BAD_EXE_FORMAT)


def field_values(path: str | os.PathLike[str]) -> list[FieldValue]:
    """Every fixed header field of a real PE or ELF file with its absolute offset and value."""
    headers = read_headers(path)
    data = _read_start(path, str(path), limit=None if headers.format == "PE" else 128)
    if headers.format == "ELF":
        out = _values(ELF_IDENT, data, 0)
        layout = ELF32_HEADER if headers.bits == 32 else ELF64_HEADER
        return out + _values(layout, data, ELF_IDENT.size)
    out = _values(DOS_HEADER, data, 0)
    pe = DOS_HEADER.unpack(data)["e_lfanew"]
    out.append(FieldValue("PE signature", "Signature", pe, 4, data[pe:pe + 4], "'PE\\0\\0'"))
    out += _values(COFF_HEADER, data, pe + 4)
    opt = pe + 4 + COFF_HEADER.size
    layout = OPTIONAL_HEADER32 if headers.pe_magic == "PE32" else OPTIONAL_HEADER64
    out += _values(layout, data, opt)
    count = min(layout.unpack(data, opt)["NumberOfRvaAndSizes"], len(DIRECTORY_NAMES))
    for index in range(count):
        at = opt + layout.size + index * DATA_DIRECTORY.size
        entry = DATA_DIRECTORY.unpack(data, at)
        out.append(FieldValue("data directories", DIRECTORY_NAMES[index], at, DATA_DIRECTORY.size,
                              (entry["VirtualAddress"], entry["Size"]), "(RVA, size)"))
    return out


def _values(layout: Layout, data: bytes, base: int) -> list[FieldValue]:
    values = layout.unpack(data, base)
    return [FieldValue(layout.name, f.name, base + f.offset, f.size, values[f.name], f.doc)
            for f in layout.fields]


def _read_start(path: str | os.PathLike[str], shown: str, limit: int | None = READ_SIZE) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except FileNotFoundError as exc:
        raise ImageError(shown, "does not exist", "Check the path (the kit's own samples are "
                         "listed by `interopkit.samples.sample_paths()`)",
                         WinError.ERROR_FILE_NOT_FOUND) from exc
    except IsADirectoryError as exc:
        raise ImageError(shown, "is a folder, not a file",
                         "Name a file inside it, or classify the whole folder with "
                         "`interopkit scan`") from exc
    except PermissionError as exc:
        raise ImageError(shown, "cannot be read (permission denied)",
                         "Check the file's permissions", WinError.ERROR_ACCESS_DENIED) from exc
    except OSError as exc:
        raise ImageError(shown, f"cannot be read ({exc.strerror or exc})",
                         "Check that it is a regular, readable file") from exc


def _pe_headers(data: bytes, shown: str) -> Headers:
    pe = DOS_HEADER.read(data, "e_lfanew")
    if pe + _PE_HEADERS_MAX > len(data) and len(data) == READ_SIZE:
        # A large DOS stub pushes the headers past the first read: read as far as they can go.
        data = _read_start(shown, shown, limit=pe + _PE_HEADERS_MAX)
    signature = data[pe:pe + 4]
    if signature[:2] in (b"NE", b"LE", b"LX"):
        raise ImageError(shown, f"is a 16-bit {signature[:2].decode()} executable (Windows 3.x "
                         "or OS/2), not a PE image",
                         "64-bit Windows cannot run 16-bit programs: handles there have 32 "
                         "significant bits (W64-RUN)", WinError.ERROR_BAD_EXE_FORMAT)
    if len(signature) < 4:
        raise ShortRead("PE signature", pe, len(signature), 4)
    if signature != PE_SIGNATURE:
        raise ImageError(shown, f"has an 'MZ' header but no PE signature at offset {pe:#x} "
                         f"(found {_hex(signature)}): an MS-DOS program or a damaged file",
                         "Windows cannot load it as a DLL or run it as a Win32 program",
                         WinError.ERROR_BAD_EXE_FORMAT)
    coff = COFF_HEADER.unpack(data, pe + 4)
    opt_at = pe + 4 + COFF_HEADER.size
    magic = int.from_bytes(data[opt_at:opt_at + 2], "little") if len(data) >= opt_at + 2 else None
    if magic is None:
        raise ShortRead("optional header", opt_at, max(0, len(data) - opt_at), 2)
    if magic not in (PE32_MAGIC, PE32PLUS_MAGIC):
        raise ImageError(shown, f"has optional-header Magic {magic:#06x} at offset {opt_at:#x}; "
                         "expected 0x10B (PE32) or 0x20B (PE32+)",
                         "It is not a Windows image (an object file, a ROM image or damaged)",
                         WinError.ERROR_BAD_EXE_FORMAT)
    layout = OPTIONAL_HEADER32 if magic == PE32_MAGIC else OPTIONAL_HEADER64
    subsystem = layout.read(data, "Subsystem", opt_at)
    count = layout.read(data, "NumberOfRvaAndSizes", opt_at)
    clr = _directory(data, opt_at + layout.size, count, _COM_DESCRIPTOR)
    bits = 32 if magic == PE32_MAGIC else 64
    characteristics = coff["Characteristics"]
    return Headers(
        path=shown, format="PE", machine=Machine.from_value(coff["Machine"]),
        machine_value=coff["Machine"], bits=bits,
        kind="dll" if characteristics & IMAGE_FILE_DLL else "exe",
        pe_magic="PE32" if bits == 32 else "PE32+",
        subsystem=SUBSYSTEMS.get(subsystem, f"subsystem {subsystem}"),
        large_address_aware=bool(characteristics & IMAGE_FILE_LARGE_ADDRESS_AWARE),
        has_clr_header=clr[0] != 0 and clr[1] != 0, elf_machine=None,
    )


def _directory(data: bytes, at: int, count: int, index: int) -> tuple[int, int]:
    if index >= count:
        return (0, 0)
    entry = DATA_DIRECTORY.unpack(data, at + index * DATA_DIRECTORY.size)
    return (entry["VirtualAddress"], entry["Size"])


def _elf_headers(data: bytes, shown: str) -> Headers:
    ident = ELF_IDENT.unpack(data)
    if ident["EI_CLASS"] not in (1, 2):
        raise ImageError(shown, f"has ELF class {ident['EI_CLASS']}; expected 1 (32-bit) or 2 "
                         "(64-bit)", "The file is damaged", WinError.ERROR_BAD_EXE_FORMAT)
    if ident["EI_DATA"] != 1:
        raise ImageError(shown, "is a big-endian ELF file; the kit reads little-endian images "
                         "(x86, x64, ARM64)", "Use a little-endian build")
    bits = 32 if ident["EI_CLASS"] == 1 else 64
    header = (ELF32_HEADER if bits == 32 else ELF64_HEADER).unpack(data, ELF_IDENT.size)
    try:
        elf_machine: ElfMachine | None = ElfMachine(header["e_machine"])
    except ValueError:
        elf_machine = None
    kind = _ET_NAMES.get(header["e_type"], f"type {header['e_type']}")
    if kind == "dll" and _has_interp(data, header, bits):
        kind = "exe"  # a position-independent executable is ET_DYN with an interpreter
    return Headers(
        path=shown, format="ELF", machine=ELF_TO_PE.get(elf_machine) if elf_machine else None,
        machine_value=header["e_machine"], bits=bits, kind=kind, pe_magic=None, subsystem=None,
        large_address_aware=False, has_clr_header=False, elf_machine=elf_machine,
    )


def _has_interp(data: bytes, header: dict[str, Any], bits: int) -> bool:
    entry = 32 if bits == 32 else 56
    for index in range(min(header["e_phnum"], 64)):
        at = header["e_phoff"] + index * entry
        if at + 4 > len(data):
            return False
        if int.from_bytes(data[at:at + 4], "little") == _PT_INTERP:
            return True
    return False


def _hex(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data) or "nothing"
