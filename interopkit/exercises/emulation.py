"""Exercises of notebook 04 (emulation); answers come from running the emulator."""

from __future__ import annotations

from typing import Any

from ..emulation import Buffer, Emulator
from ..samples import sample_path
from . import Exercise

__all__ = ["q1_stdcall_bytes", "q2_second_register", "q3_arm64ec_processes", "q4_arm64_per_byte"]


def _stdcall_popped() -> int:
    call = Emulator(sample_path("windows", "x86")).call("add_stdcall@8", 1, 2)
    return call.registers_after["esp"] - call.registers_before["esp"] - 4  # minus the return


def _check_stdcall(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a number of bytes."
    popped = _stdcall_popped()
    if answer == popped:
        return True, (f"{popped} bytes: two 4-byte ints. That is the @{popped} in the exported "
                      "name, and the operand of its `ret` instruction.")
    if answer == popped + 4:
        return False, "That includes the 4-byte return address, which every `ret` pops."
    if answer == 0:
        return False, "That is cdecl, where the caller cleans up. stdcall is the other way."
    return False, "Compare ESP at entry and at return in the register table."


def _check_register(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give a register name, such as 'rax'."
    name = answer.strip().lower()
    # The same call as section 3's x64 table: add(2, 3), whose second argument is 3.
    call = Emulator(sample_path("windows", "x64")).call("add", 2, 3)
    second = next(r for r in ("rcx", "rdx", "r8", "r9") if call.registers_before.get(r) == 3)
    if name == second:
        return True, "RDX: the Microsoft x64 convention passes RCX, RDX, R8, R9, then the stack."
    if name == "e" + second[1:]:
        return True, ("EDX is the low 32 bits of RDX, and add's int arguments are 32-bit: right. "
                      "The convention names the 64-bit registers: RCX, RDX, R8, R9.")
    if name == "rcx":
        return False, "RCX holds the first argument (the 2 of add(2, 3))."
    if name in ("rsi", "rdi"):
        return False, "That is the System V (Linux) x64 convention; Windows uses RCX, RDX, ..."
    if name in ("x1", "w1"):
        return False, "That is ARM64's; the question is about the x64 build."
    if name in ("rax", "eax"):
        return False, ("RAX carries the result back (it holds 5 at return); arguments arrive "
                       "elsewhere. In section 3's x64 table for add(2, 3), which register "
                       "held 3 at entry?")
    return False, ("Look at section 3's x64 table for add(2, 3): which register held 3, the "
                   "second argument, at entry?")


def _check_arm64ec(answer: Any) -> tuple[bool, str]:
    from ..loader import ImageKind, ProcessKind, load_outcome

    try:
        chosen = {ProcessKind(str(p).lower()).value for p in answer}
    except (TypeError, ValueError):
        return False, "Give a set of process kinds, such as {'x86', 'arm64'}."
    expected = {p.value for p in ProcessKind
                if load_outcome(p, ImageKind.ARM64EC, "win11-arm64").loads}
    if chosen == expected:
        return True, ("x64 and ARM64EC processes: ARM64EC follows x64 conventions, so it shares a "
                      "process with emulated x64 code. A classic Arm64 process cannot load it.")
    if "arm64" in chosen:
        return False, "A classic Arm64 process cannot load ARM64EC code (Microsoft's table)."
    return False, "Its header says 0x8664: which processes load x64-compatible code?"


def _per_byte(arch: str, export: str) -> float:
    """Instructions per byte of ``export``'s loop: counts at two sizes, the fixed cost cancels."""
    emulator = Emulator(sample_path("windows", arch))
    extra = (7,) if export == "fill" else ()  # fill's third argument, the seed
    small = emulator.call(export, Buffer(bytes(1024)), 1024, *extra).instructions or 0
    large = emulator.call(export, Buffer(bytes(2048)), 2048, *extra).instructions or 0
    return (large - small) / 1024


def _check_per_byte(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return False, "Give a number."
    expected = _per_byte("arm64", "fill")
    if abs(answer - expected) < 0.01:
        return True, (f"{expected:g} instructions per byte, far fewer than one: the compiler "
                      "turned fill's loop into vector (SIMD) instructions that compute and "
                      "store 16 bytes each, 32 bytes per pass (the stp of two q registers in "
                      "its disassembly). checksum cannot be split that way: each byte's step "
                      "needs the hash of the byte before.")
    for arch in ("arm64", "x64"):
        if abs(answer - _per_byte(arch, "checksum")) < 0.01:
            return False, (f"{answer:g} is checksum's loop on {arch}, counted in section 4's "
                           "table. The question is about fill: count its instructions for two "
                           "sizes and divide the difference by the difference in bytes.")
    return False, ("Count fill's instructions for two sizes and divide the difference by the "
                   "difference in bytes (the fixed cost of the call cancels out).")


q1_stdcall_bytes = Exercise(
    name="q1_stdcall_bytes",
    question="On x86, how many bytes of arguments does add_stdcall@8 remove from the stack?",
    checker=_check_stdcall,
    hint_text="ESP moves by the arguments plus the 4-byte return address.",
    solution_code=("from interopkit.emulation import Emulator\n"
                   "from interopkit.samples import sample_path\n"
                   "call = Emulator(sample_path('windows', 'x86')).call('add_stdcall@8', 1, 2)\n"
                   "answer = call.registers_after['esp'] - call.registers_before['esp'] - 4\n"),
    explanation="stdcall's callee pops its arguments with `ret 8`; ESP rises by 8 + 4.",
)

q2_second_register = Exercise(
    name="q2_second_register",
    question="In which register does the x64 build of add receive its second argument?",
    checker=_check_register,
    hint_text="Section 3's x64 table calls add(2, 3): find the register that held 3 at entry.",
    solution_code=("from interopkit.emulation import Emulator\n"
                   "from interopkit.samples import sample_path\n"
                   "call = Emulator(sample_path('windows', 'x64')).call('add', 2, 3)\n"
                   "answer = next(r for r in ('rcx', 'rdx', 'r8', 'r9')\n"
                   "              if call.registers_before[r] == 3)\n"),
    explanation="Microsoft x64: RCX, RDX, R8, R9.",
)

q3_arm64ec_processes = Exercise(
    name="q3_arm64ec_processes",
    question="A DLL's header says 0x8664 and its load configuration points at hybrid "
             "metadata. Which process kinds on Windows 11 on Arm can load it?",
    checker=_check_arm64ec,
    hint_text="It is ARM64EC as shipped; look at Microsoft's table in notebook 03.",
    solution_code=("from interopkit.loader import ProcessKind, load_outcome\n"
                   "answer = {p.value for p in ProcessKind\n"
                   "          if load_outcome(p, 'ARM64EC', 'win11-arm64').loads}\n"),
    explanation="The loader model encodes Microsoft's ARM64EC table.",
)

q4_arm64_per_byte = Exercise(
    name="q4_arm64_per_byte",
    question="Section 4 counted checksum. How many instructions per byte does the ARM64 "
             "build's fill loop execute?",
    checker=_check_per_byte,
    hint_text="Call fill(Buffer(bytes(n)), n, seed) on the ARM64 emulator for two sizes n; "
              ".instructions counts each call.",
    solution_code=("from interopkit.emulation import Buffer, Emulator\n"
                   "from interopkit.samples import sample_path\n"
                   "e = Emulator(sample_path('windows', 'arm64'))\n"
                   "a = e.call('fill', Buffer(bytes(1024)), 1024, 7).instructions\n"
                   "b = e.call('fill', Buffer(bytes(2048)), 2048, 7).instructions\n"
                   "answer = (b - a) / 1024\n"),
    explanation="Instruction counts are exact and repeatable, unlike times; the difference of "
                "two sizes removes the fixed cost of the call.",
)
