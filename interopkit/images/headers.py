"""The fixed headers of PE and ELF images, read fast and without pefile.

``read_headers(path)`` reads the first few kilobytes of a file: the DOS header, the PE
signature, the COFF header and the optional header (or the ELF identification, file header
and program headers). That is all ``interopkit scan`` needs, and it is what the Windows loader
checks first when it decides whether an image fits a process. ``field_values(path)`` returns
the same fields with their offsets, for the byte maps of notebook 01.

Every offset a header gives is checked against the file's size before anything is read there
(``interopkit.images.files``): a far ``e_lfanew`` is refused from the numbers, not by reading up to
it. Layouts follow Microsoft's PE format page (source key PE-FMT) and the System V ELF
specification. Where a file is not an image, the error says what was found instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from interopkit.errors import ImageError
from interopkit.images.files import ImageFile, open_image
from interopkit.images.layout import Layout, ShortRead
from interopkit.images.machine import ELF_TO_PE, ElfMachine, Machine
from interopkit.winerror import WinError

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
    "LEGACY_FORMATS",
    "OPTIONAL_HEADER32",
    "OPTIONAL_HEADER64",
    "PE32PLUS_MAGIC",
    "PE32_MAGIC",
    "READ_SIZE",
    "SECTION_HEADER",
    "SUBSYSTEMS",
    "FieldValue",
    "Headers",
    "LegacyImageError",
    "PeFixed",
    "field_values",
    "parse_headers",
    "pe_headers",
    "read_headers",
    "sniff",
    "truncated",
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


class LegacyImageError(ImageError):
    """An 'MZ' file whose new header is an older format than PE: NE, LE or LX."""

    def __init__(self, subject: str, signature: str) -> None:
        self.format = signature
        """``NE``, ``LE`` or ``LX``."""
        problem, remedy = LEGACY_FORMATS[signature]
        super().__init__(subject, problem, remedy, WinError.ERROR_BAD_EXE_FORMAT)


LEGACY_FORMATS = {
    "NE": ("is a 16-bit NE (New Executable) program of Windows 3.x or OS/2 1.x, not a PE image",
           ("64-bit Windows cannot run 16-bit programs: handles there have 32 significant bits "
            "(W64-RUN)")),
    "LE": (("is an LE (Linear Executable) file, the format of Windows 3.x and 9x virtual "
            "device drivers (VxDs), not a PE image"),
           "Windows NT and its successors load PE images only"),
    "LX": ("is an LX file, the 32-bit format of OS/2, not a PE image",
           "Windows loads PE images only"),
}
"""What each pre-PE signature found at e_lfanew is, and what that means."""


def read_headers(path: str | os.PathLike[str]) -> Headers:
    """Read the fixed headers of a PE or ELF file; ImageError says what is wrong otherwise.

    Only the first ``READ_SIZE`` bytes are read, and the PE headers where ``e_lfanew`` points
    when that is further, after checking the offset against the file's size."""
    with open_image(path) as source:
        return parse_headers(source.read_upto(0, READ_SIZE), str(path), source)


def parse_headers(data: bytes, shown: str, source: ImageFile | None = None) -> Headers:
    """Parse the first bytes of the file ``shown``; headers further in are read from
    ``source`` (bounded by its size), or must be in ``data`` when there is no source."""
    if not data:
        raise ImageError(shown, "is empty (0 bytes)", "An image starts with 'MZ' (PE) or "
                         "'\\x7fELF' (ELF): get a complete copy of the file",
                         WinError.ERROR_BAD_EXE_FORMAT)
    kind = sniff(data)
    try:
        if kind == "PE":
            return pe_headers(data, shown, source)[0]
        if kind == "ELF":
            return _elf_headers(data, shown, source)
    except ShortRead as exc:
        raise truncated(shown, exc) from exc
    raise ImageError(shown, f"is not an executable image: it starts with {_hex(data[:8])}, "
                     "not 'MZ' (PE) or '\\x7fELF' (ELF)",
                     "Give a .exe, .dll, .so or ELF executable", WinError.ERROR_BAD_EXE_FORMAT)


