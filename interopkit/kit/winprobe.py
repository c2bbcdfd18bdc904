"""Running the kit's Windows probe (``interopkit/csrc/winprobe.c``) in a 32-bit or a 64-bit
Windows process: under Wine on Linux, natively on Windows, and labelled accordingly.

``probe`` runs it once with a list of commands and returns the answers; ``session`` keeps one
wineserver across several runs (batching: a learner's first run pays for starting Wine, about a
second, the later ones inside a session about 0.1 s). ``interopkit.wow64.real`` and
``interopkit.loading.winload`` build the lessons' answers on it; ``CaseCheck`` is how they set
a model's case beside the real answer.

The Wine runner here is a stand-in with the signature of ``interopkit.kit.wine.run`` (the
contract of issue 18), to be replaced by it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import HostError, UsageError
from interopkit.kit.samples import BIN_DIR

__all__ = ["CaseCheck", "ProbeRun", "prefix", "probe", "probe_exe", "session"]

_EXE = {32: "winprobe_x86.exe", 64: "winprobe_x64.exe"}
_EXE_LAA = "winprobe_x86_laa.exe"
_SETUP = ("Install Wine for both bitnesses (as root, Debian or Ubuntu): dpkg --add-architecture "
          "i386 && apt-get update; apt-get install --no-install-recommends wine wine32:i386 "
          "wine64")


# --- the Wine runner (the contract of interopkit.kit.wine; a stand-in until it lands) ------

@dataclass(frozen=True)
class _WineRun:
    bits: int
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    version: str


_LOADERS = {64: ("/usr/lib/wine/wine64", "/usr/lib64/wine/wine64"),
            32: ("/usr/lib/wine/wine", "/usr/lib32/wine/wine")}
_SESSION: list[bool] = []


def _find_wine(bits: int) -> str | None:
    found = next((p for p in _LOADERS[bits] if Path(p).exists()), None)
    if bits == 32 and found and not Path("/usr/lib/i386-linux-gnu/wine").exists():
        return None  # the wine32 package is what brings the 32-bit loader's libraries
    return found


def prefix() -> Path:
    """The Wine prefix the probe runs in: $WINEPREFIX, else the kit's."""
    from interopkit.kit import wine

    return Path(os.environ.get("WINEPREFIX", str(wine.PREFIX)))


def _env() -> dict[str, str]:
    return {**os.environ, "WINEPREFIX": str(prefix()), "WINEDEBUG": "-all"}


def _end_wineserver() -> None:
    server = shutil.which("wineserver") or "/usr/lib/wine/wineserver"
    if Path(server).exists():
        subprocess.run([server, "-k"], env=_env(), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, check=False)


def _wine_run(exe: str | os.PathLike[str], args: Sequence[str] = (), *, bits: int,
              timeout: float = 60, cwd: str | None = None) -> _WineRun:
    """Stand-in for ``interopkit.kit.wine.run`` (same signature and result)."""
    loader = _find_wine(bits)
    if loader is None:
        raise HostError(f"{bits}-bit Wine", "is not installed", _SETUP)
    if not (prefix() / "drive_c" / "windows" / ("syswow64" if bits == 32 else
                                                   "system32")).is_dir():
        raise HostError(f"the Wine prefix {prefix().name}", "has no Windows folder for "
                        f"{bits}-bit programs", "Make it with: wine64 wineboot -u")
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # Files, never pipes: Wine's services inherit the handles and keep a pipe open.
        process = subprocess.Popen([loader, os.fspath(exe), *args], stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, env=_env(), cwd=cwd,
                                   start_new_session=True)
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, 9)
            process.wait()
            _end_wineserver()
            raise HostError(os.path.basename(exe), f"did not finish within {timeout:g} s under "
                            "Wine; it was killed", "Try again (the first run starts Wine)") from exc
        finally:
            if not _SESSION:
                _end_wineserver()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode(
            "utf-8", "replace")
    return _WineRun(bits, returncode, stdout, stderr[-2000:], time.perf_counter() - started,
                    _wine_version())


def _wine_version() -> str:
    loader = _find_wine(64) or _find_wine(32)
    try:
        return subprocess.run([loader or "wine", "--version"], capture_output=True, text=True,
                              timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "wine (version unknown)"


@contextmanager
def session() -> Iterator[None]:
    """Keep one wineserver across several probe runs, and end it when the block ends."""
    _SESSION.append(True)
    try:
        yield
    finally:
        _SESSION.pop()
        if not _SESSION and sys.platform != "win32":
            _end_wineserver()


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
        run = _wine_run(exe, list(commands), bits=bits, timeout=timeout, cwd=cwd)
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
