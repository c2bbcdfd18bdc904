"""The Windows loader for real, both ways: ``LoadLibraryW`` in a 32-bit and a 64-bit process.

The kit's Windows probe (``interopkit/csrc/winprobe.c``) runs under Wine on Linux (labelled
Wine, never Windows) or natively on Windows, and reports ``GetLastError`` exactly as it was
given. ``load_all`` asks one process of each bitness about every sample in one run;
``missing_dependency`` shows 126 for a DLL that exists but imports one that does not (the
confusion learners meet most); ``search_order`` records what the loader does when a
wrong-bitness DLL stands earlier on the search path than a right one, a case no source the kit
cites settles, so the answer is the platform's own. ``held_loads`` holds the loader model's
cases (``interopkit.loading.loader.load_outcome``) against the real answers. Taught in
notebook 03.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import UsageError
from interopkit.images.machine import Machine
from interopkit.images.pewriter import write_image
from interopkit.kit.samples import SAMPLES_DIR
from interopkit.kit.wine import windows_path
from interopkit.kit.winprobe import CaseCheck, probe, probe_exe, session
from interopkit.loading import loader

__all__ = [
    "LOAD_LIBRARY_AS_DATAFILE",
    "LOAD_LIBRARY_AS_IMAGE_RESOURCE",
    "SAMPLES",
    "WINE_DIFFERENCES",
    "LoadAttempt",
    "held_loads",
    "load_all",
    "load_one",
    "missing_dependency",
    "search_order",
]

LOAD_LIBRARY_AS_DATAFILE = 0x2
LOAD_LIBRARY_AS_IMAGE_RESOURCE = 0x20
_MODES = {"execute": 0, "datafile": LOAD_LIBRARY_AS_DATAFILE,
          "image_resource": LOAD_LIBRARY_AS_IMAGE_RESOURCE}

SAMPLES = {"sample_x86.dll": loader.ImageKind.I386, "sample_x64.dll": loader.ImageKind.AMD64,
           "sample_arm64.dll": loader.ImageKind.ARM64}
"""The kit's sample DLLs and what they are."""


WINE_DIFFERENCES = {
    "sample_arm64.dll image_resource (x86)":
        "Wine 8.0 refuses an ARM64 image with LOAD_LIBRARY_AS_IMAGE_RESOURCE (193) on x64; the "
        "model lets any image load as a resource, since no code runs (W64-RUN, W64-PROCINT). "
        "Which of the two Windows does for a foreign machine, no source the kit cites says.",
    "sample_arm64.dll image_resource (x64)":
        "As for x86: Wine 8.0 gives 193 where the model expects a load (W64-RUN, W64-PROCINT).",
}
"""Where Wine 8.0's loader differs from the loader model; the tests assert that these, and only
these, differ."""


@dataclass(frozen=True)
class LoadAttempt:
    """One real ``LoadLibraryW`` / ``LoadLibraryExW`` call."""

    platform: str
    """Where it ran: ``Wine <version>, <bits>-bit process`` or ``Windows ..., <bits>-bit
    process``."""
    path: str
    """The DLL asked for (a file name for a search)."""
    mode: str
    """``execute`` (LoadLibraryW), ``datafile`` or ``image_resource`` (LoadLibraryExW)."""
    loaded: bool
    """True when a module handle came back."""
    code: int
    """GetLastError after the call (0 when it loaded)."""
    module: str | None
    """``GetModuleFileNameW`` of what was loaded (None for a data file or a failure)."""


def _command(path: str, mode: str) -> str:
    return f"load:{path}" if mode == "execute" else f"loadex:{_MODES[mode]:x}:{path}"


def _attempts(bits: int, requests: Sequence[tuple[str, str]]) -> tuple[LoadAttempt, ...]:
    run = probe(bits, [_command(windows_path(p), mode) for p, mode in requests])
    return tuple(LoadAttempt(run.platform, Path(p).name, mode, bool(r["loaded"]),
                             int(r["error"]), r.get("module"))
                 for (p, mode), r in zip(requests, run.results, strict=True))


