"""Exercises of notebook 04 (emulation); answers come from running the emulator."""

from __future__ import annotations

from typing import Any

from ..emulation import Buffer, Emulator
from ..samples import sample_path
from . import Exercise

__all__ = ["q1_stdcall_bytes", "q2_third_register", "q3_arm64_processes", "q4_arm64_per_byte"]


def _number(answer: Any) -> float | None:
    """A learner's number: an int, an integral or other float, or a numeric string ('8')."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, (int, float)):
        return float(answer)
    if isinstance(answer, str):
        try:
            return float(answer.strip())
        except ValueError:
            return None
    return None


def _stdcall_popped() -> int:
    call = Emulator(sample_path("windows", "x86")).call("add_stdcall@8", 1, 2)
    return call.registers_after["esp"] - call.registers_before["esp"] - 4  # minus the return


def _check_stdcall(answer: Any) -> tuple[bool, str]:
    number = _number(answer)
    if number is None or number != int(number):
        return False, "Give a whole number of bytes, such as 4."
    # add_stdcall@8 takes two ints: what it removes, per int, scaled to three ints.
    per_int = _stdcall_popped() // 2
    three = 3 * per_int
    given = int(number)
    if given == three:
        return True, (f"{three} bytes: three 4-byte ints, so its `ret` is `ret {three}` and "
                      f"zig/MinGW export it as scale@{three} (MSVC: _scale@{three}). "
                      "add_stdcall@8 showed the rule with two.")
    if given == 2 * per_int:
        return False, ("That is add_stdcall@8, which takes two ints. scale takes three: what "
                       "does each one add?")
    if given == three + 4:
        return False, "That includes the 4-byte return address, which every `ret` pops."
    if given == 0:
        return False, "That is cdecl, where the caller cleans up. stdcall is the other way."
    if given == 3 * 8:
        return False, "On x86 an int is 4 bytes on the stack, not 8."
    return False, ("Section 3's stdcall table shows what add_stdcall@8's `ret` removes for two "
                   "ints; scale has three.")


def _fill_registers() -> dict[str, int]:
    """The ARM64 registers at entry of fill(out, 64, 0x5A): the seed is easy to spot."""
    call = Emulator(sample_path("windows", "arm64")).call("fill", Buffer(bytes(64)), 64, 0x5A)
    # The kit's table shows X0 as 'result' (it carries the result out too).
    return {("x0" if name == "result" else name): value
            for name, value in call.registers_before.items()}


def _check_register(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give a register name, such as 'x5'."
    name = answer.strip().lower()
    registers = _fill_registers()
    third = next(r for r in sorted(registers) if r.startswith("x") and registers[r] == 0x5A)
    if name == third:
        return True, (f"{third.upper()}: ARM64 passes integer arguments in registers, X0 first "
                      "(the buffer's address), X1 (the length), X2 (the seed).")
    if name == "w" + third[1:]:
        return True, (f"W{third[1:]} is the low 32 bits of {third.upper()}, and the seed is "
                      "small: right. The convention names the 64-bit registers X0, X1, X2...")
    if name in ("x0", "w0", "result"):
        return False, "X0 holds fill's first argument, the buffer's address (and the result out)."
    if name in ("x1", "w1"):
        return False, "X1 holds the second argument, the length."
    if name in ("r8", "r8d", "rdx", "rcx", "r9"):
        return False, "That is an x64 register; the question is about the ARM64 build."
    if name in ("stack", "sp", "[sp]"):
        return False, ("ARM64 does not use the stack for a third integer argument. Call fill "
                       "with a seed you will recognise and read registers_before.")
    return False, ("Call fill(Buffer(bytes(64)), 64, 0x5A) on the ARM64 emulator and find the "
                   "register that held 0x5A at entry (registers_before).")


def _check_arm64_processes(answer: Any) -> tuple[bool, str]:
    from ..loader import ImageKind, ProcessKind, load_outcome

    if isinstance(answer, str):
        answer = {answer}
    try:
        chosen = {ProcessKind(str(p).strip().lower()).value for p in answer}
    except (TypeError, ValueError):
        return False, "Give a set of process kinds, such as {'x86', 'x64'}."
    expected = {p.value for p in ProcessKind
                if load_outcome(p, ImageKind.ARM64, "win11-arm64").loads}
    if chosen == expected:
        return True, ("Only a classic Arm64 process: without hybrid metadata the file holds "
                      "plain Arm64 code and nothing that follows x64 conventions. That is the "
                      "difference ARM64X makes with the same 0xAA64 header.")
    if chosen & {"x64", "arm64ec"}:
        return False, ("x64 and ARM64EC processes need x64-compatible code. A plain 0xAA64 file "
                       "without hybrid metadata has none: only ARM64X carries both kinds.")
    if "x86" in chosen or "arm32" in chosen:
        return False, "Those are 32-bit processes; a 64-bit Arm file cannot load in them."
    return False, "Its header says 0xAA64 and nothing more: which process runs plain Arm64 code?"


_SIZES = (1024, 2048)
"""Two multiples of 32, at least 64: fill's loop does 32 bytes a pass with no leftover steps."""


def _per_byte(arch: str, export: str, sizes: tuple[int, int] = _SIZES) -> float:
    """Instructions per byte of ``export``'s loop: counts at two sizes, the fixed cost cancels."""
    emulator = Emulator(sample_path("windows", arch))
    extra = (7,) if export == "fill" else ()  # fill's third argument, the seed
    small, large = sizes
    first = emulator.call(export, Buffer(bytes(small)), small, *extra).instructions or 0
    second = emulator.call(export, Buffer(bytes(large)), large, *extra).instructions or 0
    return (second - first) / (large - small)


