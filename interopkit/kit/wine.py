"""Running the kit's Windows programs on Linux under Wine, a real implementation of the Win32 API.

Wine is not Windows, and the kit never presents it as such: it is where the Windows code paths
of the kit's own programs (``LoadLibraryW``, ``GetProcAddress``, ``ReadFile`` on a pipe) run
when no Windows machine is at hand. Debian's ``wine64`` package runs 64-bit EXEs; 32-bit ones
need ``wine32`` and an i386 multiarch setup, which the kit does not assume. The kit keeps its
own Wine prefix (``~/.cache/interopkit/wineprefix``), made on first use and reused.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PureWindowsPath

__all__ = ["PREFIX", "find_wine", "launcher", "windows_path"]

PREFIX = Path.home() / ".cache" / "interopkit" / "wineprefix"
"""The kit's Wine prefix."""

_CANDIDATES = ("/usr/lib/wine/wine64", "/usr/lib64/wine/wine64")


def find_wine() -> str | None:
    """The Wine loader for 64-bit EXEs, or None when Wine is not installed."""
    found = shutil.which("wine64") or next((p for p in _CANDIDATES if Path(p).exists()), None)
    return found or shutil.which("wine")


def launcher() -> tuple[str, ...]:
    """The command prefix that runs a Windows EXE under Wine in the kit's prefix; empty when
    Wine is not installed."""
    wine = find_wine()
    if wine is None:
        return ()
    PREFIX.parent.mkdir(parents=True, exist_ok=True)
    prefix = os.environ.get("WINEPREFIX", str(PREFIX))
    return ("env", f"WINEPREFIX={prefix}", "WINEDEBUG=-all", wine)


def windows_path(path: str | os.PathLike[str]) -> str:
    """A Linux path as a Wine program sees it: Wine maps the Linux root to drive Z:."""
    return str(PureWindowsPath("Z:\\", *Path(path).resolve().parts[1:]))
