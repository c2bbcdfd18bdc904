"""Notebook 01 (reading bitness): its tables, diagrams, explorers and checked exercises.

Exercises of notebook 01 (reading bitness from PE and ELF headers).

The expected answers are read from the kit's real sample files when the check runs. None of
them is printed in the notebook: q1 to q4 need reading headers (q2's files have names that say
nothing), and q5 needs combining what the lesson showed."""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interopkit.images import elf
from interopkit.images.headers import (
    COFF_HEADER,
    DLL_CHARACTERISTICS,
    DOS_HEADER,
    ELF32_HEADER,
    ELF64_HEADER,
    ELF_IDENT,
    FILE_CHARACTERISTICS,
    IMAGE_FILE_LARGE_ADDRESS_AWARE,
    OPTIONAL_HEADER32,
    OPTIONAL_HEADER64,
    SECTION_HEADER,
    field_values,
    flag_names,
    read_headers,
)
from interopkit.images.inspection import inspect
from interopkit.kit.samples import SAMPLES, probe_path, sample_path
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.misconceptions import Wrong, value_quiz
from interopkit.loading.appfolders import MYSTERY, build_mystery_folder

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from interopkit.lessons.html import _table

__all__ = [
    "Region",
    "draw_file_map",
    "fields_table_html",
    "file_regions",
    "images_table_html",
    "m16_laa_ceiling",
    "q1_machine",
    "q2_sixty_four",
    "q3_image_base",
    "q4_large_address_aware",
    "q5_x86_only_exe",
]


def _machine_read() -> tuple[int, int, int]:
    """probe_x64.exe's e_lfanew, the offset of its Machine field and the field's value."""
    path = probe_path("probe_x64.exe")
    data = path.read_bytes()[:1024]
    e_lfanew = int.from_bytes(data[0x3C:0x40], "little")
    return e_lfanew, e_lfanew + 4, read_headers(path).machine_value


def _check_machine(answer: Any) -> tuple[bool, str]:
    e_lfanew, offset, expected = _machine_read()
    if isinstance(answer, int) and not isinstance(answer, bool):
        if answer == expected:
            return False, ("That is the right Machine value. Give the pair (offset, value): "
                           "where in the file did you read it?")
        return False, "Give a pair (offset, value), such as (0x80, 0x1234)."
    if not isinstance(answer, tuple) or len(answer) != 2 \
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in answer):
        return False, "Give a pair of ints (offset, value), such as (0x80, 0x1234)."
    where, value = answer
    if value == int.from_bytes(expected.to_bytes(2, "little"), "big"):
        return False, "The bytes are right but reversed: PE fields are little-endian."
    if value in (0x4550, 0x50450000):
        return False, "That is the 'PE' signature itself; Machine follows it."
    if value == 0x5A4D:
        return False, "That is 'MZ', the DOS header's e_magic at offset 0."
    if where == e_lfanew:
        return False, (f"0x{where:X} is e_lfanew, the offset of the PE signature. Machine is "
                       "the first field after the 4-byte signature.")
    if value != expected:
        return False, "Not the Machine field. Read e_lfanew at 0x3C, then 2 bytes at e_lfanew + 4."
    if where != offset:
        return False, "The value is right; the offset is not where it sits (e_lfanew + 4)."
    return True, (f"0x{value:04X} at offset 0x{where:X}: IMAGE_FILE_MACHINE_AMD64, so only an "
                  "x64 process can run this EXE's code. The offset differs from file to file: "
                  "only e_lfanew says where the PE header starts.")


