"""``inspect(path)``: everything the kit teaches about one PE or ELF image, as one frozen value.

The fixed headers come from ``interopkit.images.headers`` (which also rejects files that are not
images, with the kit's own error); the tables (exports, imports, sections, the CLR header)
come from ``interopkit.images.petables`` for PE files and from ``interopkit.images.elf`` for ELF
files. Both read only what the headers point to, with every offset and count checked against the
file's size first (``interopkit.images.files``): inspecting a file costs a few small reads whatever
its size, and a hostile one cannot make the kit read gigabytes. pefile, the Python library
most tools use, gives the same exports and imports for the kit's images (the tests compare
them) but reads and parses the whole file.

.NET images: the kit reads the CLR (COR20) header with a declared layout. The platform names
follow .NET's ``corhdr.h`` (``CorPEKind``: 32BITREQUIRED alone means x86-only; 32BITREQUIRED
with 32BITPREFERRED means AnyCPU preferring 32-bit) and the CorFlags documentation (source
keys CORHDR, CORFLAGS, CSC-PLATFORM, SADOV). Taught in notebook 01.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from interopkit.errors import ImageError
from interopkit.images import elf
from interopkit.images.files import ImageFile, open_image
from interopkit.images.headers import (
    DLL_CHARACTERISTICS,
    ELF32_HEADER,
    ELF64_HEADER,
    ELF_IDENT,
    READ_SIZE,
    Headers,
    PeFixed,
    flag_names,
    parse_headers,
    pe_headers,
    sniff,
    truncated,
)
from interopkit.images.layout import Layout, ShortRead
from interopkit.images.machine import Machine
from interopkit.images.petables import PeTables
from interopkit.winerror import WinError

__all__ = [
    "CLR_FLAGS",
    "COR20_HEADER",
    "DLL_CHARACTERISTICS",
    "ClrInfo",
    "ImageInfo",
    "Import",
    "Opinion",
    "clr_platform",
    "inspect",
    "second_opinion",
]

CLR_FLAGS = {
    0x00001: "ILONLY",
    0x00002: "32BITREQ",
    0x00004: "IL_LIBRARY",
    0x00008: "STRONGNAMESIGNED",
    0x00010: "NATIVE_ENTRYPOINT",
    0x10000: "TRACKDEBUGDATA",
    0x20000: "32BITPREF",
}
"""COMIMAGE_FLAGS_* values, named as CorFlags.exe prints them."""


COR20_HEADER = Layout("CLR (COR20) header", [
    ("cb", "I", "size of this header, 72"),
    ("MajorRuntimeVersion", "H", "2 for every CLR since 2.0"),
    ("MinorRuntimeVersion", "H", "5 for CLR 2.0 and later; below 2.5 means CLR 1.x"),
    ("MetaDataRva", "I", "RVA of the metadata"),
    ("MetaDataSize", "I", "size of the metadata"),
    ("Flags", "I", "COMIMAGE_FLAGS_*: ILONLY, 32BITREQUIRED, 32BITPREFERRED ..."),
    ("EntryPointToken", "I", "entry point method token (0 for a DLL)"),
    ("ResourcesRva", "I", ""), ("ResourcesSize", "I", ""),
    ("StrongNameSignatureRva", "I", ""), ("StrongNameSignatureSize", "I", ""),
    ("CodeManagerTableRva", "I", ""), ("CodeManagerTableSize", "I", ""),
    ("VTableFixupsRva", "I", ""), ("VTableFixupsSize", "I", ""),
    ("ExportAddressTableJumpsRva", "I", ""), ("ExportAddressTableJumpsSize", "I", ""),
    ("ManagedNativeHeaderRva", "I", ""), ("ManagedNativeHeaderSize", "I", ""),
])


@dataclass(frozen=True)
class Import:
    """One imported library and the names the image takes from it."""

    library: str
    """The DLL (or, for ELF, the DT_NEEDED shared object) named by the image."""
    names: tuple[str, ...]
    """Imported function names (``#N`` for an import by ordinal); empty for ELF."""


@dataclass(frozen=True)
class ClrInfo:
    """The .NET (CLR) header of a managed image."""

    runtime_version: str
    """``major.minor`` of the CLR header (2.5 for every CLR since 2.0)."""
    flags: tuple[str, ...]
    """Set COMIMAGE flags, named as CorFlags prints them."""
    platform: str
    """``AnyCPU``, ``AnyCPU-prefer-32-bit``, ``x86-only``, ``x64-only`` ... or ``mixed-mode``."""
    explanation: str
    """What the platform means for the process that loads or runs the image."""


@dataclass(frozen=True)
class ImageInfo(Headers):
    """What a PE or ELF image says about itself: its fixed headers (see ``Headers``) and tables."""

    image_base: int | None
    """PE: preferred load address; None for ELF."""
    dll_characteristics: tuple[str, ...]
    """PE: DllCharacteristics flags by name."""
    sections: tuple[str, ...]
    """Section names in file order."""
    exports: tuple[str, ...]
    """Exported names (PE export directory or ELF dynamic symbols), sorted."""
    imports: tuple[Import, ...]
    """Imported libraries in file order (PE import directory or ELF DT_NEEDED)."""
    clr: ClrInfo | None
    """The .NET header, or None for a native image."""
    hybrid: str | None = None
    """``ARM64EC`` (x64 header), ``ARM64X`` (Arm64 header) or ``CHPE`` (x86 header) when the
    load configuration points at hybrid (CHPE) metadata; None otherwise."""

    @property
    def elf_class(self) -> str | None:
        """``ELFCLASS32`` or ``ELFCLASS64``; None for PE."""
        return f"ELFCLASS{self.bits}" if self.format == "ELF" else None

    @property
    def is_import_free(self) -> bool:
        """True when the image imports nothing (the kit's own loaders can map it)."""
        return not self.imports


def _with_tables(headers: Headers, **tables: object) -> ImageInfo:
    fixed = {f.name: getattr(headers, f.name) for f in fields(Headers)}
    return ImageInfo(**fixed, **tables)  # type: ignore[arg-type]


def inspect(path: str | os.PathLike[str]) -> ImageInfo:
    """Inspect a PE or ELF image; every failure is an ImageError naming the file."""
    shown = str(path)
    with open_image(path) as source:
        head = source.read_upto(0, READ_SIZE)
        if sniff(head) != "PE":
            headers = parse_headers(head, shown, source)  # an ELF file, or the error
        try:
            if sniff(head) == "PE":
                return _inspect_pe(*pe_headers(head, shown, source), source)
            return _inspect_elf(headers, head, source)
        except ShortRead as exc:
            raise truncated(shown, exc) from exc


def clr_platform(pe_magic: str, machine: Machine | None, flags: int,
                 dll: bool = True) -> tuple[str, str]:
    """The .NET platform target, and what it means for a DLL (or an EXE), from the image's
    Magic, Machine and CLR flags (CORHDR, CORFLAGS, CSC-PLATFORM; .NET Framework rules)."""
    name = machine.name if machine is not None else "unknown"
    if not flags & 0x1:
        return ("mixed-mode", (f"Contains native code: runs only in a {name} process, like any "
                "native image of that machine."))
    if pe_magic == "PE32+":
        return (f"{_short(machine)}-only", (f"PE32+ IL image: runs only in a 64-bit {name} "
                "process."))
    required, preferred = bool(flags & 0x2), bool(flags & 0x20000)
    if required and preferred:
        return ("AnyCPU-prefer-32-bit",
                "On a DLL, 32BITPREF makes it fail to load in 64-bit processes (CORFLAGS)."
                if dll else "The EXE runs as a 32-bit process on systems that support both "
                "(CSC-PLATFORM).")
    if required:
        return ("x86-only", ("32BITREQUIRED: runs only on the 32-bit CLR (under WOW64 on "
                "64-bit Windows); a 64-bit process cannot load it (CORFLAGS)."))
    if preferred:
        return ("invalid", ("32BITPREFERRED without 32BITREQUIRED is not a combination .NET "
                "compilers produce (corhdr.h CorPEKind)."))
    return ("AnyCPU", "The DLL loads into whatever CLR the host process already runs "
            "(CSC-PLATFORM)." if dll else "The EXE runs as a 64-bit process where possible, "
            "32-bit otherwise (CSC-PLATFORM, SADOV).")


_SHORT_NAMES = {Machine.AMD64: "x64", Machine.ARM64: "ARM64", Machine.I386: "x86"}


def _short(machine: Machine | None) -> str:
    if machine is None:
        return "unknown"
    return _SHORT_NAMES.get(machine, machine.name)


def _inspect_pe(headers: Headers, fixed: PeFixed, source: ImageFile) -> ImageInfo:
    tables = PeTables(source, fixed)
    tables.check_complete()
    imports = tuple(Import(library, names) for library, names in tables.imports())
    return _with_tables(
        headers, image_base=fixed.optional["ImageBase"],
        dll_characteristics=flag_names(fixed.optional["DllCharacteristics"],
                                       DLL_CHARACTERISTICS),
        sections=tuple(s.name for s in tables.sections), exports=tables.exports(),
        imports=imports, clr=_pe_clr(tables, headers), hybrid=_pe_hybrid(tables, headers))


def _pe_clr(tables: PeTables, headers: Headers) -> ClrInfo | None:
    if not headers.has_clr_header:
        return None
    rva = tables.directory("COM_DESCRIPTOR")[0]
    try:
        cor = COR20_HEADER.unpack(tables.read(rva, COR20_HEADER.size, "the CLR header"))
    except (ShortRead, ImageError) as exc:
        raise ImageError(headers.path, f"has a CLR directory but its header is cut short: {exc}",
                         "The .NET image is damaged", WinError.ERROR_BAD_FORMAT) from exc
    flags = cor["Flags"]
    platform, explanation = clr_platform(headers.pe_magic or "", headers.machine, flags,
                                         dll=headers.kind == "dll")
    return ClrInfo(
        runtime_version=f"{cor['MajorRuntimeVersion']}.{cor['MinorRuntimeVersion']}",
        flags=tuple(name for value, name in CLR_FLAGS.items() if flags & value),
        platform=platform, explanation=explanation,
    )


# Offset of CHPEMetadataPointer in IMAGE_LOAD_CONFIG_DIRECTORY32/64 (Windows SDK winnt.h; it
# follows DynamicValueRelocTable). A non-zero value is the VA of the hybrid metadata that
# ARM64EC, ARM64X and CHPE images carry (LLVM-D149089, ARM64EC, ARM64X).
CHPE_POINTER_OFFSET = {32: 124, 64: 200}
_HYBRID_BY_MACHINE = {Machine.AMD64: "ARM64EC", Machine.ARM64: "ARM64X", Machine.I386: "CHPE",
                      Machine.CHPE_X86: "CHPE"}


def _pe_hybrid(tables: PeTables, headers: Headers) -> str | None:
    rva, _size = tables.directory("LOAD_CONFIG")
    if not rva:
        return None
    offset, width = CHPE_POINTER_OFFSET[headers.bits], headers.bits // 8
    # Only the structure's own Size field and the CHPE pointer are needed: read up to it.
    config = tables.read(rva, 4, "the load configuration")
    size = int.from_bytes(config, "little")
    if size < offset + width:
        return None  # an older load configuration, from before hybrid images existed
    config = tables.read(rva, offset + width, "the load configuration")
    if not int.from_bytes(config[offset:offset + width], "little"):
        return None
    return _HYBRID_BY_MACHINE.get(headers.machine)  # type: ignore[arg-type]


def _inspect_elf(headers: Headers, head: bytes, source: ImageFile) -> ImageInfo:
    top = (ELF32_HEADER if headers.bits == 32 else ELF64_HEADER).unpack(head, ELF_IDENT.size)
    sections = elf.read_sections(source, headers.bits, top["e_shoff"], top["e_shnum"])
    dynamic = elf.read_dynamic(source, headers.bits, sections)
    return _with_tables(
        headers, image_base=None, dll_characteristics=(),
        sections=_elf_section_names(source, sections, top["e_shstrndx"]),
        exports=dynamic.exports, imports=tuple(Import(lib, ()) for lib in dynamic.needed),
        clr=None)


def _elf_section_names(source: ImageFile, sections: list[dict[str, int]],
                       names_at: int) -> tuple[str, ...]:
    if names_at >= len(sections):
        return ()
    strings = elf.StringTable(source, sections[names_at])
    return tuple(strings.get(s["sh_name"]) for s in sections[1:])


@dataclass(frozen=True)
class Opinion:
    """One field of a PE file as the kit reads it and as pefile reads it."""

    field: str
    """What was read."""
    kit: str
    """The kit's reading (``inspect``)."""
    pefile: str
    """pefile's reading of the same bytes."""

    @property
    def agree(self) -> bool:
        """Whether the two readers agree."""
        return self.kit == self.pefile


def second_opinion(path: str | os.PathLike[str]) -> tuple[Opinion, ...]:
    """The kit's reading of a PE file beside pefile's, the reader most Python tools use: an
    independent check of every field notebook 01 teaches. Taught in notebook 01."""
    import pefile

    info = inspect(path)
    if info.format != "PE":
        raise ImageError(os.fspath(path), f"is {info.format}, not PE", "pefile reads PE "
                         "files only: give a Windows EXE or DLL")
    try:
        pe = pefile.PE(os.fspath(path), fast_load=True)
        pe.parse_data_directories(directories=[0, 1])
    except pefile.PEFormatError as exc:
        raise ImageError(os.fspath(path), f"is a PE file the kit reads but pefile refuses "
                         f"({exc})", "Compare with another reader (dumpbin /headers)") from exc
    try:
        exports = [s.name.decode() if s.name else f"#{s.ordinal}"
                   for s in pe.DIRECTORY_ENTRY_EXPORT.symbols] \
            if hasattr(pe, "DIRECTORY_ENTRY_EXPORT") else []
        imports = [e.dll.decode() for e in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])]
        theirs = {"Machine": f"{pe.FILE_HEADER.Machine:#06x}",
                  "Magic": f"{pe.OPTIONAL_HEADER.Magic:#05x}",
                  "ImageBase": f"{pe.OPTIONAL_HEADER.ImageBase:#x}",
                  "large-address-aware": str(bool(pe.FILE_HEADER.Characteristics & 0x20)),
                  "sections": ", ".join(s.Name.rstrip(b"\0").decode("ascii", "replace")
                                        for s in pe.sections),
                  "exports": ", ".join(sorted(exports)),
                  "imported DLLs": ", ".join(imports) or "none"}
    finally:
        pe.close()
    ours = {"Machine": f"{info.machine_value:#06x}",
            "Magic": f"{0x20B if info.pe_magic == 'PE32+' else 0x10B:#05x}",
            "ImageBase": f"{info.image_base:#x}",
            "large-address-aware": str(info.large_address_aware),
            "sections": ", ".join(info.sections), "exports": ", ".join(sorted(info.exports)),
            "imported DLLs": ", ".join(i.library for i in info.imports) or "none"}
    return tuple(Opinion(name, ours[name], theirs[name]) for name in ours)