def _check_per_byte(answer: Any) -> tuple[bool, str]:
    number = _number(answer)
    if number is None:
        return False, "Give a number."
    # Any two sizes that are multiples of 32 and at least 64 give this value (the question asks
    # for such sizes); the checker measures two pairs to keep itself honest.
    expected = _per_byte("arm64", "fill")
    if abs(number - expected) < 0.01 and abs(_per_byte("arm64", "fill", (64, 96)) - expected) \
            < 1e-9:
        return True, (f"{expected:g} instructions per byte, far fewer than one: the compiler "
                      "turned fill's loop into vector (SIMD: one instruction on several values "
                      "at once) instructions that compute and store 16 bytes each, 32 bytes per "
                      "pass (the stp of two q registers in its disassembly). checksum cannot be "
                      "split that way: each byte's step needs the hash of the byte before.")
    for arch in ("arm64", "x64"):
        if abs(number - _per_byte(arch, "checksum")) < 0.01:
            return False, (f"{number:g} is checksum's loop on {arch}, counted in section 4's "
                           "table. The question is about fill: count its instructions for two "
                           "sizes and divide the difference by the difference in bytes.")
    if number < 0 or number > 1:
        return False, (f"{number:g}: were your sizes multiples of 32? fill's loop handles 32 "
                       "bytes a pass, then finishes the leftover bytes (fewer than 32) in extra "
                       "steps, so a size just above a multiple of 32 can cost more instructions "
                       "than a larger one. Use two multiples of 32, at least 64.")
    return False, ("Count fill's instructions for two sizes that are multiples of 32 (at least "
                   "64), and divide the difference by the difference in bytes.")


q1_stdcall_bytes = Exercise(
    name="q1_stdcall_bytes",
    question="On x86, `int __stdcall scale(int a, int b, int c)` takes three ints. How many "
             "bytes of arguments does it remove from the stack when it returns?",
    checker=_check_stdcall,
    hint_text="Section 3's table: ESP after add_stdcall@8 moved by its two ints plus the 4-byte "
              "return address. Each int is one 4-byte stack slot.",
    solution_code=("from interopkit.emulation import Emulator\n"
                   "from interopkit.samples import sample_path\n"
                   "call = Emulator(sample_path('windows', 'x86')).call('add_stdcall@8', 1, 2)\n"
                   "two = call.registers_after['esp'] - call.registers_before['esp'] - 4\n"
                   "answer = two // 2 * 3\n"),
    explanation="stdcall's callee pops its arguments: 4 bytes per int on x86, so `ret 12` and "
                "the name scale@12.",
)

q2_third_register = Exercise(
    name="q2_third_register",
    question="In which register does the ARM64 build of fill(out, len, seed) receive its third "
             "argument, seed?",
    checker=_check_register,
    hint_text="Call fill(Buffer(bytes(64)), 64, 0x5A) on the ARM64 emulator and look for 0x5A "
              "in .registers_before (the kit names X0 'result').",
    solution_code=("from interopkit.emulation import Buffer, Emulator\n"
                   "from interopkit.samples import sample_path\n"
                   "call = Emulator(sample_path('windows', 'arm64')).call(\n"
                   "    'fill', Buffer(bytes(64)), 64, 0x5A)\n"
                   "answer = next(r for r, v in call.registers_before.items() if v == 0x5A)\n"),
    explanation="ARM64 passes integer arguments in X0, X1, X2, ...: the seed, third, is in X2.",
)

q3_arm64_processes = Exercise(
    name="q3_arm64_processes",
    question="A DLL's header says 0xAA64 and it has no hybrid metadata. Which process kinds on "
             "Windows 11 on Arm can load it?",
    checker=_check_arm64_processes,
    hint_text="Section 5 showed ARM64X, with the same header and hybrid metadata. What does a "
              "file without that metadata hold?",
    solution_code=("from interopkit.loader import ProcessKind, load_outcome\n"
                   "answer = {p.value for p in ProcessKind\n"
                   "          if load_outcome(p, 'ARM64', 'win11-arm64').loads}\n"),
    explanation="The loader model encodes Microsoft's tables: plain Arm64 code loads only in an "
                "Arm64 process.",
)

q4_arm64_per_byte = Exercise(
    name="q4_arm64_per_byte",
    question="How many instructions per byte does the ARM64 build's fill loop execute? Count "
             "two sizes that are multiples of 32, at least 64.",
    checker=_check_per_byte,
    hint_text="Call fill(Buffer(bytes(n)), n, seed) on the ARM64 emulator for two sizes n that "
              "are multiples of 32 (64 and 128, say); .instructions counts each call.",
    solution_code=("from interopkit.emulation import Buffer, Emulator\n"
                   "from interopkit.samples import sample_path\n"
                   "e = Emulator(sample_path('windows', 'arm64'))\n"
                   "a = e.call('fill', Buffer(bytes(1024)), 1024, 7).instructions\n"
                   "b = e.call('fill', Buffer(bytes(2048)), 2048, 7).instructions\n"
                   "answer = (b - a) / 1024\n"),
    explanation="Instruction counts are exact and repeatable, unlike times; the difference of "
                "two sizes removes the fixed cost of the call, and multiples of 32 avoid the "
                "loop's leftover steps.",
)