def _mystery() -> dict[str, tuple[str, int, str]]:
    """The mystery folder's files: name -> (format, bits, machine), read from the headers."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_mystery_folder(tmp)
        out = {}
        for name in MYSTERY:
            headers = read_headers(folder / name)
            out[name] = (headers.format, headers.bits, headers.machine_name)
        return out


def _check_sixty_four(answer: Any) -> tuple[bool, str]:
    files = _mystery()
    expected = {name for name, (_, bits, _) in files.items() if bits == 64}
    chosen = {str(item) for item in answer} if not isinstance(answer, str) else {answer}
    if chosen == expected:
        return True, ("Right: two PE32+ files (x64 and ARM64 code) and two ELFCLASS64 files. "
                      "The names said nothing: bitness is in the headers.")
    if chosen & set(SAMPLES.values()):
        return False, ("Those are the sample names of section 1; the question is about the "
                       "files in mystery, whose names say nothing.")
    unknown = chosen - set(files)
    if unknown:
        return False, f"Not files of the mystery folder: {sorted(unknown)}."
    missing, extra = expected - chosen, chosen - expected
    advice = []
    if extra:
        advice.append(f"{sorted(extra)} hold 32-bit code: PE32 Magic 0x10B or ELFCLASS32.")
    missing_elf = {m for m in missing if files[m][0] == "ELF"}
    if missing_elf and not any(files[c][0] == "ELF" for c in chosen & expected):
        # The commonest slip: only the Windows files were considered.
        advice.append(f"The Linux shared objects count too: {sorted(missing_elf)} are ELF "
                      "files with EI_CLASS 2 (ELFCLASS64), so they hold 64-bit code.")
    elif missing_elf:
        advice.append(f"Look at EI_CLASS again for {sorted(missing_elf)}: 2 means 64-bit.")
    missing_pe = missing - missing_elf
    if missing_pe:
        arm = " ARM64 is a 64-bit architecture too." if any(
            files[m][2] == "ARM64" for m in missing_pe) else ""
        advice.append(f"{sorted(missing_pe)}: Magic 0x20B (PE32+) means 64-bit.{arm}")
    return False, " ".join(advice)


def _image_base_reads() -> tuple[int, dict[int, str]]:
    """sample_x64.dll's ImageBase, and the values the usual misreadings give."""
    data = sample_path("windows", "x64").read_bytes()
    optional = int.from_bytes(data[0x3C:0x40], "little") + 24  # signature + COFF header
    fields = {f.name: f.value for f in field_values(sample_path("windows", "x64"))}
    misreads = {
        int.from_bytes(data[optional + 24:optional + 28], "little"): (
            "That is only the low 4 bytes. In PE32+ ImageBase is 8 bytes wide: read "
            "data[start:start + 8]."),
        int.from_bytes(data[optional + 28:optional + 32], "little"): (
            "You read where PE32 keeps ImageBase (offset 28, after BaseOfData). This file's "
            "Magic is 0x20B: PE32+ has no BaseOfData, so ImageBase starts at offset 24."),
        int.from_bytes(data[optional + 24:optional + 32], "big"): (
            "The bytes are right but reversed: PE fields are little-endian."),
        fields["Magic"]: "That is the Magic, the optional header's first field, not ImageBase.",
        int(next(f.value for f in field_values(sample_path("windows", "x86"))
                 if f.name == "ImageBase")): (
            "That is sample_x86.dll's ImageBase; the question asks about sample_x64.dll."),
    }
    return int(fields["ImageBase"]), misreads


def _check_image_base(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, bool) or not isinstance(answer, int):
        return False, "Give ImageBase as an int, e.g. 0x12345678."
    expected, misreads = _image_base_reads()
    if answer == expected:
        return True, (f"0x{answer:X}: 8 bytes at offset 24 of a PE32+ optional header. A reader "
                      "that assumed PE32's layout would have read garbage there: the Magic, "
                      "not the host, decides the layout.")
    if answer in misreads:
        return False, misreads[answer]
    return False, ("Not ImageBase. The optional header starts at e_lfanew + 24 (4 bytes of "
                   "signature, 20 of COFF header); in PE32+ ImageBase is its 8 bytes at offset "
                   "24.")


