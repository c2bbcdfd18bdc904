"""WOW64 from the inside: what a real 32-bit and a real 64-bit process get on this machine.

The kit's probe (``interopkit/csrc/probe.c``) reserves as much address space as the system
allows, without touching it, and reports where its code, stack and heap are. On a 64-bit Linux
kernel the 32-bit probe runs natively in the kernel's compatibility mode, the same idea as
WOW64 on x64 Windows (native execution, system calls adapted). Its numbers are set beside
Windows' documented WOW64 limits: 2 GB for a 32-bit EXE, 4 GB with large-address-aware
(FACTS.md section 1, key W64-PERF). Taught in notebook 02.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import HostError
from .host import host_info, run_probe, x86_probes

__all__ = ["GIB", "WOW64_LIMITS", "AddressSpace", "measure", "measure_both"]

GIB = 1 << 30

WOW64_LIMITS = {
    "32-bit EXE under WOW64": 2 * GIB,
    "32-bit EXE, large-address-aware, under WOW64": 4 * GIB,
}
"""Windows' documented virtual address space for 32-bit processes on 64-bit Windows (W64-PERF)."""


@dataclass(frozen=True)
class AddressSpace:
    """What one probe process reported about itself."""

    probe: str
    """The probe program."""
    arch: str
    """``i386``, ``x86_64`` ..."""
    pointer_size: int
    """4 or 8."""
    code_address: int
    """Where the probe's own code is."""
    stack_address: int
    """A variable on its stack."""
    heap_address: int
    """A heap block it allocated."""
    reserved_bytes: int
    """Address space it could reserve (without touching it) before the system refused."""
    highest_address: int
    """The highest address among those reservations."""
    syscall_abi: str
    """How the process makes system calls."""
    windows: dict[str, Any]
    """On Windows: IsWow64Process2's machines and the WOW64 environment variables."""

    @property
    def bits(self) -> int:
        """Pointer width in bits."""
        return self.pointer_size * 8


def measure(probe: str) -> AddressSpace:
    """Run one probe and read its report; HostError when it cannot run here."""
    run = run_probe(probe, timeout=30.0)
    if not run.ran:
        raise HostError(probe, f"did not run: {run.detail}",
                        "See `interopkit doctor`; the lesson shows the 64-bit side alone")
    report = run.report
    windows = {key: report[key] for key in ("wow64_process_machine", "native_machine",
                                            "environment") if key in report}
    return AddressSpace(
        probe=probe, arch=report["arch"], pointer_size=int(report["pointer_size"]),
        code_address=int(report["code_address"], 16),
        stack_address=int(report["stack_address"], 16),
        heap_address=int(report["heap_address"], 16),
        reserved_bytes=int(report["reserved_bytes"]),
        highest_address=int(report["highest_address"], 16),
        syscall_abi=str(report["syscall_abi"]), windows=windows)


def measure_both() -> list[AddressSpace]:
    """The 32-bit and the 64-bit x86 probe of this OS (the 32-bit one only if it runs)."""
    if host_info().os not in ("linux", "windows") or host_info().cpu != "x86_64":
        raise HostError(f"{host_info().os}/{host_info().cpu}", "has no native x86 probes",
                        "Run the WOW64 lesson on x86-64 Linux or Windows to measure real "
                        "processes; the documented limits still apply")
    spaces = []
    for probe in x86_probes():
        try:
            spaces.append(measure(probe))
        except HostError:
            if probe == x86_probes()[1]:
                raise
    return spaces
