"""``check_app(app)``: would this program's DLLs load into its process, and if not, why?

The dependency checker users keep after the course. It walks the import graph of an EXE (or
DLL) through the DLLs found beside it and in any plug-in folders given, inspects each one and
asks the loader model (``interopkit.loading.loader``) whether the app's process can load it. Every
DLL in those folders is reported, imported or not (plug-ins are loaded at run time), with the
Windows error and a remedy.

What it cannot see from a folder: the Windows system DLLs. Names of the API-set contract kind
(``api-ms-win-*``, ``ext-ms-*``) and the well-known system DLLs below are taken as provided by
Windows (from System32, or SysWOW64 for a 32-bit process); on Windows they are looked up there.
A wrong-bitness DLL among an EXE's static imports stops the process at start with 0xC000007B
(STATUS_INVALID_IMAGE_FORMAT; key DSVC-7B); one loaded later with LoadLibrary fails with 193.
Taught in notebook 03.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import ImageError, UsageError
from interopkit.images.inspection import ImageInfo, inspect
from interopkit.kit.host import host_info
from interopkit.loading.loader import (
    Host,
    ProcessKind,
    image_kind,
    load_outcome,
    process_kind_for,
    start_outcome,
)
from interopkit.winerror import WinError

__all__ = ["SYSTEM_DLLS", "CheckReport", "DllReport", "check_app", "default_host"]

SYSTEM_DLLS = frozenset(name.lower() for name in (
    "kernel32.dll", "kernelbase.dll", "ntdll.dll", "user32.dll", "gdi32.dll", "advapi32.dll",
    "shell32.dll", "ole32.dll", "oleaut32.dll", "comctl32.dll", "comdlg32.dll", "ws2_32.dll",
    "msvcrt.dll", "ucrtbase.dll", "rpcrt4.dll", "shlwapi.dll", "version.dll", "winmm.dll",
    "crypt32.dll", "bcrypt.dll", "secur32.dll", "setupapi.dll", "imm32.dll", "uxtheme.dll",
    "dwmapi.dll", "psapi.dll", "iphlpapi.dll", "winhttp.dll", "wininet.dll", "dbghelp.dll",
    "opengl32.dll", "d3d11.dll", "dxgi.dll", "combase.dll", "sechost.dll", "userenv.dll",
))
"""DLLs every Windows installation has in its system folder."""


@dataclass(frozen=True)
class DllReport:
    """One DLL the app needs or might load, and whether its process can load it."""

    name: str
    """The DLL's file name as the importer spells it (or as found in a folder)."""
    path: str | None
    """Where it was found; None when missing or a system DLL."""
    loads: bool
    """True when the app's process can load it."""
    error: WinError | None
    """The error Windows gives when it cannot."""
    reason: str
    """Why, in a sentence."""
    remedy: str
    """What to do (empty when it loads)."""
    imported_by: tuple[str, ...]
    """The images that import it (empty for a DLL only found in a folder)."""
    machine: str | None
    """The DLL's machine (I386, AMD64 ...), when it could be read."""


@dataclass(frozen=True)
class CheckReport:
    """The whole check of one app."""

    app: str
    """The EXE or DLL checked."""
    process: ProcessKind
    """The process kind the app runs as (or, for a DLL, is loaded into)."""
    host: Host
    """The Windows the model answers for."""
    start: str
    """How the app starts on that host (``native``, ``WOW64`` ...) or why it cannot."""
    dlls: tuple[DllReport, ...]
    """Imported DLLs in the order the loader reaches them, then the other DLLs found."""

    @property
    def ok(self) -> bool:
        """True when every DLL loads."""
        return all(d.loads for d in self.dlls)


def default_host() -> Host:
    """This machine's Windows if it is one, else Windows 11 x64 (the most common case)."""
    info = host_info()
    if info.os == "windows" and info.cpu == "aarch64":
        return Host.WIN11_ARM64
    return Host.WIN11_X64


def check_app(app: str | os.PathLike[str], dirs: tuple[str | os.PathLike[str], ...] = (),
              process: ProcessKind | str | None = None,
              host: Host | str | None = None) -> CheckReport:
    """Check ``app``'s DLLs, searching its own folder and then ``dirs``."""
    host = Host(host) if host else default_host()
    info = inspect(app)
    if info.format != "PE":
        raise UsageError(str(app), "is an ELF file", "The checker answers for Windows "
                         "programs: give an .exe or .dll")
    kind, start = _process_of(info, host, process)
    folders = [Path(app).resolve().parent, *(Path(d) for d in dirs)]
    for folder in folders[1:]:
        try:
            is_folder = folder.is_dir()
        except OSError:  # a parent that cannot be searched: _index says so
            is_folder = True
        if not is_folder:
            raise UsageError(str(folder), "is not a folder",
                             "Give only plug-in folders that exist (--dir, or dirs=); the "
                             "folder of the EXE itself is always searched, so an app whose "
                             "DLLs sit beside its EXE needs none")
    found = _index(folders)
    reports = _walk(info, kind, host, found)
    reached = {r.name.lower() for r in reports}
    app_name = Path(app).name.lower()
    for name in sorted(found):
        if name not in reached and name != app_name and name.endswith(".dll"):
            reports.append(_report(name, found[name], kind, host, (), static=False))
    return CheckReport(str(app), kind, host, start, tuple(reports))


