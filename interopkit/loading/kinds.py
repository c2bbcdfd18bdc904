"""The vocabulary of the loader lessons: the kinds of Windows process and the Windows hosts.

Kept apart from the loader model (``interopkit.loading.loader``) so that the command line can offer
these as choices without loading the model.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Host", "ProcessKind"]


class ProcessKind(str, Enum):
    """The architecture a Windows process runs as."""

    X86 = "x86"
    X64 = "x64"
    ARM32 = "arm32"
    ARM64 = "arm64"
    ARM64EC = "arm64ec"

    @property
    def bits(self) -> int:
        """Pointer width of the process."""
        return 32 if self in (ProcessKind.X86, ProcessKind.ARM32) else 64


class Host(str, Enum):
    """The Windows the process runs on."""

    WIN10_X64 = "win10-x64"
    WIN11_X64 = "win11-x64"
    WIN10_ARM64 = "win10-arm64"
    WIN11_ARM64 = "win11-arm64"
    # Microsoft says 32-bit Arm apps go "in a future release of Windows 11", on devices whose
    # processors drop AArch32, and names no release (ARM32-DOC); the press reports name Insider
    # build 25905 (PRESS-ARM32). So this host is named for what changes, not for a version.
    WIN11_ARM64_NO_ARM32 = "win11-arm64-no-arm32"

    @property
    def is_arm(self) -> bool:
        """True on Windows on Arm."""
        return "arm64" in self.value

    @property
    def label(self) -> str:
        """A title for charts."""
        return {
            "win10-x64": "Windows 10 x64", "win11-x64": "Windows 11 x64",
            "win10-arm64": "Windows 10 on Arm", "win11-arm64": "Windows 11 on Arm",
            "win11-arm64-no-arm32": "Windows 11 on Arm, without 32-bit Arm (a future release)",
        }[self.value]
