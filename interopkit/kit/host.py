"""The machine the kit is running on: OS, CPU, this process's bitness, and whether it can run
32-bit x86 processes, found out by running one.

This is the only place the kit reads the host's own bitness; everything
else takes the pointer width from the image or the target it is working on.

On Windows the native CPU comes from ``IsWow64Process2``, because ``platform.machine()`` and
``GetNativeSystemInfo`` report the emulated CPU to emulated code (keys ISWOW2 and
ARM-EMU). Taught in notebook 00 and, in depth, in the WOW64 lesson.
"""

from __future__ import annotations

import json
import os
import platform
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from interopkit.errors import HostError
from interopkit.images.machine import Machine
from interopkit.kit.samples import probe_path

__all__ = ["HostInfo", "ProbeRun", "can_run_x86_32", "host_info", "run_probe"]

_CPU_NAMES = {
    "x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64",
    "aarch64": "aarch64", "arm64": "aarch64",
    "i386": "i386", "i486": "i386", "i586": "i386", "i686": "i386", "x86": "i386",
    "armv7l": "arm", "armv8l": "arm", "arm": "arm",
}
_CPU_MACHINE = {"x86_64": Machine.AMD64, "aarch64": Machine.ARM64, "i386": Machine.I386,
                "arm": Machine.ARMNT}
_MACHINE_CPU = {machine: cpu for cpu, machine in _CPU_MACHINE.items()}


@dataclass(frozen=True)
class HostInfo:
    """Facts about this machine and this Python process."""

    os: str
    """``linux``, ``windows``, ``darwin`` or another ``sys.platform`` value."""
    os_release: str
    """The OS release string (kernel version on Linux, Windows version on Windows)."""
    cpu: str
    """The native CPU: ``x86_64``, ``aarch64``, ``i386``, ``arm``, or what the OS reported."""
    machine: Machine | None
    """The PE machine value of the native CPU."""
    process_bits: int
    """Bits in a pointer of this Python process (read here and nowhere else)."""
    python: str
    """Python version and implementation."""


@dataclass(frozen=True)
class ProbeRun:
    """What happened when the kit ran one of its probe programs."""

    probe: str
    """The probe's file name."""
    ran: bool
    """True when the probe ran and reported itself."""
    pointer_size: int | None
    """Pointer size the probe reported (4 or 8)."""
    arch: str | None
    """Architecture the probe was built for, as it reported it."""
    detail: str
    """What happened, in a sentence (the error when it did not run)."""
    report: dict[str, Any] = field(default_factory=dict)
    """Everything the probe reported (its JSON), empty when it did not run."""


@lru_cache(maxsize=1)
def host_info() -> HostInfo:
    """Read the host facts once per process."""
    os_name = "windows" if sys.platform == "win32" else sys.platform
    if os_name == "windows":
        machine = _windows_native_machine()
        cpu = _MACHINE_CPU.get(machine, platform.machine()) if machine else platform.machine()
    else:
        cpu = _CPU_NAMES.get(platform.machine().lower(), platform.machine())
        machine = _CPU_MACHINE.get(cpu)
    return HostInfo(os=os_name, os_release=platform.release(), cpu=cpu, machine=machine,
                    process_bits=struct.calcsize("P") * 8,
                    python=f"{platform.python_implementation()} {platform.python_version()}")


def _windows_native_machine() -> Machine | None:  # pragma: no cover - needs Windows
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    query = getattr(kernel32, "IsWow64Process2", None)  # Windows 10 1511 and later (ISWOW2)
    if query is not None:
        process, native = wintypes.USHORT(), wintypes.USHORT()
        query.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.USHORT),
                          ctypes.POINTER(wintypes.USHORT)]
        if query(kernel32.GetCurrentProcess(), ctypes.byref(process), ctypes.byref(native)):
            return Machine.from_value(native.value)
    # Older Windows: WOW64 sets PROCESSOR_ARCHITEW6432 for 32-bit processes (W64-IMPL).
    arch = os.environ.get("PROCESSOR_ARCHITEW6432") or os.environ.get("PROCESSOR_ARCHITECTURE")
    return {"AMD64": Machine.AMD64, "ARM64": Machine.ARM64, "X86": Machine.I386}.get(
        (arch or "").upper())