def truncated(shown: str, exc: ShortRead) -> ImageError:
    """The kit's error for a structure that the file ends before."""
    return ImageError(shown, f"is truncated: {exc}", "The file was cut short (an interrupted "
                      "download or copy?) or a header points past its end: get a complete "
                      "copy", WinError.ERROR_BAD_EXE_FORMAT)


def field_values(path: str | os.PathLike[str]) -> list[FieldValue]:
    """Every fixed header field of a real PE or ELF file with its absolute offset and value."""
    with open_image(path) as source:
        data = source.read_upto(0, READ_SIZE)
        shown = str(path)
        headers = parse_headers(data, shown, source)
        if headers.format == "ELF":
            out = _values(ELF_IDENT, data, 0)
            layout = ELF32_HEADER if headers.bits == 32 else ELF64_HEADER
            return out + _values(layout, data, ELF_IDENT.size)
        fixed = pe_headers(data, shown, source)[1]
    pe, nt = fixed.pe_offset, fixed.window
    out = _values(DOS_HEADER, data, 0)
    out.append(FieldValue("PE signature", "Signature", pe, 4, nt[:4], "'PE\\0\\0'"))
    out += _values(COFF_HEADER, nt, 4, pe)
    opt = 4 + COFF_HEADER.size
    layout = OPTIONAL_HEADER32 if headers.pe_magic == "PE32" else OPTIONAL_HEADER64
    out += _values(layout, nt, opt, pe)
    for index, entry in enumerate(fixed.directories):
        at = pe + opt + layout.size + index * DATA_DIRECTORY.size
        out.append(FieldValue("data directories", DIRECTORY_NAMES[index], at, DATA_DIRECTORY.size,
                              entry, "(RVA, size)"))
    return out


def _values(layout: Layout, data: bytes, at: int, base: int = 0) -> list[FieldValue]:
    values = layout.unpack(data, at)
    return [FieldValue(layout.name, f.name, base + at + f.offset, f.size, values[f.name], f.doc)
            for f in layout.fields]


@dataclass(frozen=True)
class PeFixed:
    """The fixed PE headers as read, for the readers of the tables after them."""

    pe_offset: int
    """``e_lfanew``: the file offset of the PE signature."""
    window: bytes
    """The bytes from the PE signature on (at most the largest fixed headers)."""
    coff: dict[str, int]
    """The COFF file header's fields."""
    optional: dict[str, int]
    """The optional header's fields (PE32 or PE32+, by its Magic)."""
    directories: tuple[tuple[int, int], ...]
    """(RVA, size) of each data directory present (NumberOfRvaAndSizes, at most 16)."""

    @property
    def section_table(self) -> int:
        """File offset of the section table (SizeOfOptionalHeader after the optional header)."""
        return self.pe_offset + 4 + COFF_HEADER.size + self.coff["SizeOfOptionalHeader"]