def _check_large_address_aware(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return False, "Give the Characteristics value as an int, e.g. 0x1234."
    now = read_headers(probe_path("probe_x86.exe"))
    value = next(f.value for f in field_values(probe_path("probe_x86.exe"))
                 if f.name == "Characteristics")
    flag = IMAGE_FILE_LARGE_ADDRESS_AWARE
    if answer == value | flag and not now.large_address_aware:
        return True, (f"0x{answer:X}: the same flags with 0x{flag:02X} set. Under WOW64 that takes "
                      "the EXE from 2 GiB of address space to 4 GiB (W64-PERF); the flag only "
                      "promises that the program copes with addresses at or above 0x80000000.")
    if answer == value:
        return False, "That is the field as it is now; set the large-address-aware bit in it."
    if answer == flag:
        return False, "That is the flag alone; the field keeps its other flags too."
    if answer in (2, 3, 4):
        return False, ("The question asks for the Characteristics value, not the GB: section 5 "
                       "says what the flag changes.")
    others = {next(f.value for f in field_values(path) if f.name == "Characteristics")
              for path in (sample_path("windows", "x86"), probe_path("probe_x64.exe"))}
    if answer in others or answer in {v | flag for v in others}:
        return False, "That is another file's Characteristics; read probe_x86.exe's."
    return False, (f"Not quite. Read probe_x86.exe's Characteristics (2 bytes at e_lfanew + 22) "
                   f"and set bit 0x{flag:02X} with |.")


def _check_x86_only_exe(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, bool) or answer not in (32, 64):
        return False, "Answer 32 or 64: the width of the process that starts."
    if answer == 32:
        return True, ("32: 32BITREQ without 32BITPREF is x86-only (x86only.dll in section 8), "
                      "and an EXE chooses its process, so x64 Windows starts it under WOW64 "
                      "(CORFLAGS).")
    return False, ("The file is PE32 with 32BITREQ and no 32BITPREF: look at what section 8 "
                   "printed for x86only.dll. An EXE makes its own process: which width must "
                   "that process have?")


q1_machine = Exercise(
    name="q1_machine",
    question="Read probe_x64.exe's Machine field yourself with open() and int.from_bytes. Give "
             "the pair (offset, value): the file offset where the field sits, and its value.",
    checker=_check_machine,
    hint_text="e_lfanew is a 4-byte little-endian int at offset 0x3C; 'PE\\0\\0' sits there, "
              "and Machine is the 2 bytes right after it.",
    solution_code=(
        "from interopkit.kit.samples import probe_path\n"
        "data = probe_path('probe_x64.exe').read_bytes()\n"
        "e_lfanew = int.from_bytes(data[0x3C:0x40], 'little')\n"
        "offset = e_lfanew + 4  # after 'PE\\0\\0'\n"
        "answer = (offset, int.from_bytes(data[offset:offset + 2], 'little'))\n"),
    explanation="The DOS header points at the PE signature; the COFF header follows it and "
                "starts with Machine.",
)


q2_sixty_four = Exercise(
    name="q2_sixty_four",
    question="The folder mystery holds the six sample builds under names that say nothing. "
             "Which of its files hold 64-bit code? Give a set of file names.",
    checker=_check_sixty_four,
    hint_text="Use interopkit.inspect on each file in the folder and look at .bits, or read "
              "the Magic (PE) and EI_CLASS (ELF) yourself.",
    solution_code=(
        "import tempfile\n"
        "from interopkit import inspect\n"
        "from interopkit.loading.appfolders import build_mystery_folder\n"
        "folder = build_mystery_folder(tempfile.mkdtemp())\n"
        "answer = {p.name for p in folder.iterdir() if inspect(p).bits == 64}\n"),
    explanation="PE32+ (Magic 0x20B) and ELFCLASS64 mark 64-bit images.",
)


q3_image_base = Exercise(
    name="q3_image_base",
    question="Read sample_x64.dll's ImageBase from its bytes, as section 4 describes the PE32+ "
             "layout. Give it as an int.",
    checker=_check_image_base,
    hint_text="The optional header starts 24 bytes after e_lfanew (signature + COFF header). "
              "Check its Magic first: the Magic decides where ImageBase is and how wide.",
    solution_code=(
        "from interopkit.kit.samples import sample_path\n"
        "data = sample_path('windows', 'x64').read_bytes()\n"
        "optional = int.from_bytes(data[0x3C:0x40], 'little') + 4 + 20\n"
        "assert int.from_bytes(data[optional:optional + 2], 'little') == 0x20B  # PE32+\n"
        "answer = int.from_bytes(data[optional + 24:optional + 32], 'little')\n"),
    explanation="PE32+ (Magic 0x20B) drops BaseOfData, so ImageBase starts at offset 24 and is "
                "8 bytes wide; in PE32 it would be 4 bytes at offset 28.",
)


q4_large_address_aware = Exercise(
    name="q4_large_address_aware",
    question="probe_x86.exe is not large-address-aware. What would its COFF Characteristics "
             "field hold if the linker had set IMAGE_FILE_LARGE_ADDRESS_AWARE? Give an int.",
    checker=_check_large_address_aware,
    hint_text="Characteristics follows Machine and five other COFF fields; the flag values are "
              "in section 3. Read the field from probe_path('probe_x86.exe').",
    solution_code=(
        "from interopkit.kit.samples import probe_path\n"
        "data = probe_path('probe_x86.exe').read_bytes()\n"
        "coff = int.from_bytes(data[0x3C:0x40], 'little') + 4\n"
        "characteristics = int.from_bytes(data[coff + 18:coff + 20], 'little')\n"
        "answer = characteristics | 0x20  # IMAGE_FILE_LARGE_ADDRESS_AWARE\n"),
    explanation="The flag is one bit (0x20) of the COFF Characteristics; with it, a 32-bit EXE "
                "gets 4 GiB under WOW64 instead of 2 GiB (W64-PERF).",
)


q5_x86_only_exe = Exercise(
    name="q5_x86_only_exe",
    question="A .NET EXE carries ILONLY and 32BITREQ, without 32BITPREF. Started on x64 "
             "Windows, is its process 32-bit or 64-bit? (32 or 64)",
    checker=_check_x86_only_exe,
    hint_text="Find the DLL with the same flags in section 8. Then: which process can run "
              "x86-only code, and who creates an EXE's process?",
    solution_code="answer = 32\n",
    explanation="32BITREQ alone marks x86-only code; an EXE gets a process of the width its "
                "code needs, here a 32-bit one under WOW64 (CORFLAGS).",
)


def images_table_html(paths: list[str | os.PathLike[str]]) -> str:
    """One row per image: format, machine, bits, kind, PE32/PE32+ or ELF class, exports."""
    rows = []
    for path in paths:
        info = inspect(path)
        if info.format == "ELF" and info.elf_machine is not None:
            machine = (f"{info.elf_machine.name} = {info.machine_value} "
                       f"(like PE {info.machine_name})")
            kind = "shared object" if info.kind == "dll" else info.kind
        else:
            machine, kind = f"{info.machine_name} = 0x{info.machine_value:04X}", info.kind
        rows.append([Path(path).name, info.format, machine,
                     info.bits, kind, info.pe_magic or info.elf_class,
                     ", ".join(i.library for i in info.imports) or "none", len(info.exports)])
    return _table(["file", "format", "machine", "bits", "kind", "PE32/PE32+ or class",
                   "imports", "exports"], rows)


def fields_table_html(path: str | os.PathLike[str], region: str) -> str:
    """The fields of one header structure (``DOS header``, ``COFF file header`` ...) of a file."""
    rows = []
    for field in field_values(path):
        if field.region.startswith(region):
            shown = _shown(field.value)
            if field.name in _FLAG_FIELDS:
                names = flag_names(field.value, _FLAG_FIELDS[field.name])
                shown = f"0x{field.value:04X} = {' | '.join(names) or 'no flags'}"
            rows.append([f"0x{field.offset:03X}", field.size, field.name, shown, field.doc])
    return _table(["offset", "bytes", "field", "value", "meaning"], rows)


_FLAG_FIELDS = {"Characteristics": FILE_CHARACTERISTICS,
                "DllCharacteristics": DLL_CHARACTERISTICS}


def _shown(value: Any) -> str:
    if isinstance(value, int):
        return f"0x{value:X} ({value})"
    if isinstance(value, tuple):
        return f"RVA 0x{value[0]:X}, {value[1]} bytes" if any(value) else "empty"
    if isinstance(value, bytes) and not any(value):
        return f"{len(value)} zero bytes"
    if isinstance(value, bytes) and len(value) > 4:
        return value.hex(" ")
    return repr(value)


_HEADER_KINDS = ("DOS header", "DOS stub", "PE signature", "COFF header", "optional header",
                 "data directories", "section table", "ELF identification", "ELF header",
                 "program headers", "section header table")


@dataclass(frozen=True)
class Region:
    """A byte range of a file and what it holds."""

    name: str
    """What is there (``COFF header``, ``.text`` ...)."""
    start: int
    """First byte offset."""
    end: int
    """One past the last byte."""
    kind: str
    """``header`` or ``section``."""


def file_regions(path: str | os.PathLike[str]) -> list[Region]:
    """The headers and sections of a PE or ELF file, by file offset."""
    headers = read_headers(path)
    data = Path(path).read_bytes()
    if headers.format == "PE":
        return _pe_regions(data, headers.pe_magic == "PE32+")
    return _elf_regions(data, headers.bits)


def _pe_regions(data: bytes, plus: bool) -> list[Region]:
    pe = DOS_HEADER.unpack(data)["e_lfanew"]
    coff = COFF_HEADER.unpack(data, pe + 4)
    optional = OPTIONAL_HEADER64 if plus else OPTIONAL_HEADER32
    opt_at = pe + 4 + COFF_HEADER.size
    dirs_at = opt_at + optional.size
    table_at = opt_at + coff["SizeOfOptionalHeader"]
    out = [
        Region("DOS header", 0, DOS_HEADER.size, "header"),
        Region("DOS stub", DOS_HEADER.size, pe, "header"),
        Region("PE signature", pe, pe + 4, "header"),
        Region("COFF header", pe + 4, opt_at, "header"),
        Region("optional header", opt_at, dirs_at, "header"),
        Region("data directories", dirs_at, table_at, "header"),
        Region("section table", table_at, table_at + coff["NumberOfSections"] * SECTION_HEADER.size,
               "header"),
    ]
    for index in range(coff["NumberOfSections"]):
        section = SECTION_HEADER.unpack(data, table_at + index * SECTION_HEADER.size)
        if section["SizeOfRawData"]:
            start = section["PointerToRawData"]
            out.append(Region(section["Name"].rstrip(b"\0").decode("ascii", "replace"), start,
                              start + section["SizeOfRawData"], "section"))
    return [r for r in out if r.end > r.start]


def _elf_regions(data: bytes, bits: int) -> list[Region]:
    layout = ELF32_HEADER if bits == 32 else ELF64_HEADER
    top = layout.unpack(data, ELF_IDENT.size)
    out = [
        Region("ELF identification", 0, ELF_IDENT.size, "header"),
        Region("ELF header", ELF_IDENT.size, top["e_ehsize"], "header"),
        Region("program headers", top["e_phoff"],
               top["e_phoff"] + top["e_phnum"] * top["e_phentsize"], "header"),
    ]
    section = elf.SECTION[bits]
    sections = [section.unpack(data, top["e_shoff"] + i * section.size)
                for i in range(top["e_shnum"])]
    names = b""
    if sections and top["e_shstrndx"] < len(sections):
        table = sections[top["e_shstrndx"]]
        names = data[table["sh_offset"]:table["sh_offset"] + table["sh_size"]]
    for header in sections[1:]:
        if header["sh_type"] != 8 and header["sh_size"]:  # SHT_NOBITS takes no file space
            name = elf._string(names, header["sh_name"]) or "(unnamed)"
            out.append(Region(name, header["sh_offset"], header["sh_offset"] + header["sh_size"],
                              "section"))
    out.append(Region("section header table", top["e_shoff"],
                      top["e_shoff"] + top["e_shnum"] * top["e_shentsize"], "header"))
    return [r for r in out if r.end > r.start]


_CALLOUTS_PER_ROW = 4
"""Narrow headers get a label of their own above the bar up to this many per row; beyond it
(a whole file drawn at once) they share one label naming the first and the last."""


def draw_file_map(paths: list[str | os.PathLike[str]], ax: Axes | None = None,
                  limit: int | None = None) -> Axes:
    """Draw one row per file: its headers (warm colours) and sections (cool colours).

    ``limit`` cuts the x axis at that many bytes (default: the largest file). Every header is
    named: inside its bar when it is wide enough, otherwise by a label above the bar with a
    line to it (the 4-byte PE signature and the 20-byte COFF header always need one).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 1.0 + 1.0 * len(paths)))
    header_colours = plt.get_cmap("Oranges")
    section_colours = plt.get_cmap("Blues")
    rows = [file_regions(path) for path in paths]
    widest = max(r.end for regions in rows for r in regions)
    span = limit or widest
    for row, regions in enumerate(rows):
        narrow = []
        before = min((r.start for r in regions if r.kind == "section"), default=span)
        # The whole file drawn: every header before the first section shares one label, the
        # same way in each row, PE or ELF.
        grouped = limit is None
        for index, region in enumerate(regions):
            # Light to mid orange only: the text calls headers orange, and the dark end of the
            # map reads as red.
            colour = (header_colours(0.25 + 0.35 * _HEADER_KINDS.index(region.name) /
                                     len(_HEADER_KINDS))
                      if region.kind == "header" else section_colours(0.35 + 0.1 * (index % 5)))
            ax.broken_barh([(region.start, region.end - region.start)], (row - 0.28, 0.56),
                           facecolors=colour, edgecolor="white", linewidth=0.5,
                           label=region.name)
            shared = grouped and region.kind == "header" and region.start < before
            named = not shared and _label(ax, region, row, span)
            if region.kind == "header" and not named and region.start < span:
                narrow.append(region)
        _callouts(ax, narrow, row, span, whole_before=before if grouped else None)
    ax.set_yticks(range(len(paths)), [Path(p).name for p in paths], fontsize=9)
    ax.set_ylim(len(paths) - 0.5, -0.7)
    # A little room on the right, so that the last section's bar ends inside the axes.
    ax.set_xlim(0, span if limit else span * 1.03)
    ax.set_xlabel("file offset (bytes)")
    if limit and limit < widest:
        ax.set_title(f"The headers at the start of each file (its first {limit} bytes)")
    else:
        ax.set_title("Where the headers and sections sit in each file")
    return ax


def _label(ax: Any, region: Region, row: int, span: int) -> bool:
    """Name the region inside its bar if it is wide enough; True when it was named."""
    width = min(region.end, span) - region.start  # only the part inside the axes
    if width / span > 0.045:
        ax.text(region.start + width / 2, row, region.name, ha="center", va="center",
                fontsize=8.5, rotation=0 if width / span > 0.09 else 90, clip_on=True)
        return True
    return False


def _callouts(ax: Any, narrow: list[Region], row: int, span: int,
              whole_before: int | None = None) -> None:
    """Labels above the bar, on two alternating heights, each with a line to its region.

    ``whole_before``: the whole file is drawn, so the narrow headers before this offset (the
    first section) share one label, PE or ELF alike, instead of labels stacked at offset 0."""
    start = [r for r in narrow if whole_before is not None and r.start < whole_before]
    if len(narrow) > _CALLOUTS_PER_ROW or len(start) > 1:
        group = start if len(start) > 1 else narrow
        first, last = group[0], group[-1]
        shared = Region(f"headers: {first.name} ... {last.name}", first.start, last.end,
                        "header")
        narrow = [shared, *(r for r in narrow if r not in group)]
    for index, region in enumerate(narrow):
        middle = (region.start + min(region.end, span)) / 2
        ax.annotate(region.name, xy=(middle, row - 0.28),
                    xytext=(middle, row - 0.37 - 0.13 * (index % 2)), fontsize=8.5,
                    ha="left" if middle < span * 0.85 else "right", va="bottom",
                    arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.6})


# --- Check your understanding: the guide's misconception on a 32-bit process's memory ---------

_LAA_LIMIT = "32-bit EXE, large-address-aware, under WOW64"


def _gib(limit: str) -> float:
    """One of Windows' documented WOW64 limits (W64-PERF), in GiB."""
    from interopkit.wow64.measure import GIB, WOW64_LIMITS

    return WOW64_LIMITS[limit] / GIB


def _same_gib(answer: float, gib: float) -> bool:
    """The same size, given in GiB or (a learner's other reading) in bytes."""
    return math.isclose(answer, gib) or math.isclose(answer, gib * 2**30)


m16_laa_ceiling = value_quiz(
    "laa_ceiling",
    "A 32-bit EXE is marked large-address-aware. How many GiB of address space does its process "
    "get on 64-bit Windows, under WOW64? (a number)",
    (int, float), "a number",
    [Wrong(3), Wrong(2, "2 GiB is what a 32-bit process gets without the flag.")],
    believed=0, model=lambda: _gib(_LAA_LIMIT), same=_same_gib,
    right="4 GiB: under WOW64 a large-address-aware 32-bit process gets 4 GiB of address "
          "space, and 2 GiB without the flag (W64-PERF).",
    hint="Section 5 gives both figures; interopkit.wow64.measure.WOW64_LIMITS holds them in "
         "bytes.",
    solution_code=("from interopkit.wow64.measure import GIB, WOW64_LIMITS\n"
                   f"answer = WOW64_LIMITS[{_LAA_LIMIT!r}] / GIB\n"),
    explanation="Microsoft's WOW64 page gives 2 GB without IMAGE_FILE_LARGE_ADDRESS_AWARE and "
                "4 GB with it (W64-PERF).",
)