def run_probe(name: str, timeout: float = 10.0, args: tuple[str, ...] = (),
              wine_bits: int | None = None, env: dict[str, str] | None = None) -> ProbeRun:
    """Run a probe program shipped with the kit and read its one line of JSON.

    ``args`` go to the probe (``("list", folder)``); ``wine_bits`` runs a Windows probe in a
    Windows process of that bitness under Wine (through ``interopkit.kit.wine.run``); ``env``
    adds environment variables (``INTEROPKIT_PROBE_CAP_GIB``).
    """
    try:
        path = probe_path(name)
        if wine_bits is not None:
            # Wine through interopkit.kit.wine.run, never through pipes: Wine's services keep
            # a pipe open after the probe ends; run() uses files, a timeout, and ends the
            # prefix's wineserver afterwards.
            from interopkit.kit import wine

            ran = wine.run(path, args, bits=wine_bits, timeout=timeout, env=env)
            stdout, stderr, returncode = ran.stdout, ran.stderr.encode(), ran.returncode
        else:
            result = subprocess.run([str(path), *args], capture_output=True,
                                    timeout=timeout, check=False,
                                    env={**os.environ, **env} if env else None)
            stdout = result.stdout.decode("ascii", "replace")
            stderr, returncode = result.stderr, result.returncode
    except subprocess.TimeoutExpired:
        return ProbeRun(name, False, None, None, f"did not finish within {timeout:g} s")
    except OSError as exc:
        return ProbeRun(name, False, None, None, _exec_failure(exc))
    except HostError as exc:  # the probe file is missing, or Wine timed out or is missing
        return ProbeRun(name, False, None, None, str(exc))
    try:
        report = json.loads(stdout)
        size, arch = int(report["pointer_size"]), str(report["arch"])
    except (ValueError, KeyError, TypeError):
        return ProbeRun(name, False, None, None, f"exited with status {returncode} "
                        f"without its report (stderr: {stderr[:200]!r})")
    return ProbeRun(name, True, size, arch, f"ran as a {size * 8}-bit {arch} process "
                    f"(exit status {returncode})", report)


def _exec_failure(exc: OSError) -> str:
    if exc.errno == 8:  # ENOEXEC: the Linux kernel has no handler for this kind of file
        return ("the kernel refused to run it (Exec format error): this kernel cannot run "
                "this kind of program")
    if exc.errno == 13:  # EACCES: a copy (a ZIP download, say) dropped the execute bits
        return ("could not be started (Permission denied): the file has lost its execute "
                "permission")
    if getattr(exc, "winerror", None) in (193, 216):  # pragma: no cover - Windows only
        code = exc.winerror  # type: ignore[attr-defined]
        return f"Windows refused to start it (error {code}): it cannot run this kind of program"
    return f"could not be started ({exc.strerror or exc})"


def x86_probes() -> tuple[str, str]:
    """The 32-bit and 64-bit x86 probe programs for this OS (Linux builds elsewhere)."""
    if host_info().os == "windows":
        return ("probe_x86.exe", "probe_x64.exe")
    return ("probe-i386", "probe-x86_64")


@lru_cache(maxsize=1)
def can_run_x86_32() -> ProbeRun:
    """Whether this host can run a 32-bit x86 process: runs the kit's 32-bit probe."""
    info = host_info()
    if info.os in ("linux", "windows"):
        return run_probe(x86_probes()[0])
    return ProbeRun("(none)", False, None, None, f"the kit ships no 32-bit probe for {info.os} "
                    "(macOS 10.15 and later run only 64-bit programs)")