def pe_headers(data: bytes, shown: str, source: ImageFile | None = None) -> tuple[Headers,
                                                                                 PeFixed]:
    """The Headers of a PE file and its fixed headers; ShortRead or ImageError on bad input."""
    pe = DOS_HEADER.read(data, "e_lfanew")
    size = source.size if source is not None else len(data)
    if pe + 4 > size:
        # Checked before reading: a far e_lfanew (0xFFFFFF00) must not make the reader read
        # four gigabytes of a sparse file.
        raise ShortRead("PE signature", pe, max(0, size - pe), 4)
    if pe + _PE_HEADERS_MAX <= len(data) or source is None:
        nt = bytes(data[pe:pe + _PE_HEADERS_MAX])
    else:
        nt = source.read_upto(pe, _PE_HEADERS_MAX)
    signature = nt[:4]
    if signature[:2] in (b"NE", b"LE", b"LX"):
        raise LegacyImageError(shown, signature[:2].decode())
    if signature != PE_SIGNATURE:
        raise ImageError(shown, f"has an 'MZ' header but no PE signature at offset {pe:#x} "
                         f"(found {_hex(signature)}): an MS-DOS program or a damaged file",
                         "Windows cannot load it as a DLL or run it as a Win32 program",
                         WinError.ERROR_BAD_EXE_FORMAT)
    coff = _unpack(COFF_HEADER, nt, 4, pe)
    opt_at = 4 + COFF_HEADER.size
    if len(nt) < opt_at + 2:
        raise ShortRead("optional header", pe + opt_at, max(0, len(nt) - opt_at), 2)
    magic = int.from_bytes(nt[opt_at:opt_at + 2], "little")
    if magic not in (PE32_MAGIC, PE32PLUS_MAGIC):
        raise ImageError(shown, f"has optional-header Magic {magic:#06x} at offset "
                         f"{pe + opt_at:#x}; expected 0x10B (PE32) or 0x20B (PE32+)",
                         "It is not a Windows image (an object file, a ROM image or damaged)",
                         WinError.ERROR_BAD_EXE_FORMAT)
    layout = OPTIONAL_HEADER32 if magic == PE32_MAGIC else OPTIONAL_HEADER64
    optional = _unpack(layout, nt, opt_at, pe)
    at = opt_at + layout.size
    # Where the file ends inside the directories, the ones after are absent.
    count = min(optional["NumberOfRvaAndSizes"], len(DIRECTORY_NAMES),
                max(0, len(nt) - at) // DATA_DIRECTORY.size)
    directories = tuple(DATA_DIRECTORY.struct.iter_unpack(nt[at:at + count *
                                                              DATA_DIRECTORY.size]))
    fixed = PeFixed(pe, nt, coff, optional, directories)
    bits = 32 if magic == PE32_MAGIC else 64
    characteristics = coff["Characteristics"]
    clr = directories[_COM_DESCRIPTOR] if len(directories) > _COM_DESCRIPTOR else (0, 0)
    subsystem = optional["Subsystem"]
    headers = Headers(
        path=shown, format="PE", machine=Machine.from_value(coff["Machine"]),
        machine_value=coff["Machine"], bits=bits,
        kind="dll" if characteristics & IMAGE_FILE_DLL else "exe",
        pe_magic="PE32" if bits == 32 else "PE32+",
        subsystem=SUBSYSTEMS.get(subsystem, f"subsystem {subsystem}"),
        large_address_aware=bool(characteristics & IMAGE_FILE_LARGE_ADDRESS_AWARE),
        has_clr_header=clr[0] != 0 and clr[1] != 0, elf_machine=None,
    )
    return headers, fixed


def _unpack(layout: Layout, window: bytes, at: int, base: int) -> dict[str, Any]:
    try:
        return layout.unpack(window, at)
    except ShortRead as exc:  # say where in the file, not where in the window
        raise ShortRead(exc.layout, base + exc.offset, exc.got, exc.need) from None


def _elf_headers(data: bytes, shown: str, source: ImageFile | None) -> Headers:
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
    if kind == "dll" and _has_interp(data, header, bits, source):
        kind = "exe"  # a position-independent executable is ET_DYN with an interpreter
    return Headers(
        path=shown, format="ELF", machine=ELF_TO_PE.get(elf_machine) if elf_machine else None,
        machine_value=header["e_machine"], bits=bits, kind=kind, pe_magic=None, subsystem=None,
        large_address_aware=False, has_clr_header=False, elf_machine=elf_machine,
    )


_PT_ENTRY = {32: 32, 64: 56}
_PHNUM_READ = 64


def _has_interp(data: bytes, header: dict[str, Any], bits: int,
                source: ImageFile | None) -> bool:
    entry = _PT_ENTRY[bits]
    count = min(header["e_phnum"], _PHNUM_READ)
    start = header["e_phoff"]
    if start + count * entry > len(data) and source is not None:
        table = source.read_upto(start, count * entry)  # at most 64 entries, 3.5 KiB
        start = 0
    else:
        table = data
    for index in range(count):
        at = start + index * entry
        if at + 4 > len(table):
            return False
        if int.from_bytes(table[at:at + 4], "little") == _PT_INTERP:
            return True
    return False


def _hex(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data) or "nothing"
