"""Running the kit's Windows probe (``interopkit/csrc/winprobe.c``) in a 32-bit or a 64-bit
Windows process: under Wine on Linux, natively on Windows, and labelled accordingly.

``probe`` runs it once with a list of commands and returns the answers; ``session`` keeps one
wineserver across several runs (batching: a learner's first run pays for starting Wine, about a
second, the later ones inside a session about 0.1 s). ``interopkit.wow64.real`` and
``interopkit.loading.winload`` build the lessons' answers on it; ``CaseCheck`` is how they set
a model's case beside the real answer.

Under Wine the probe runs through ``interopkit.kit.wine.run``: files instead of pipes, a
timeout, and the prefix's wineserver ended afterwards unless inside ``session``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import BIN_DIR

__all__ = ["CaseCheck", "ProbeRun", "prefix", "probe", "probe_exe", "session"]

_EXE = {32: "winprobe_x86.exe", 64: "winprobe_x64.exe"}
_EXE_LAA = "winprobe_x86_laa.exe"

def prefix() -> Path:
    """The Wine prefix the probe runs in (the kit's, or $WINEPREFIX)."""
    return wine.prefix()


session = wine.session
"""Keep one wineserver across several probe runs, and end it when the block ends."""


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
    if sys.platform == "win32":
        started = time.perf_counter()
        done = subprocess.run([str(exe), *commands], capture_output=True, text=True,
                              timeout=timeout, check=False, cwd=cwd)
        import platform as host

        stdout, seconds = done.stdout, time.perf_counter() - started
        where = f"Windows {host.version()}, {bits}-bit process"
        stderr, returncode = done.stderr, done.returncode
    else:
        run = wine.run(exe, list(commands), bits=bits, timeout=timeout, cwd=cwd)
        stdout, seconds, stderr, returncode = run.stdout, run.seconds, run.stderr, run.returncode
        where = f"Wine {run.version.removeprefix('wine-')}, {bits}-bit process"
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
    return ProbeRun(where, bits, results, seconds)



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
