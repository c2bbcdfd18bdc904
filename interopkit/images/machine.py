"""Machine facts: the ``IMAGE_FILE_MACHINE_*`` values of PE files and their ELF counterparts.

Values from Microsoft's PE format page and Wine's ``winnt.h`` (keys PE-FMT and WINE-WINNT).
Three of them are treated alike, because they are alike:

* ``CHPE_X86`` (0x3A64), ``ARM64EC`` (0xA641) and ``ARM64X`` (0xA64E) are real COFF machine
  values, defined together in the WDK's ``ntimage.h`` just outside the part that is exported to
  the SDK's ``winnt.h`` (SYSINF-376 for where they live; Wine's ``winnt.h`` copies them).
* None of them is the ``Machine`` of a finished image: Microsoft's Arm64EC page says 0xA641 is
  an internal value of ARM64EC object and library files, and that a finished ARM64EC or ARM64X
  EXE or DLL carries 0x8664 or 0xAA64 plus hybrid metadata found through its load configuration
  (keys ARM64EC, ARM64X, LLVM-D149089).

Notebook 01 teaches these.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ELF_TO_PE", "ElfMachine", "Machine"]


class Machine(IntEnum):
    """A PE/COFF ``Machine`` field value, with its bitness and a display name."""

    bits: int
    display_name: str
    note: str

    # typing.Self would be exact, but the kit supports Python 3.10.
    def __new__(cls, value: int, bits: int, display_name: str, note: str = "") -> Machine:  # noqa: PYI034
        member = int.__new__(cls, value)
        member._value_ = value
        member.bits = bits
        member.display_name = display_name
        member.note = note
        return member

    UNKNOWN = (0x0000, 0, "unknown", "Also what IsWow64Process2 reports for a non-WOW64 process.")
    I386 = (0x014C, 32, "x86 (Intel 386 and later)")
    ARM = (0x01C0, 32, "ARM little-endian")
    THUMB = (0x01C2, 32, "ARM Thumb")
    ARMNT = (0x01C4, 32, "ARM32 Thumb-2 (Windows on ARM32)")
    IA64 = (0x0200, 64, "Intel Itanium")
    CHPE_X86 = (0x3A64, 32, "x86 CHPE (COFF value; hybrid x86/ARM64)",
                ("A COFF value from the WDK's ntimage.h, not the SDK's winnt.h (SYSINF-376); "
                 "not the Machine of a finished image."))
    AMD64 = (0x8664, 64, "x64 (AMD64)",
             "A finished ARM64EC image also says 0x8664, plus hybrid metadata (ARM64EC).")
    ARM64EC = (0xA641, 64, "ARM64EC (COFF value)",
               ("A COFF value of ARM64EC OBJ/LIB files, from the WDK's ntimage.h; a finished "
                "ARM64EC image says 0x8664 plus hybrid metadata (ARM64EC, SYSINF-376)."))
    ARM64X = (0xA64E, 64, "ARM64X (COFF value)",
              ("A COFF value from the WDK's ntimage.h; a finished ARM64X image says 0xAA64 "
               "plus hybrid metadata (ARM64EC, ARM64X, SYSINF-376)."))
    ARM64 = (0xAA64, 64, "ARM64 (AArch64)")

    @property
    def pointer_size(self) -> int:
        """Bytes in a pointer of code built for this machine (0 when unknown)."""
        return self.bits // 8

    @classmethod
    def from_value(cls, value: int) -> Machine | None:
        """The member for a raw header value, or None when the kit does not know it."""
        try:
            return cls(value)
        except ValueError:
            return None


class ElfMachine(IntEnum):
    """An ELF ``e_machine`` value (System V ABI) for the architectures the kit ships."""

    EM_NONE = 0
    EM_386 = 3
    EM_ARM = 40
    EM_IA_64 = 50
    EM_X86_64 = 62
    EM_AARCH64 = 183


# The PE counterpart of each ELF machine: same instruction set, other container format.
# ELF's bitness is not in e_machine but in EI_CLASS (x32 is EM_X86_64 in a 32-bit class).
ELF_TO_PE: dict[ElfMachine, Machine] = {
    ElfMachine.EM_386: Machine.I386,
    ElfMachine.EM_ARM: Machine.ARMNT,
    ElfMachine.EM_IA_64: Machine.IA64,
    ElfMachine.EM_X86_64: Machine.AMD64,
    ElfMachine.EM_AARCH64: Machine.ARM64,
}