def _process_of(info: ImageInfo, host: Host,
                wanted: ProcessKind | str | None) -> tuple[ProcessKind, str]:
    if wanted is not None:
        return ProcessKind(wanted), "as the process you named"
    if info.kind == "exe":
        outcome = start_outcome(image_kind(info), host)
        if outcome.process is None or not outcome.runs:
            raise UsageError(info.path, f"cannot run on {host.label}: {outcome.explanation}",
                             "Choose another --host, or name the --process to check against")
        return outcome.process, outcome.how
    kind = process_kind_for(info.machine, info.bits)
    if kind is None:
        raise UsageError(info.path, f"is a {info.machine_name} DLL, and the checker cannot tell "
                         "which process loads it", "Name it with --process")
    return kind, f"an {kind.value} process that loads this DLL"


def _index(folders: list[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in folders:
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            denied = isinstance(exc, PermissionError)
            raise UsageError(str(folder), f"cannot be listed ({exc.strerror or exc})",
                             "The checker looks for DLLs in the app's folder and each --dir: "
                             "make the folder readable (or copy the app to one that is)",
                             WinError.ERROR_ACCESS_DENIED if denied else None) from exc
        for entry in entries:
            if entry.suffix.lower() in (".dll", ".exe") and _is_file(entry):
                found.setdefault(entry.name.lower(), entry)  # the first folder wins, like Windows
    return found


def _is_file(path: Path) -> bool:
    """A regular file (pipes and devices are not DLLs); False when it cannot be examined."""
    try:
        return path.is_file()
    except OSError:  # no search permission on the folder: reported when it is inspected
        return True


def _walk(app: ImageInfo, kind: ProcessKind, host: Host,
          found: dict[str, Path]) -> list[DllReport]:
    importers: dict[str, list[str]] = {}
    order: list[str] = []
    queue = deque((i.library, Path(app.path).name) for i in app.imports)
    static = app.kind == "exe"
    reports: dict[str, DllReport] = {}
    while queue:  # breadth first, each DLL once: import cycles end here
        name, importer = queue.popleft()
        key = name.lower()
        importers.setdefault(key, [])
        if importer not in importers[key]:
            importers[key].append(importer)
        if key in reports:
            continue
        report = _report(name, found.get(key), kind, host, (), static)
        reports[key] = report
        order.append(key)
        if report.loads and report.path is not None:
            for child in _imports_of(report.path):
                queue.append((child, name))
    return [_with_importers(reports[k], importers[k]) for k in order]


def _with_importers(report: DllReport, importers: list[str]) -> DllReport:
    return DllReport(report.name, report.path, report.loads, report.error, report.reason,
                     report.remedy, tuple(importers), report.machine)


def _imports_of(path: str) -> list[str]:
    try:
        return [i.library for i in inspect(path).imports]
    except ImageError:
        return []


def _report(name: str, path: Path | None, kind: ProcessKind, host: Host,
            importers: tuple[str, ...], static: bool) -> DllReport:
    if path is None:
        return _unfound(name, kind, importers, static)
    try:
        info = inspect(path)
    except ImageError as exc:
        if exc.code is WinError.ERROR_ACCESS_DENIED:  # unreadable, not damaged
            return DllReport(name, str(path), False, exc.code, exc.problem, exc.remedy,
                             importers, None)
        return DllReport(name, str(path), False, WinError.ERROR_BAD_EXE_FORMAT,
                         f"not a valid image: {exc.problem}", "Replace it with a good copy",
                         importers, None)
    try:
        outcome = load_outcome(kind, image_kind(info), host)
    except ImageError as exc:
        return DllReport(name, str(path), False, WinError.ERROR_BAD_EXE_FORMAT, exc.problem,
                         exc.remedy, importers, info.machine_name)
    if outcome.loads:
        return DllReport(name, str(path), True, None, outcome.explanation, "", importers,
                         info.machine_name)
    error = outcome.error
    reason = outcome.explanation
    if static and error is WinError.ERROR_BAD_EXE_FORMAT:
        error = WinError.STATUS_INVALID_IMAGE_FORMAT
        reason += (" It is a static import, so the process stops at start with 0xC000007B "
                   "(LoadLibrary would give 193).")
    return DllReport(name, str(path), False, error, reason, outcome.remedy, importers,
                     info.machine_name)


def _unfound(name: str, kind: ProcessKind, importers: tuple[str, ...],
             static: bool) -> DllReport:
    key = name.lower()
    if key.startswith(("api-ms-win-", "ext-ms-")) or key in SYSTEM_DLLS:
        where = _system_folder(kind)
        if where is None:
            return DllReport(name, None, True, None, "a Windows system DLL, provided by Windows "
                             f"for an {kind.value} process (not checked on this machine)", "",
                             importers, None)
        path = where / name
        if path.is_file() or key.startswith(("api-ms-win-", "ext-ms-")):
            return DllReport(name, str(path), True, None, f"a Windows system DLL ({where})", "",
                             importers, None)
    return DllReport(name, None, False, WinError.ERROR_MOD_NOT_FOUND,
                     "not found beside the app, in the folders given, or among Windows' own "
                     "DLLs" + (": the process cannot start" if static else "") + ". When the "
                     "importer is itself a DLL, loading that DLL fails with 126 although it "
                     "is there: see 'imported by' (ERR0-499)",
                     f"Put {name} (built for {kind.value}) beside the app, or install the "
                     "package that provides it", importers, None)


def _system_folder(kind: ProcessKind) -> Path | None:
    if host_info().os != "windows":
        return None
    root = Path(os.environ.get("SystemRoot", r"C:\Windows"))
    # A 32-bit process's System32 is really SysWOW64 (W64-FSR); host_info's process is ours.
    if kind is ProcessKind.X86 and host_info().process_bits == 64:
        return root / "SysWOW64"
    return root / "System32"
