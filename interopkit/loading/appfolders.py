"""Small Windows app folders for the loading lesson, built from the kit's real sample DLLs.

Each folder holds an EXE constructed by ``interopkit.images.pewriter`` (it says inside that it is
constructed for teaching and is not a program) that imports functions from copies of the
kit's real sample DLLs, one of them of the wrong bitness. ``interopkit check`` then finds the
culprit the way it would in a real program folder. Used in notebook 03.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from interopkit.images.machine import Machine
from interopkit.images.pewriter import write_image
from interopkit.kit import cache
from interopkit.kit.samples import sample_path

__all__ = ["MYSTERY", "MYSTERY_FOLDER", "build_capstone_app", "build_demo_app",
           "build_exercise_app", "build_mystery_folder"]

MYSTERY: dict[str, tuple[str, str]] = {
    "lib_a.bin": ("linux", "aarch64"), "lib_b.bin": ("windows", "x86"),
    "lib_c.bin": ("linux", "x86_64"), "lib_d.bin": ("windows", "arm64"),
    "lib_e.bin": ("linux", "i386"), "lib_f.bin": ("windows", "x64"),
}
"""File name -> (os, architecture) of the sample copied under it: names that say nothing, so
that notebook 01's q2 is answered from the headers, not from a name or the table above it."""


def _build(folder: Path, machine: Machine, dlls: dict[str, str],
           plugins: dict[str, str] | None = None, exe: str = "viewer.exe") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, arch in dlls.items():
        shutil.copyfile(sample_path("windows", arch), folder / name)
    if plugins:
        (folder / "plugins").mkdir(exist_ok=True)
        for name, arch in plugins.items():
            shutil.copyfile(sample_path("windows", arch), folder / "plugins" / name)
    imports = {name: ["add", "checksum"] for name in dlls}
    imports["KERNEL32.dll"] = ["ExitProcess"]
    return write_image(folder / exe, machine, dll=False, imports=imports)


def build_demo_app(folder: str | os.PathLike[str]) -> Path:
    """An x64 viewer.exe whose ``scanner.dll`` is the x86 build: it fails at start (0xC000007B)."""
    return _build(Path(folder), Machine.AMD64,
                  {"render.dll": "x64", "scanner.dll": "x86", "export.dll": "x64"},
                  plugins={"pdf.dll": "x64", "legacy_tiff.dll": "x86"})


_EXERCISE_DLLS = {"audio.dll": "x64", "codec.dll": "x86", "network.dll": "x64",
                 "storage.dll": "x64"}
"""The exercise app's DLLs and the build each is a copy of."""


def build_exercise_app(folder: str | os.PathLike[str]) -> Path:
    """An x64 ``player.exe`` with four DLLs beside it, one of the wrong bitness (find it).

    Named apart from the demo's ``viewer.exe`` so that a learner cannot mix the two folders up.
    """
    return _build(Path(folder), Machine.AMD64, _EXERCISE_DLLS, exe="player.exe")


CAPSTONE_PLUGINS = {"charts.dll": "x64", "export_csv.dll": "x64", "legacy_meter.dll": "x86",
                    "units.dll": "x64"}
"""The capstone app's plug-ins (loaded at run time, so not imported) and the build each copies."""


def build_capstone_app(folder: str | os.PathLike[str]) -> Path:
    """An x64 ``studio.exe`` importing ``render.dll`` (x64), with a ``plugins`` folder of four
    plug-ins, one of them 32-bit: notebook 08's case. Every file is rebuilt in place."""
    return _build(Path(folder), Machine.AMD64, {"render.dll": "x64"},
                  plugins=CAPSTONE_PLUGINS, exe="studio.exe")


MYSTERY_FOLDER = cache.folder() / "mystery"
"""Where notebook 01 builds its mystery folder: one per user in the kit's cache (as it was when
the kit was imported), rebuilt in place on every run, so runs do not pile up folders in the
temporary directory."""


def build_mystery_folder(folder: str | os.PathLike[str] = MYSTERY_FOLDER) -> Path:
    """The six real sample builds under names that say nothing (``MYSTERY``); notebook 01, q2."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, (os_name, arch) in MYSTERY.items():
        shutil.copyfile(sample_path(os_name, arch), target / name)
    return target
