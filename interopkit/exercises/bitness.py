"""Exercises of notebook 01 (reading bitness from PE and ELF headers).

The expected answers are read from the kit's real sample files when the check runs.
"""

from __future__ import annotations

from typing import Any

from ..headers import read_headers
from ..samples import SAMPLES, sample_path
from . import Exercise

__all__ = ["q1_machine", "q2_sixty_four", "q3_magic", "q4_address_space", "q5_prefer32_dll"]


def _check_machine(answer: Any) -> tuple[bool, str]:
    path = sample_path("windows", "x86")
    data = path.read_bytes()[:1024]
    e_lfanew = int.from_bytes(data[0x3C:0x40], "little")
    expected = read_headers(path).machine_value
    if not isinstance(answer, int):
        return False, "Give the Machine value as an int, e.g. 0x1234 or 4660."
    if answer == expected:
        return True, (f"0x{answer:04X} is IMAGE_FILE_MACHINE_I386: the DLL holds 32-bit x86 "
                      "code, so only a 32-bit x86 process can load it.")
    if answer == int.from_bytes(expected.to_bytes(2, "little"), "big"):
        return False, "The bytes are right but reversed: PE fields are little-endian."
    if answer == e_lfanew:
        return False, (f"0x{answer:X} is e_lfanew, the offset of the PE signature. Machine is "
                       "the first field after the 4-byte signature.")
    if answer in (0x4550, 0x00004550, 0x50450000):
        return False, "That is the 'PE' signature itself; Machine follows it."
    if answer == 0x5A4D:
        return False, "That is 'MZ', the DOS header's e_magic at offset 0."
    return False, "Not the Machine field. Read e_lfanew at 0x3C, then 2 bytes at e_lfanew + 4."


def _sixty_four_bit_names() -> set[str]:
    return {name for (os_name, arch), name in SAMPLES.items()
            if read_headers(sample_path(os_name, arch)).bits == 64}


def _check_sixty_four(answer: Any) -> tuple[bool, str]:
    expected = _sixty_four_bit_names()
    chosen = {str(item) for item in answer} if not isinstance(answer, str) else {answer}
    if chosen == expected:
        return True, ("Right: x64 and ARM64 in PE32+, x86_64 and aarch64 in ELFCLASS64. Bitness "
                      "is a property of the file's format field, not of its name.")
    unknown = chosen - set(SAMPLES.values())
    if unknown:
        return False, f"Not sample names: {sorted(unknown)}. Use the file names listed above."
    missing, extra = expected - chosen, chosen - expected
    if any("arm64" in m or "aarch64" in m for m in missing):
        return False, "ARM64 is a 64-bit architecture too: look at its Magic / EI_CLASS."
    if any(m.endswith(".so") for m in missing):
        return False, "Count the ELF files too: EI_CLASS 2 means a 64-bit object."
    if extra:
        return False, f"{sorted(extra)} hold 32-bit code: PE32 Magic 0x10B or ELFCLASS32."
    return False, "Not quite: compare the bits column of the inspector table."


def _check_magic(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, str):
        return False, "Give the number (an int such as 0x1AB), not its name."
    if not isinstance(answer, int):
        return False, "Give the Magic as an int, e.g. 0x1AB."
    expected = read_headers(sample_path("windows", "x64")).pe_magic
    if answer == 0x20B and expected == "PE32+":
        return True, ("0x20B marks PE32+: ImageBase and the stack/heap sizes are 8 bytes, so the "
                      "optional header is 16 bytes longer than PE32's (BaseOfData is gone).")
    if answer == 0x10B:
        return False, "0x10B is PE32, the 32-bit format."
    if answer == 0x8664:
        return False, "0x8664 is the Machine of an x64 image, not the optional header's Magic."
    if isinstance(answer, str):
        return False, "Give the number (an int such as 0x1AB), not its name."
    return False, ("Section 4 names both values; or read field_values(sample_path('windows', "
                   "'x64')) and find 'Magic'.")


