"""Run a DLL's exported function on an emulated CPU: x86, x64 or ARM64, whatever this host is.

The only module that imports unicorn (a CPU emulator built on QEMU's translator, the same
family of technique as Windows' x86 emulator on Arm). ``Emulator(path)`` maps an import-free
DLL with ``interopkit.images.pemap``, gives it a stack and a scratch area for buffers, and ``call``
passes arguments by each architecture's real calling convention:

* x86: arguments pushed right to left on the stack; ``cdecl`` leaves them for the caller to
  pop, ``stdcall`` (an export named ``name@N``) pops them itself with ``ret N``;
* x64 (Microsoft): RCX, RDX, R8, R9, then the stack, above 32 bytes of shadow space the caller
  reserves; the stack is 16-byte aligned at the call;
* ARM64 (AAPCS64): X0 to X7, the return address in X30 (LR).

A call returns when the function returns to a sentinel address the emulator planted as the
return address. Faults, unknown exports and runaway code (stopped by an instruction limit)
become EmulationError with the address and, where capstone is installed, the instruction.
The limit is always there: from 1 to ``MAX_LIMIT`` instructions. An image the emulator cannot
place (an ImageBase off the PE format's 64 KiB grid, or over the emulator's own stack, scratch
area or sentinel) and an export that is no code of the image (outside it, or forwarded to
another DLL) are refused before anything runs. Taught in notebook 04.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from interopkit.errors import ImageError, InteropKitError, UsageError
from interopkit.images.machine import Machine
from interopkit.images.pemap import MappedImage, map_image
from interopkit.winerror import WinError

__all__ = ["ARCHES", "MAX_LIMIT", "Buffer", "EmulatedCall", "EmulationError", "Emulator",
           "Instruction", "disassemble", "parse_argument"]

ARCHES = {Machine.I386: "x86", Machine.AMD64: "x64", Machine.ARM64: "arm64"}

_STACK_TOP, _STACK_SIZE = 0x0070_0000, 0x10_0000
_SCRATCH, _SCRATCH_SIZE = 0x0090_0000, 0x40_0000
_SENTINEL = 0x00F0_0000  # a mapped page that no code of the DLL reaches: return lands here
_PAGE = 0x1000
_RESERVED = ((_STACK_TOP - _STACK_SIZE, _STACK_SIZE, "stack"),
             (_SCRATCH, _SCRATCH_SIZE, "scratch area for buffers"),
             (_SENTINEL, _PAGE, "return sentinel"))
_IMAGE_ALIGNMENT = 0x1_0000  # PE-FMT: ImageBase "must be a multiple of 64 K"
_ADDRESS_BITS = {"x86": 32, "x64": 47, "arm64": 48}  # x64: the lower canonical half

_MAX_ZEROS = 1 << 30  # a zeros: buffer is allocated at once: no host of the kit takes 1 GiB
_MAX_ARGUMENTS = 64  # far above any export's; the stack would hold about 260,000

MAX_LIMIT = 200_000_000
"""The most instructions one call may run: the emulated surrogate's own limit. Unicorn reads a
count of 0 as "no limit", so every limit is checked to be 1 to this. At this limit a call that
never returns (``jmp $``) was stopped after 0.8 to 2.1 s (ARM64, x64, x86) without counting,
and after 179 s (x64) with counting on, a Python callback per instruction (measured on a busy
2-core Linux machine)."""


class EmulationError(InteropKitError):
    """The emulated code faulted, ran away, or was asked for something it cannot do."""


@dataclass(frozen=True)
class Buffer:
    """A byte buffer passed by pointer: its bytes go in, and come back after the call."""

    data: bytes
    """Initial contents (its length is the buffer's size)."""


def parse_argument(text: str) -> int | Buffer:
    """An argument as the command line and the explorer write it: an integer (``42``,
    ``0x2a``, ``-1``) or a buffer (``text:hello``, ``hex:00ff``, ``zeros:16``)."""
    kind, _, rest = text.partition(":")
    try:
        if kind == "text" and rest:
            return Buffer(rest.encode())
        if kind == "hex":
            return Buffer(bytes.fromhex(rest))
        if kind == "zeros":
            size = int(rest, 0)
            if size > _MAX_ZEROS:
                raise UsageError(text, f"asks for {size:,} bytes, over the {_MAX_ZEROS:,} bytes "
                                 "(1 GiB) the kit allocates for one buffer",
                                 "Pass a smaller buffer: no host of the kit takes one that large")
            return Buffer(bytes(size))
        return int(text, 0)
    except ValueError:
        raise UsageError(text, "is not an argument the emulator understands",
                         "Give an integer (42, 0x2a, -1) or a buffer: text:hello, hex:00ff, "
                         "zeros:16") from None


@dataclass(frozen=True)
class EmulatedCall:
    """One call of an export on the emulated CPU."""

    arch: str
    """``x86``, ``x64`` or ``arm64``."""
    export: str
    """The function called."""
    result: int
    """The return register (EAX, RAX or X0), as an unsigned value of the pointer width."""
    instructions: int | None
    """Instructions executed from entry to return (None when the emulator does not count)."""
    seconds: float
    """Wall time of the emulation."""
    buffers: tuple[bytes, ...]
    """The contents of each Buffer argument after the call."""
    registers_before: dict[str, int]
    """The argument registers (and stack pointer) at entry."""
    registers_after: dict[str, int]
    """The same registers at return."""

    def signed(self, bits: int = 32) -> int:
        """The result read as a signed integer of ``bits`` bits."""
        value = self.result & ((1 << bits) - 1)
        return value - (1 << bits) if value >> (bits - 1) else value


class Emulator:
    """One emulated CPU with one DLL mapped; calls keep the DLL's state (its counter)."""

    def __init__(self, path: str | os.PathLike[str], limit: int = 1_000_000,
                 count_instructions: bool = True) -> None:
        import unicorn  # deferred: importing the kit stays fast

        self.limit = limit
        self.image: MappedImage = map_image(path)
        if self.image.machine not in ARCHES:
            raise EmulationError(str(path), f"is a {self.image.machine.name} image",
                                 "The emulator runs x86, x64 and ARM64 DLLs")
        self.arch = ARCHES[self.image.machine]
        size = (len(self.image.memory) + _PAGE - 1) // _PAGE * _PAGE
        _check_placement(self.image, size, self.arch)
        self._uc = _new_cpu(unicorn, self.arch)
        try:
            self._uc.mem_map(self.image.base, size)
            self._uc.mem_write(self.image.base, self.image.memory)
            for start, length, _name in _RESERVED:
                self._uc.mem_map(start, length)
        except unicorn.UcError as exc:  # the checks above should leave nothing to fail here
            raise EmulationError(str(path), f"cannot be mapped at {self.image.base:#x}: {exc}",
                                 "Rebuild the DLL with another base address") from exc
        self._count = 0
        self.counting = count_instructions
        if count_instructions:  # a Python callback per instruction: exact, but slow to time
            self._uc.hook_add(unicorn.UC_HOOK_CODE, self._tick)

    @property
    def limit(self) -> int:
        """Instructions one call may run before it is stopped: 1 to ``MAX_LIMIT``."""
        return self._limit

    @limit.setter
    def limit(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_LIMIT:
            raise UsageError(f"instruction limit {value!r}", f"is not between 1 and "
                             f"{MAX_LIMIT:,}", "The limit is what stops code that never returns, "
                             "so it cannot be removed (0) or made endless: give a count in that "
                             "range")
        self._limit = value

    def _tick(self, *_args: Any) -> None:
        self._count += 1

    def call(self, export: str, *args: int | Buffer) -> EmulatedCall:
        """Call ``export`` with integer and Buffer arguments by the architecture's convention."""
        import unicorn

        if len(args) > _MAX_ARGUMENTS:
            raise UsageError(export, f"was given {len(args)} arguments", f"The emulator passes "
                             f"up to {_MAX_ARGUMENTS}")
        entry = self.image.address_of(export)
        rva = entry - self.image.base
        if not 0 <= rva < len(self.image.memory):
            raise ImageError(self.image.path, f"exports {export!r} at RVA {rva:#x}, outside the "
                             f"image (SizeOfImage {len(self.image.memory):#x}): no code of the "
                             "DLL is there", "The export table is damaged: rebuild the DLL",
                             WinError.ERROR_BAD_EXE_FORMAT)
        values, buffers = self._place(args)
        registers = _REGISTERS[self.arch]
        _CONVENTIONS[self.arch](self._uc, values, export)
        before = {name: self._uc.reg_read(reg) for name, reg in registers.items()}
        self._count = 0
        start = time.perf_counter()
        try:
            self._uc.emu_start(entry, _SENTINEL, count=self.limit)
        except unicorn.UcError as exc:
            raise self._fault(export, exc) from exc
        seconds = time.perf_counter() - start
        pc = self._uc.reg_read(registers["pc"])
        if pc != _SENTINEL:
            raise EmulationError(f"{export} ({self.arch})", f"did not return within "
                                 f"{self.limit:,} instructions (stopped at {pc:#x})",
                                 f"Raise the instruction limit (up to {MAX_LIMIT:,}) if the "
                                 "work is really that long")
        after = {name: self._uc.reg_read(reg) for name, reg in registers.items()}
        out = tuple(bytes(self._uc.mem_read(address, length)) for address, length in buffers)
        return EmulatedCall(self.arch, export, after["result"],
                            self._count if self.counting else None, seconds, out, before, after)

    def _place(self, args: tuple[int | Buffer, ...]) -> tuple[list[int], list[tuple[int, int]]]:
        values, buffers, cursor = [], [], _SCRATCH
        for arg in args:
            if isinstance(arg, Buffer):
                if cursor + len(arg.data) > _SCRATCH + _SCRATCH_SIZE:
                    raise UsageError("buffers", f"exceed the emulator's {_SCRATCH_SIZE} bytes",
                                     "Pass smaller buffers")
                self._uc.mem_write(cursor, arg.data)
                values.append(cursor)
                buffers.append((cursor, len(arg.data)))
                cursor += (len(arg.data) + 15) // 16 * 16 or 16
            elif isinstance(arg, int) and not isinstance(arg, bool):
                values.append(arg)
            else:
                raise UsageError(repr(arg), "is not an int or a Buffer",
                                 "Pass integers and Buffer(bytes) objects")
        return values, buffers

    def _fault(self, export: str, exc: Exception) -> EmulationError:
        pc = self._uc.reg_read(_REGISTERS[self.arch]["pc"])
        return EmulationError(f"{export} ({self.arch})", f"faulted at {pc:#x}: {exc}"
                              + _disassemble(self._uc, self.arch, pc),
                              "Check the arguments: a bad pointer is the usual cause")


def _check_placement(image: MappedImage, size: int, arch: str) -> None:
    base, end = image.base, image.base + size
    if base % _IMAGE_ALIGNMENT:
        raise ImageError(image.path, f"has ImageBase {base:#x}, which is not a multiple of 64 KiB "
                         "as the PE format requires", "Rebuild the DLL with an aligned base "
                         "address (the linker's /BASE, or --image-base)",
                         WinError.ERROR_BAD_EXE_FORMAT)
    if end > 1 << _ADDRESS_BITS[arch]:
        raise ImageError(image.path, f"would end at {end:#x}, beyond the {arch} user address "
                         f"space ({1 << _ADDRESS_BITS[arch]:#x})", "Rebuild the DLL with a lower "
                         "base address", WinError.ERROR_BAD_EXE_FORMAT)
    for start, length, name in _RESERVED:
        if base < start + length and start < end:
            raise EmulationError(image.path, f"would be mapped at {base:#x}-{end:#x}, over the "
                                 f"emulator's {name} at {start:#x}-{start + length:#x}",
                                 f"The emulator keeps {_RESERVED[0][0]:#x}-"
                                 f"{_SENTINEL + _PAGE:#x} for itself: rebuild the DLL with "
                                 "another base address, such as the default 0x10000000")


def _new_cpu(unicorn: Any, arch: str) -> Any:
    modes = {"x86": (unicorn.UC_ARCH_X86, unicorn.UC_MODE_32),
             "x64": (unicorn.UC_ARCH_X86, unicorn.UC_MODE_64),
             "arm64": (unicorn.UC_ARCH_ARM64, unicorn.UC_MODE_ARM)}
    return unicorn.Uc(*modes[arch])


def _x86(uc: Any, values: list[int], export: str) -> None:
    from unicorn import x86_const as r

    sp = _STACK_TOP - 0x100
    for value in reversed(values):  # pushed right to left
        sp -= 4
        uc.mem_write(sp, (value & 0xFFFFFFFF).to_bytes(4, "little"))
    sp -= 4
    uc.mem_write(sp, _SENTINEL.to_bytes(4, "little"))  # the return address
    uc.reg_write(r.UC_X86_REG_ESP, sp)


def _x64(uc: Any, values: list[int], export: str) -> None:
    from unicorn import x86_const as r

    registers = (r.UC_X86_REG_RCX, r.UC_X86_REG_RDX, r.UC_X86_REG_R8, r.UC_X86_REG_R9)
    stacked = values[4:]
    sp = _STACK_TOP - 0x100
    sp -= 8 * len(stacked) + 32  # stack arguments above 32 bytes of shadow space
    sp -= sp % 16  # 16-byte aligned before the call; the pushed return address makes it 16n+8
    for index, value in enumerate(stacked):
        uc.mem_write(sp + 32 + 8 * index, (value % (1 << 64)).to_bytes(8, "little"))
    sp -= 8
    uc.mem_write(sp, _SENTINEL.to_bytes(8, "little"))
    uc.reg_write(r.UC_X86_REG_RSP, sp)
    for register, value in zip(registers, values):
        uc.reg_write(register, value % (1 << 64))


def _arm64(uc: Any, values: list[int], export: str) -> None:
    from unicorn import arm64_const as r

    if len(values) > 8:
        raise UsageError(export, "takes more than 8 arguments", "The kit passes X0 to X7 only")
    for index, value in enumerate(values):
        uc.reg_write(r.UC_ARM64_REG_X0 + index, value % (1 << 64))
    uc.reg_write(r.UC_ARM64_REG_LR, _SENTINEL)
    uc.reg_write(r.UC_ARM64_REG_SP, _STACK_TOP - 0x100)


_CONVENTIONS = {"x86": _x86, "x64": _x64, "arm64": _arm64}


def _register_names() -> dict[str, dict[str, int]]:
    from unicorn import arm64_const as a
    from unicorn import x86_const as x

    return {
        "x86": {"result": x.UC_X86_REG_EAX, "edx": x.UC_X86_REG_EDX, "esp": x.UC_X86_REG_ESP,
                "pc": x.UC_X86_REG_EIP},
        "x64": {"result": x.UC_X86_REG_RAX, "rcx": x.UC_X86_REG_RCX, "rdx": x.UC_X86_REG_RDX,
                "r8": x.UC_X86_REG_R8, "r9": x.UC_X86_REG_R9, "rsp": x.UC_X86_REG_RSP,
                "pc": x.UC_X86_REG_RIP},
        "arm64": {"result": a.UC_ARM64_REG_X0, "x1": a.UC_ARM64_REG_X1,
                  "x2": a.UC_ARM64_REG_X2, "lr": a.UC_ARM64_REG_LR, "sp": a.UC_ARM64_REG_SP,
                  "pc": a.UC_ARM64_REG_PC},
    }


class _LazyRegisters(dict):  # filled on first use, so importing this module needs no unicorn
    def __missing__(self, key: str) -> dict[str, int]:
        self.update(_register_names())
        return self[key]


_REGISTERS: dict[str, dict[str, int]] = _LazyRegisters()


@dataclass(frozen=True)
class Instruction:
    """One disassembled instruction."""

    address: int
    """Where it is in the mapped image."""
    encoding: bytes
    """Its bytes."""
    text: str
    """Mnemonic and operands."""


def disassemble(path: str | os.PathLike[str], export: str, count: int = 40) -> list[Instruction]:
    """The first instructions of an export, up to its first return (needs capstone)."""
    try:
        import capstone
    except ImportError as exc:
        raise EmulationError("capstone", "is not installed",
                             "pip install capstone to see disassembly") from exc
    image = map_image(path)
    arch = ARCHES.get(image.machine)
    if arch is None:
        raise EmulationError(str(path), f"is a {image.machine.name} image",
                             "The kit disassembles x86, x64 and ARM64 DLLs")
    start = image.address_of(export)
    code = image.memory[start - image.base:start - image.base + 16 * count]
    out = []
    for insn in _capstone(capstone, arch).disasm(code, start):
        out.append(Instruction(insn.address, bytes(insn.bytes),
                               f"{insn.mnemonic} {insn.op_str}".rstrip()))
        if insn.mnemonic in ("ret", "retn") or len(out) >= count:
            break
    return out


def _capstone(capstone: Any, arch: str) -> Any:
    modes = {"x86": (capstone.CS_ARCH_X86, capstone.CS_MODE_32),
             "x64": (capstone.CS_ARCH_X86, capstone.CS_MODE_64),
             "arm64": (capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)}
    return capstone.Cs(*modes[arch])


def _disassemble(uc: Any, arch: str, pc: int) -> str:
    try:
        import capstone
    except ImportError:
        return ""
    try:
        code = bytes(uc.mem_read(pc, 16))
    except Exception:  # noqa: BLE001 - the faulting address itself may be unmapped
        return ""
    for instruction in _capstone(capstone, arch).disasm(code, pc):
        return f" ({instruction.mnemonic} {instruction.op_str})".rstrip()
    return ""
