"""The real thing: ask this machine's own loader to load a library, and report what it said.

On Linux the kit calls ``dlopen`` (through ctypes); on Windows ``LoadLibraryW`` and
``GetLastError``. The attempt runs in a child Python process of the same bitness as this one,
so a library's initialisation code cannot disturb the notebook, a crash cannot take it down,
and a hang is cut off by a timeout. ``agrees(real, model)`` compares a Windows result with the
loader model: where they differ, the real result wins and the comparison says so.

Run as ``python -m interopkit.loading.realload PATH`` it is that child. Taught in notebook 03.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interopkit.loading.loader import LoadOutcome
from interopkit.winerror import WinError

__all__ = ["RealLoad", "agrees", "load_posix", "load_windows", "try_load"]


@dataclass(frozen=True)
class RealLoad:
    """What this machine's loader said about one library."""

    path: str
    """The library."""
    platform: str
    """``linux``, ``windows`` or another ``sys.platform``."""
    loaded: bool
    """True when the loader accepted it."""
    code: int | None
    """Windows: GetLastError after a failed LoadLibraryW. None elsewhere."""
    message: str
    """The loader's own words (dlerror text on Linux, FormatMessage text on Windows)."""

    @property
    def said(self) -> str:
        """The loader's words, with the library named by its file name only."""
        return self.message.replace(self.path, Path(self.path).name)

    @property
    def code_name(self) -> str | None:
        """The name of the Windows error code, when the kit knows it."""
        try:
            return WinError(self.code).name if self.code is not None else None
        except ValueError:
            return None


def try_load(path: str | os.PathLike[str], timeout: float = 20.0) -> RealLoad:
    """Load ``path`` in a child process of this Python's bitness; never raises for a failure."""
    shown = str(path)
    command = [sys.executable, "-m", "interopkit.loading.realload", os.fspath(path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                check=False)
    except subprocess.TimeoutExpired:
        return RealLoad(shown, sys.platform, False, None,
                        f"the load did not finish within {timeout:g} s (its initialisation "
                        "code hung); the child process was killed")
    try:
        report = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return RealLoad(shown, sys.platform, False, None,
                        f"the loading process ended with status {result.returncode} without a "
                        f"report (the library's initialisation crashed it?) {result.stderr[-300:]}")
    return RealLoad(shown, sys.platform, bool(report["loaded"]), report["code"],
                    report["message"])


@dataclass(frozen=True)
class Comparison:
    """One sample DLL: the model's answer for this process, and this machine's real answer."""

    dll: str
    """The sample DLL's file name."""
    model: LoadOutcome
    """What the loader model says for this Python's process kind."""
    real: RealLoad
    """What this machine's loader said (for the DLL itself on Windows, else its ELF twin)."""
    agreement: str
    """On Windows, whether the two agree; elsewhere what the real attempt stands for."""


def compare_samples() -> list[Comparison]:
    """Load every sample DLL (or, off Windows, its Linux twin) for real and ask the model."""
    from interopkit.images.inspection import inspect
    from interopkit.kit.host import host_info
    from interopkit.kit.samples import linux_counterpart, sample_path
    from interopkit.loading.checker import default_host
    from interopkit.loading.loader import ProcessKind, image_kind, load_outcome, process_kind_for

    here = host_info()
    process = process_kind_for(here.machine, here.process_bits) or ProcessKind.X64
    out = []
    for arch in ("x86", "x64", "arm64"):
        dll = sample_path("windows", arch)
        model = load_outcome(process, image_kind(inspect(dll)), default_host())
        if here.os == "windows":
            real = try_load(dll)
            agreement = agrees(real, model)[1]
        else:
            twin = linux_counterpart(dll)
            real = try_load(twin) if twin is not None else RealLoad(str(dll), sys.platform,
                                                                    False, None, "no twin")
            agreement = (f"{Path(real.path).name} is the same source built for Linux; this "
                         f"{here.os} loader answers for it, the model for the DLL")
        out.append(Comparison(dll.name, model, real, agreement))
    return out


def load_posix(path: str, loader: Callable[[str], Any]) -> dict[str, Any]:
    """dlopen through ``loader`` (ctypes.CDLL); the loader's message on failure."""
    try:
        loader(path)
    except OSError as exc:
        return {"loaded": False, "code": None, "message": str(exc)}
    return {"loaded": True, "code": None, "message": "loaded"}


def load_windows(path: str, kernel32: Any, last_error: Callable[[], int],
                 format_error: Callable[[int], str]) -> dict[str, Any]:
    """LoadLibraryW through ``kernel32``; GetLastError and its text on failure."""
    handle = kernel32.LoadLibraryW(path)
    if handle:
        kernel32.FreeLibrary(handle)
        return {"loaded": True, "code": None, "message": "loaded"}
    code = last_error()
    return {"loaded": False, "code": code, "message": format_error(code).strip()}


def agrees(real: RealLoad, model: LoadOutcome) -> tuple[bool, str]:
    """Whether a Windows load result matches the model; the real result wins where not."""
    if real.loaded != model.loads:
        verdict = "loaded" if real.loaded else f"failed ({real.code_name or real.code})"
        return False, (f"Windows really {verdict}, the model said "
                       f"{'it loads' if model.loads else model.error_name}: the real result "
                       "wins; please report it so the model can be corrected.")
    if real.loaded:
        return True, "Both say it loads."
    codes = {model.error.value} if model.error else set()
    codes |= {alt.value for alt in model.alternatives}
    if real.code in codes:
        return True, f"Both say it fails with {real.code_name or real.code}."
    return False, (f"Both say it fails, but Windows gave {real.code_name or real.code} where "
                   f"the model expected {model.error_name}: the real code wins.")


def _child(path: str) -> dict[str, Any]:  # pragma: no cover - runs in the child process
    import ctypes

    if sys.platform == "win32":
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.LoadLibraryW.restype = ctypes.c_void_p
        kernel32.LoadLibraryW.argtypes = [ctypes.c_wchar_p]
        kernel32.FreeLibrary.argtypes = [ctypes.c_void_p]
        return load_windows(path, kernel32, ctypes.get_last_error, ctypes.FormatError)
    return load_posix(path, ctypes.CDLL)


if __name__ == "__main__":  # pragma: no cover - the child
    print(json.dumps(_child(sys.argv[1])))