def _check_address_space(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return False, "Give a number of GB."
    if answer == 2:
        return True, ("2 GB. With IMAGE_FILE_LARGE_ADDRESS_AWARE the same EXE gets 4 GB under "
                      "WOW64 (W64-PERF); everything above the 32-bit limit is reserved by the "
                      "system.")
    if answer == 4:
        return False, "4 GB is what it gets *with* the large-address-aware flag."
    if answer == 3:
        return False, ("3 GB is the old /3GB boot option of 32-bit Windows; under WOW64 the "
                       "choice is 2 GB or 4 GB.")
    if answer in (2048, 2**31, 2 * 10**9):
        return False, "Right amount, wrong unit: give it in GB."
    return False, ("Answer in GB. Without the flag Windows hands out only addresses below "
                   "0x80000000 (2**31 bytes).")


def _check_prefer32_dll(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, bool):
        return False, "Answer True or False."
    if answer is False:
        return True, ("False. 32BITPREF is meant for EXEs; on a DLL it makes the DLL fail to "
                      "load in 64-bit processes with BadImageFormatException (CORFLAGS).")
    return False, ("The name says 'prefer', but a DLL does not choose its process. Read the "
                   "explanation printed beside prefer32.dll in section 8.")


q1_machine = Exercise(
    name="q1_machine",
    question="Read sample_x86.dll's Machine field yourself with open() and int.from_bytes.",
    checker=_check_machine,
    hint_text="e_lfanew is a 4-byte little-endian int at offset 0x3C; 'PE\\0\\0' sits there, "
              "and Machine is the 2 bytes right after it.",
    solution_code=(
        "from interopkit.samples import sample_path\n"
        "data = sample_path('windows', 'x86').read_bytes()\n"
        "e_lfanew = int.from_bytes(data[0x3C:0x40], 'little')\n"
        "answer = int.from_bytes(data[e_lfanew + 4:e_lfanew + 6], 'little')\n"),
    explanation="The DOS header points at the PE signature; the COFF header follows it and "
                "starts with Machine.",
)

q2_sixty_four = Exercise(
    name="q2_sixty_four",
    question="Which of the six sample files hold 64-bit code? Give a set of file names.",
    checker=_check_sixty_four,
    hint_text="Use interopkit.inspect on each file in sample_paths() and look at .bits.",
    solution_code=(
        "from interopkit import inspect\n"
        "from interopkit.samples import sample_paths\n"
        "answer = {name for name, path in sample_paths().items() if inspect(path).bits == 64}\n"),
    explanation="PE32+ (Magic 0x20B) and ELFCLASS64 mark 64-bit images.",
)

q3_magic = Exercise(
    name="q3_magic",
    question="What optional-header Magic value does a 64-bit PE image carry? Give it as an int.",
    checker=_check_magic,
    hint_text="It is the first field of the optional header; read it from sample_x64.dll.",
    solution_code=(
        "from interopkit.headers import field_values\n"
        "from interopkit.samples import sample_path\n"
        "answer = next(f.value for f in field_values(sample_path('windows', 'x64'))\n"
        "              if f.name == 'Magic')\n"),
    explanation="0x10B is PE32, 0x20B is PE32+; the Magic, not the Machine, sets the layout.",
)

q4_address_space = Exercise(
    name="q4_address_space",
    question="A 32-bit EXE without the large-address-aware flag runs under WOW64 on x64. How "
             "many GB of virtual address space does it get?",
    checker=_check_address_space,
    hint_text="The flag tells Windows that the program copes with addresses at or above "
              "0x80000000; without it, none are handed out.",
    solution_code="answer = 2\n",
    explanation="Microsoft's WOW64 performance page: 2 GB without the flag, 4 GB with it.",
)

q5_prefer32_dll = Exercise(
    name="q5_prefer32_dll",
    question="A .NET DLL carries ILONLY, 32BITREQ and 32BITPREF. Can a 64-bit process load it?",
    checker=_check_prefer32_dll,
    hint_text="Read the explanation printed beside prefer32.dll in section 8.",
    solution_code="answer = False\n",
    explanation="The inspector names the platform AnyCPU-prefer-32-bit, which on a DLL means it "
                "cannot load into a 64-bit process (CorFlags documentation).",
)
