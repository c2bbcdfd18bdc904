"""Where the kit's own binaries are: the sample library builds and the probe programs.

The samples (one C library built six ways) live in ``data/samples/`` of the kit's clone; the
probes live inside the package (``interopkit/bin/``) because the kit itself runs them. Both
folders carry a MANIFEST.json written by ``interopkit.build``.
"""

from __future__ import annotations

import os
from pathlib import Path

from interopkit.errors import HostError, UsageError

__all__ = [
    "BIN_DIR",
    "CSRC_DIR",
    "PACKAGE_DIR",
    "SAMPLES",
    "SAMPLES_DIR",
    "data_dir",
    "probe_path",
    "sample_path",
    "sample_paths",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CSRC_DIR = PACKAGE_DIR / "csrc"
BIN_DIR = PACKAGE_DIR / "bin"


def data_dir() -> Path:
    """The kit's ``data/`` folder: ``$INTEROPKIT_DATA`` if set, else the clone's own."""
    override = os.environ.get("INTEROPKIT_DATA")
    return Path(override) if override else PACKAGE_DIR.parent / "data"


SAMPLES_DIR = data_dir() / "samples"

SAMPLES: dict[tuple[str, str], str] = {
    ("windows", "x86"): "sample_x86.dll",
    ("windows", "x64"): "sample_x64.dll",
    ("windows", "arm64"): "sample_arm64.dll",
    ("linux", "i386"): "libsample_i386.so",
    ("linux", "x86_64"): "libsample_x86_64.so",
    ("linux", "aarch64"): "libsample_aarch64.so",
}
"""(os, architecture) -> file name of each build of the sample library."""


def sample_path(os_name: str, arch: str) -> Path:
    """The sample library built for ``os_name`` (windows, linux) and ``arch``."""
    try:
        name = SAMPLES[(os_name, arch)]
    except KeyError:
        known = ", ".join(f"{o}/{a}" for o, a in SAMPLES)
        raise UsageError(f"sample {os_name}/{arch}", "is not one of the kit's samples",
                         f"Choose one of: {known}") from None
    path = SAMPLES_DIR / name
    if not path.is_file():
        raise HostError(str(path), "is missing", "Run the kit from a clone of its repository "
                        "(pip install -e .), or set INTEROPKIT_DATA to its data folder")
    return path


def sample_paths() -> dict[str, Path]:
    """Every sample, by file name, in the order of ``SAMPLES``."""
    return {name: sample_path(os_name, arch) for (os_name, arch), name in SAMPLES.items()}


_TWINS = {"x86": "i386", "x64": "x86_64", "arm64": "aarch64"}


def linux_counterpart(dll: str | os.PathLike[str]) -> Path | None:
    """The Linux build of the same source and instruction set as a sample DLL (else None)."""
    resolved = Path(dll).resolve()
    for windows_arch, linux_arch in _TWINS.items():
        if sample_path("windows", windows_arch).resolve() == resolved:
            return sample_path("linux", linux_arch)
    return None


def probe_path(name: str) -> Path:
    """A probe program shipped in the package (``probe-i386``, ``probe_x64.exe`` ...)."""
    path = BIN_DIR / name
    if not path.is_file():
        raise HostError(str(path), "is missing from the installed package",
                        "Reinstall the kit (pip install -e .) or rebuild with "
                        "python -m interopkit.build")
    return path
