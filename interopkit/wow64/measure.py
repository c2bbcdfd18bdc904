"""WOW64 from the inside: what a real 32-bit and a real 64-bit process get on this machine.

The kit's probe (``interopkit/csrc/probe.c``) reserves as much address space as the system
allows, without touching it, and reports where its code, stack and heap are. On a 64-bit Linux
kernel the 32-bit probe runs natively in the kernel's compatibility mode, the same idea as
WOW64 on x64 Windows (native execution, system calls adapted). Its numbers are set beside
Windows' documented WOW64 limits: 2 GiB for a 32-bit EXE, 4 GiB with large-address-aware
(key W64-PERF). Taught in notebook 02.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interopkit.errors import HostError
from interopkit.kit.host import host_info, run_probe, x86_probes

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
    cap_bytes: int = 0
    """The reservation cap the probe was given (0: none, it reserved all it could)."""

    @property
    def bits(self) -> int:
        """Pointer width in bits."""
        return self.pointer_size * 8


def measure(probe: str, cap_gib: int = 0, wine_bits: int | None = None) -> AddressSpace:
    """Run one probe and read its report; HostError when it cannot run here.

    ``cap_gib`` caps the reservation (for Wine, which keeps bookkeeping per reserved page);
    ``wine_bits`` runs a Windows probe under Wine in a process of that bitness.
    """
    env = {"INTEROPKIT_PROBE_CAP_GIB": str(cap_gib)} if cap_gib else None
    run = run_probe(probe, timeout=30.0, wine_bits=wine_bits, env=env)
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
        syscall_abi=str(report["syscall_abi"]), windows=windows,
        cap_bytes=int(report.get("cap_bytes", 0)))


@dataclass(frozen=True)
class FolderListing:
    """A folder as one probe process sees it."""

    probe: str
    """The probe program that listed it."""
    bits: int
    """The probe's pointer width."""
    folder: str
    """The folder it was asked for."""
    found: bool
    """False when the folder could not be opened."""
    entries: tuple[str, ...]
    """Names in the folder (at most 400), sorted."""


def list_folder(probe: str, folder: str, wine_bits: int | None = None) -> FolderListing:
    """Ask a probe process to list ``folder``: on Windows a 32-bit probe sees redirection."""
    run = run_probe(probe, timeout=30.0, args=("list", folder), wine_bits=wine_bits)
    if not run.ran:
        raise HostError(probe, f"did not run: {run.detail}", "See `interopkit doctor`")
    report = run.report
    return FolderListing(probe, int(report["pointer_size"]) * 8, str(report["folder"]),
                         bool(report["found"]), tuple(sorted(report["entries"])))


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


@dataclass(frozen=True)
class Layer:
    """One layer a 32-bit program's system call passes through."""

    name: str
    """What runs there."""
    bits: int
    """32 or 64: the code's width."""
    note: str
    """What it does."""


LAYERS: dict[str, tuple[Layer, ...]] = {
    "x86 app on x64 Windows (WOW64)": (
        Layer("32-bit app and its x86 DLLs (kernel32, ...)", 32, "x86 code, run natively"),
        Layer("x86 ntdll.dll", 32, "the 32-bit ntdll; a WOW64 process also has the 64-bit one"),
        Layer("wow64cpu.dll", 64, "switches the CPU from 32-bit compatibility mode to 64-bit "
              "mode (mode switch)"),
        Layer("wow64.dll, wow64win.dll", 64, "thunk the system calls: widen the arguments, "
              "redirect files and registry"),
        Layer("64-bit ntdll.dll", 64, "the native system-call stubs"),
        Layer("64-bit kernel (ntoskrnl, win32k)", 64, "unchanged; it also keeps 32-bit copies of "
              "each process's and thread's environment blocks (PEB, TEB)"),
    ),
    "x86 app on Windows on Arm (WOW64 + emulation)": (
        Layer("32-bit app and its x86 DLLs", 32, "x86 code, translated to Arm64 by the "
              "emulator"),
        Layer("x86 ntdll.dll (or a CHPE build)", 32, "CHPE DLLs hold Arm64 code to cut "
              "translation"),
        Layer("xtajit.dll", 64, "the x86 emulator: JIT-translates blocks, caches them "
              "(no mode switch: emulation)"),
        Layer("wow64.dll, wow64win.dll", 64, "thunk the system calls, redirect files and "
              "registry"),
        Layer("Arm64 ntdll.dll", 64, "the native system-call stubs"),
        Layer("Arm64 kernel", 64, "emulation is user mode only: drivers are native"),
    ),
    "i386 program on a 64-bit Linux kernel (this machine's counterpart)": (
        Layer("32-bit program (the kit's i386 probe)", 32, "x86 code, run natively"),
        Layer("32-bit libc (static musl)", 32, "makes i386 system calls"),
        Layer("int 0x80 / sysenter", 32, "the i386 system-call instructions (mode switch)"),
        Layer("the kernel's IA-32 compatibility entry", 64, "translates the 32-bit system "
              "calls: this is in the kernel, WOW64 does it in user mode"),
        Layer("64-bit Linux kernel", 64, "unchanged; no file or registry redirection"),
    ),
}
"""The layers of a system call from a 32-bit program (W64-IMPL, ARM-EMU, WINE-WOW64CPU).

``wow64base.dll`` is left out: no source the kit cites describes it (an open question)."""


def registry_views(key: str, winreg: Any = None) -> list[tuple[str, str]]:
    """On Windows: open ``key`` (under HKLM) in the default, 64-bit and 32-bit views for real.

    Returns (view, what was found) pairs. ``winreg`` may be given for tests; the real module
    is used by default.
    """
    if winreg is None:
        if host_info().os != "windows":
            raise HostError("the registry", "exists only on Windows",
                            "The notebook shows the model alone on this machine")
        import winreg  # type: ignore[no-redef]
    path = key.split("\\", 1)[1] if "\\" in key else ""
    out = []
    for view, flag in (("default", 0), ("KEY_WOW64_64KEY", winreg.KEY_WOW64_64KEY),
                       ("KEY_WOW64_32KEY", winreg.KEY_WOW64_32KEY)):
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, path, 0,
                                winreg.KEY_READ | flag) as handle:
                count = winreg.QueryInfoKey(handle)[0]
            out.append((view, f"opened: {count} subkeys"))
        except OSError as exc:
            out.append((view, f"not found ({exc.strerror or exc})"))
    return out
