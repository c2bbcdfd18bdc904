"""Running the kit's Windows probe (``interopkit/csrc/winprobe.c``) in a 32-bit or a 64-bit
Windows process: under Wine on Linux, natively on Windows, and labelled accordingly.

``probe`` runs it once with a list of commands and returns the answers; ``session`` keeps one
wineserver across several runs (batching: a learner's first run pays for starting Wine, about a
second, the later ones inside a session about 0.1 s). ``interopkit.wow64.real`` and
``interopkit.loading.winload`` build the lessons' answers on it; ``CaseCheck`` is how they set
a model's case beside the real answer. ``run_exe``, ``platform``, ``native_path`` and ``batch``
serve every Windows program the kit runs (the probe, the COM client and capture tool): natively
on Windows, under Wine elsewhere, each run labelled with where it ran.

Under Wine the probe runs through ``interopkit.kit.wine.run``: files instead of pipes, a
timeout, and the prefix's wineserver ended afterwards unless inside ``session``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import BIN_DIR

__all__ = ["CaseCheck", "ExeRun", "ProbeRun", "batch", "native_path", "platform", "prefix",
           "probe", "probe_exe", "run_exe", "session", "wine_name"]

_EXE = {32: "winprobe_x86.exe", 64: "winprobe_x64.exe"}
_EXE_LAA = "winprobe_x86_laa.exe"

def prefix() -> Path:
    """The Wine prefix the probe runs in (the kit's, or $WINEPREFIX)."""
    return wine.prefix()


session = wine.session
"""Keep one wineserver across several probe runs, and end it when the block ends."""


# --- any of the kit's Windows programs --------------------------------------------------------

_ON_WINDOWS = sys.platform == "win32"


@dataclass(frozen=True)
class ExeRun:
    """One run of a Windows program of the kit's, with where it ran."""

    platform: str
    """``Wine <version>, <bits>-bit process`` or ``Windows <version>, <bits>-bit process``."""
    returncode: int
    """Its exit status."""
    stdout: str
    """What it wrote to its standard output."""
    stderr: str
    """Its standard error (under Wine, with Wine's own messages; tail only)."""
    seconds: float
    """Wall time of the run (under Wine, starting Wine included)."""


def wine_name(version: str | None = None) -> str:
    """``Wine 8.0 (Debian 8.0~repack-4)``: Wine's version as the kit labels its runs."""
    return f"Wine {(version or wine.version() or 'wine-?').removeprefix('wine-')}"


def platform(bits: int, version: str | None = None) -> str:
    """Where a Windows process of ``bits`` runs here, as every real answer is labelled."""
    if _ON_WINDOWS:
        import platform as host

        return f"Windows {host.version()}, {bits}-bit process"
    return f"{wine_name(version)}, {bits}-bit process"


def native_path(path: str | os.PathLike[str]) -> str:
    """A path as a Windows process here names it: itself on Windows, on drive Z: under Wine."""
    return str(path) if _ON_WINDOWS else wine.windows_path(path)


def batch() -> AbstractContextManager[None]:
    """One wineserver for a batch of runs under Wine (``session``); nothing on Windows."""
    return nullcontext() if _ON_WINDOWS else wine.session()


def run_exe(exe: str | os.PathLike[str], args: Sequence[str] = (), *, bits: int,
            timeout: float, cwd: str | None = None,
            remedy: str = "Check it with interopkit doctor") -> ExeRun:
    """Run a Windows EXE in a ``bits``-bit process: itself on Windows, under Wine elsewhere
    (``wine.run``: files, a timeout, Wine ended afterwards). HostError on a timeout (with
    ``remedy`` on Windows) or when Wine of that bitness is missing."""
    if not _ON_WINDOWS:
        ran = wine.run(exe, list(args), bits=bits, timeout=timeout, cwd=cwd)
        return ExeRun(platform(bits, ran.version), ran.returncode, ran.stdout, ran.stderr,
                      ran.seconds)
    started = time.perf_counter()
    try:
        done = subprocess.run([str(exe), *args], capture_output=True, text=True,
                              timeout=timeout, check=False, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise HostError(Path(exe).name, f"did not finish within {timeout:g} s", remedy) from exc
    return ExeRun(platform(bits), done.returncode, done.stdout, done.stderr,
                  time.perf_counter() - started)


# --- one probe run ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProbeRun:
    """One run of the kit's Windows probe: its answers, in the order asked."""

    platform: str
    """Where it ran: ``Wine <version>, <bits>-bit process`` or ``Windows ..., <bits>-bit
    process``."""
    bits: int
    """The process's bitness, 32 or 64."""
    results: tuple[dict, ...]
    """One object per command, as the probe wrote it."""
    seconds: float
    """Wall-clock time of the run, Wine's start-up included."""


def probe_exe(bits: int, large_address_aware: bool = False) -> Path:
    """The probe EXE for a ``bits``-bit process."""
    if bits not in _EXE:
        raise UsageError(f"bits={bits!r}", "is not a Windows process bitness", "Use 32 or 64")
    return BIN_DIR / (_EXE_LAA if large_address_aware and bits == 32 else _EXE[bits])


def probe(bits: int, commands: Sequence[str], *, large_address_aware: bool = False,
          timeout: float = 60, exe: Path | None = None, cwd: str | None = None) -> ProbeRun:
    """Run the probe once in a ``bits``-bit Windows process with ``commands`` (``exe``: a copy
    of ``probe_exe(bits)`` elsewhere; ``cwd``: the process's current folder).

    HostError when this machine cannot run such a process (Wine of that bitness missing)."""
    exe = exe or probe_exe(bits, large_address_aware)
    run = run_exe(exe, commands, bits=bits, timeout=timeout, cwd=cwd)
    stdout, stderr, returncode, where = run.stdout, run.stderr, run.returncode, run.platform
    report = next((line for line in stdout.splitlines() if line.startswith('{"probe"')), None)
    if report is None:
        raise HostError(f"{exe.name} under {where}", f"ended with status {returncode} "
                        f"without a report: {stderr.strip()[-300:]}",
                        "Check that the Wine prefix works: wine64 wineboot -u")
    try:
        results = tuple(json.loads(report)["results"])
    except (ValueError, KeyError) as exc:
        raise HostError(exc.__class__.__name__, f"{exe.name} wrote a report the kit cannot "
                        "read", "Rebuild the probe: python -m interopkit.build") from exc
    return ProbeRun(where, bits, results, run.seconds)



@dataclass(frozen=True)
class CaseCheck:
    """One case of a model held against a real process."""

    case: str
    """The path or key, and the process."""
    model: str
    """What the model says."""
    real: str
    """What the real process got."""
    platform: str
    """Where the real answer came from."""
    agrees: bool | None
    """True or False; None when the case could not be run here (``real`` says why)."""
