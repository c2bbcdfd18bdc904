"""Exercises of notebook 01 (reading bitness from PE and ELF headers).

The expected answers are read from the kit's real sample files when the check runs. None of
them is printed in the notebook: q1 to q4 need reading headers (q2's files have names that say
nothing), and q5 needs combining what the lesson showed.
"""

from __future__ import annotations

import tempfile
from typing import Any

from ..appfolders import MYSTERY, build_mystery_folder
from ..headers import IMAGE_FILE_LARGE_ADDRESS_AWARE, field_values, read_headers
from ..samples import SAMPLES, probe_path, sample_path
from . import Exercise

__all__ = ["q1_machine", "q2_sixty_four", "q3_image_base", "q4_large_address_aware",
           "q5_x86_only_exe"]


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
        "from interopkit.samples import probe_path\n"
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
        "from interopkit.appfolders import build_mystery_folder\n"
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
        "from interopkit.samples import sample_path\n"
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
        "from interopkit.samples import probe_path\n"
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