def load_all(bits: int, folder: Path = SAMPLES_DIR) -> tuple[LoadAttempt, ...]:
    """Every sample in every mode, in one ``bits``-bit process (one run)."""
    return _attempts(bits, [(str(folder / name), mode) for name in SAMPLES for mode in _MODES])


def load_one(bits: int, path: str, mode: str = "execute") -> LoadAttempt:
    """One DLL in one mode, in a ``bits``-bit process (one run): ``interopkit can-load --try``.
    """
    if mode not in _MODES:
        raise UsageError(f"mode={mode!r}", "is not a load mode", f"Use one of {sorted(_MODES)}")
    return _attempts(bits, [(str(Path(path).resolve()), mode)])[0]


def missing_dependency(bits: int) -> LoadAttempt:
    """``LoadLibraryW`` of a DLL of the process's own bitness that imports a DLL that does not
    exist: the loader reports the missing dependency as the DLL's own failure (126)."""
    machine = Machine.I386 if bits == 32 else Machine.AMD64
    with tempfile.TemporaryDirectory(prefix="interopkit-dep-") as tmp:
        dll = write_image(Path(tmp, "needs_absent.dll"), machine,
                          imports={"interopkit_absent.dll": ["Nothing"]})
        return _attempts(bits, [(str(dll), "execute")])[0]


def search_order(bits: int) -> LoadAttempt:
    """A wrong-bitness ``ik_twin.dll`` in the EXE's own folder, searched first, and a right one
    in the current folder, searched later: ``LoadLibraryW("ik_twin.dll")``. ``module`` says
    which one was taken (``loaded`` False and ``code`` when the loader stopped at the wrong
    one). No source the kit cites settles this case: the answer is the platform's own."""
    right, wrong = ("sample_x86.dll", "sample_x64.dll") if bits == 32 else (
        "sample_x64.dll", "sample_x86.dll")
    with tempfile.TemporaryDirectory(prefix="interopkit-search-") as tmp:
        first, second = Path(tmp, "first"), Path(tmp, "second")
        first.mkdir()
        second.mkdir()
        exe = first / probe_exe(bits).name
        shutil.copyfile(probe_exe(bits), exe)
        shutil.copyfile(SAMPLES_DIR / wrong, first / "ik_twin.dll")
        shutil.copyfile(SAMPLES_DIR / right, second / "ik_twin.dll")
        run = probe(bits, ["search::ik_twin.dll"], exe=exe, cwd=str(second))
        answer = run.results[0]
        module = (answer.get("module") or "").lower()
        where = ("the current folder's (right bitness)" if "\\second\\" in module else
                 "the EXE folder's (wrong bitness)" if "\\first\\" in module else
                 module or None)
        return LoadAttempt(run.platform, "ik_twin.dll", "execute", bool(answer["loaded"]),
                           int(answer["error"]), where)


def held_loads() -> tuple[CaseCheck, ...]:
    """The loader model's LoadLibrary cases for the samples, in x86 and x64 processes on x64
    Windows, each beside the real attempt."""
    checks = []
    with session():
        for bits, process in ((32, "x86"), (64, "x64")):
            for attempt in load_all(bits):
                model = loader.load_outcome(process, SAMPLES[attempt.path], "win11-x64",
                                            attempt.mode)
                codes = {int(c) for c in (model.error, *model.alternatives) if c is not None}
                expected = "loads" if model.loads else f"fails with {sorted(codes)}"
                real = "loads" if attempt.loaded else f"fails with {attempt.code}"
                agrees = attempt.loaded if model.loads else (
                    not attempt.loaded and attempt.code in codes)
                checks.append(CaseCheck(f"{attempt.path} {attempt.mode} ({process})",
                                        expected, real, attempt.platform, agrees))
    return tuple(checks)
