"""WOW64 for real: the kit's Windows probe run in a 32-bit and a 64-bit Windows process.

On Linux the processes run under Wine, a real implementation of the Win32 API that runs 32-bit
and 64-bit Windows programs side by side with a SysWOW64, a Wow6432Node and the redirectors; on
Windows the same EXE runs natively. Every answer carries ``platform`` (``"Wine 8.0 ..., 32-bit
process"`` or ``"Windows ..., 32-bit process"``): Wine's answers are Wine's, never presented
as Windows'. One probe run per bitness answers many questions (``snapshot``): a learner's first
call pays for starting Wine (about a second), the next ones inside ``session()`` much less.

What is asked (the probe's commands are documented in ``interopkit/csrc/winprobe.c``):

* WOW64 from inside (``wow64_facts``): pointer size, ``IsWow64Process(2)``,
  ``GetNativeSystemInfo`` against ``GetSystemInfo``, ``GetSystemWow64Directory(2)W``, the WOW64
  environment variables, the address-space ceiling with and without large-address-aware;
* the file-system redirector (``open_paths``, ``thread_redirection``): the file really opened
  (``GetFinalPathNameByHandleW``), and ``Wow64DisableWow64FsRedirection`` per thread;
* the registry redirector (``registry_round_trip``): a 32-bit process writes under
  ``HKLM\\SOFTWARE\\`` + ``TEST_KEY``, the 64-bit process looks for it in every view, and the key
  is removed afterwards, also when a step fails.

``held_paths`` and ``held_keys`` run the redirect model's cases (``interopkit.wow64.redirect``)
through Wine and say, case by case, whether Wine agrees; ``WINE_DIFFERENCES`` lists where it
does not. The probe runs through ``interopkit.kit.winprobe``. Taught in notebook 02.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from interopkit.kit.winprobe import CaseCheck, ProbeRun, prefix, probe, session
from interopkit.wow64 import redirect

__all__ = [
    "TEST_KEY",
    "WINE_DIFFERENCES",
    "FileOpen",
    "RegistryAnswer",
    "RegistryRoundTrip",
    "Snapshot",
    "ThreadRedirection",
    "Wow64Facts",
    "held_keys",
    "held_paths",
    "open_paths",
    "registry_round_trip",
    "snapshot",
    "thread_redirection",
    "wow64_facts",
]

TEST_KEY = "InteropKit-Test"
"""The kit's own registry key (``HKLM\\SOFTWARE\\InteropKit-Test``), made and removed by the
registry lessons and tests."""



# --- part 2: WOW64 from inside --------------------------------------------------------------

@dataclass(frozen=True)
class Wow64Facts:
    """What a Windows process learns about WOW64 by asking the API."""

    platform: str
    """Where it ran (Wine or Windows, and the bitness)."""
    pointer_size: int
    """``sizeof(void*)``: 4 or 8."""
    is_wow64_process: bool | None
    """``IsWow64Process``: TRUE for a 32-bit process on 64-bit Windows."""
    process_machine: int | None
    """``IsWow64Process2``'s process machine: 0 when not under WOW64, else the guest's."""
    native_machine: int | None
    """``IsWow64Process2``'s native machine (0x8664 for x64)."""
    native_architecture: int
    """``GetNativeSystemInfo``'s wProcessorArchitecture (9: AMD64, 0: x86)."""
    process_architecture: int
    """``GetSystemInfo``'s wProcessorArchitecture: what the process is told it runs on."""
    page_size: int
    """``GetSystemInfo``'s page size."""
    max_application_address: int
    """``GetSystemInfo``'s lpMaximumApplicationAddress: this process's ceiling."""
    native_max_application_address: int
    """``GetNativeSystemInfo``'s lpMaximumApplicationAddress."""
    wow64_directory: str | None
    """``GetSystemWow64DirectoryW``."""
    wow64_directory2: str | None
    """``GetSystemWow64Directory2W(IMAGE_FILE_MACHINE_I386)``, when the function exists."""
    wow64_directory2_from: str | None
    """The DLL that exported ``GetSystemWow64Directory2W`` (None: neither did)."""
    system_directory: str | None
    """``GetSystemDirectoryW``."""
    environment: dict[str, str | None]
    """The WOW64 environment variables (None: not set)."""
    reserved_bytes: int | None
    """Address space a 32-bit process reserved before being refused (None: 64-bit, not
    walked)."""
    highest_reserved: int | None
    """The highest address it reserved."""
    large_address_aware: bool
    """Whether the probe EXE was built large-address-aware."""
    seconds: float
    """Time of the whole probe run."""


def wow64_facts(bits: int, *, large_address_aware: bool = False) -> Wow64Facts:
    """Ask a ``bits``-bit Windows process what WOW64 tells it (one probe run)."""
    run = probe(bits, ["info"], large_address_aware=large_address_aware)
    return _facts(run, run.results[0], large_address_aware)


def _facts(run: ProbeRun, info: dict, laa: bool) -> Wow64Facts:
    own, native = info["system_info"], info["native_system_info"]
    return Wow64Facts(
        run.platform, info["pointer_size"], info["is_wow64_process"],
        info.get("process_machine"), info.get("native_machine"),
        native["processor_architecture"], own["processor_architecture"], own["page_size"],
        own["max_application_address"], native["max_application_address"],
        info.get("wow64_directory"), info.get("wow64_directory_i386"),
        info.get("get_system_wow64_directory2_from"), info.get("system_directory"),
        dict(info["environment"]), info["reserved_bytes"], info["highest_reserved"],
        laa or run.bits == 64, run.seconds)


@dataclass(frozen=True)
class Snapshot:
    """Parts 2 and 3 from one probe run: what a notebook cell shows for one bitness."""

    facts: Wow64Facts
    """WOW64 seen from inside."""
    opens: tuple[FileOpen, ...]
    """Each of ``model_paths()`` opened, with the file really reached."""
    threads: ThreadRedirection
    """The redirector turned off in one thread, System32's kernel32.dll opened in two."""


def snapshot(bits: int) -> Snapshot:
    """Everything parts 2 and 3 ask, in one ``bits``-bit probe run (one Wine start)."""
    paths = model_paths()
    kernel32 = paths[0]
    run = probe(bits, ["info", *(f"open:{p}" for p in paths), f"threads:{kernel32}"])
    opens = tuple(_open(run.platform, p, r["open"]) for p, r in zip(paths, run.results[1:-1],
                                                                     strict=True))
    return Snapshot(_facts(run, run.results[0], False), opens,
                    _threads(run, kernel32, run.results[-1]))


# --- part 3: the file-system redirector -------------------------------------------------------

@dataclass(frozen=True)
class FileOpen:
    """What a process really opened when it asked for one path."""

    platform: str
    """Where it ran."""
    path: str
    """The path asked for."""
    opened: bool
    """True when CreateFileW succeeded."""
    final: str | None
    """``GetFinalPathNameByHandleW``, without its ``\\\\?\\`` prefix (None: not opened)."""
    error: int | None
    """GetLastError when it failed (2: file not found, 3: path not found)."""


def _open(platform: str, path: str, answer: dict) -> FileOpen:
    final = answer.get("final")
    if final and final.startswith("\\\\?\\"):
        final = final[4:]
    return FileOpen(platform, path, bool(answer["opened"]), final, answer.get("error"))


def open_paths(bits: int, paths: Sequence[str]) -> tuple[FileOpen, ...]:
    """Open each path in one ``bits``-bit process and report the file really reached."""
    run = probe(bits, [f"open:{p}" for p in paths])
    return tuple(_open(run.platform, p, r["open"]) for p, r in zip(paths, run.results,
                                                                    strict=True))


@dataclass(frozen=True)
class ThreadRedirection:
    """``Wow64DisableWow64FsRedirection`` shown live: it switches one thread only."""

    platform: str
    """Where it ran."""
    before: FileOpen
    """The path opened before redirection was turned off."""
    disabled: bool
    """``Wow64DisableWow64FsRedirection``'s result (FALSE in a 64-bit process)."""
    disable_error: int | None
    """GetLastError when it failed (1: ERROR_INVALID_FUNCTION)."""
    this_thread: FileOpen
    """Opened by the thread that turned it off, while off."""
    other_thread: FileOpen
    """Opened meanwhile by a second thread."""
    after_revert: FileOpen
    """Opened after ``Wow64RevertWow64FsRedirection``."""


def thread_redirection(bits: int, path: str = "C:\\Windows\\System32\\kernel32.dll"
                       ) -> ThreadRedirection:
    """Turn the redirector off in one thread of a ``bits``-bit process and open ``path`` there
    and in a second thread."""
    run = probe(bits, [f"threads:{path}"])
    return _threads(run, path, run.results[0])


def _threads(run: ProbeRun, path: str, answer: dict) -> ThreadRedirection:
    return ThreadRedirection(
        run.platform, _open(run.platform, path, answer["before"]), bool(answer["disabled"]),
        answer.get("disable_error"), _open(run.platform, path,
                                           answer["this_thread_while_disabled"]),
        _open(run.platform, path, answer["other_thread_while_disabled"]),
        _open(run.platform, path, answer["after_revert"]))


WINE_DIFFERENCES = {
    "C:\\Windows\\System32\\driverstore (x86)":
        "Wine 8.0 redirects System32\\driverstore for 32-bit processes; Windows 7 and later "
        "exempt it (W64-FSR: it was redirected on Vista and Server 2008 and earlier).",
    "C:\\Windows\\lastgood\\system32 (x86)":
        "Wine 8.0 does not redirect %windir%\\lastgood\\system32; Windows sends a 32-bit "
        "process to lastgood\\SysWOW64 (W64-FSR).",
    "HKLM\\SOFTWARE\\Clients (x86 writes, x64 reads)":
        "Wine 8.0 redirects HKLM\\SOFTWARE\\Clients to Wow6432Node; Windows 7 and later share "
        "it (W64-REGKEYS).",
    "HKLM\\SOFTWARE\\Microsoft\\Shared Tools\\MSInfo (x86 writes, x64 reads)":
        "Wine 8.0 redirects it to Wow6432Node; Windows 7 and later share it (W64-REGKEYS).",
    "KEY_WOW64_64KEY | KEY_WOW64_32KEY":
        "Wine 8.0 opens the key (status 0, the 32-bit view) when both flags are given; the model "
        "follows Microsoft, for whom the call fails with ERROR_INVALID_PARAMETER, 87 "
        "(W64-ALTVIEW).",
}
"""Where Wine 8.0's answer differs from the model's (which follows Windows), case by case, with
the source of the Windows side. The tests assert that these, and only these, differ."""


def model_paths() -> tuple[str, ...]:
    """The redirect model's file-system cases: each redirected folder, each exempt one, the
    alias, and a path outside them (W64-FSR)."""
    windir = redirect.WINDIR
    return (f"{windir}\\System32\\kernel32.dll", f"{windir}\\Sysnative\\kernel32.dll",
            *(f"{windir}\\System32\\{sub}" for sub in redirect.EXEMPT_SUBFOLDERS),
            f"{windir}\\lastgood\\system32", f"{windir}\\regedit.exe", f"{windir}\\win.ini")


def _same(a: str, b: str) -> bool:
    return PureWindowsPath(a.lower()) == PureWindowsPath(b.lower())


def held_paths(bits: int) -> tuple[CaseCheck, ...]:
    """Every case of ``model_paths`` opened for real in a ``bits``-bit process, beside the model.

    A folder the case needs that Wine's prefix lacks (``catroot2``, ``lastgood\\system32`` ...)
    is made for the run, in the native folder only, and removed afterwards: a redirected open
    then fails, an exempt one reaches it."""
    process = "x86" if bits == 32 else "x64"
    made = _make_missing_folders() if sys.platform != "win32" else []
    try:
        answers = open_paths(bits, model_paths())
    finally:
        for folder in reversed(made):
            folder.rmdir()
    checks = []
    for answer in answers:
        model = redirect.redirect_path(answer.path, process)
        expected = model.result
        if answer.opened and answer.final is not None:
            real, agrees = answer.final, _same(answer.final, expected)
        elif model.result.lower().endswith("\\sysnative\\kernel32.dll") and not model.redirected:
            real, agrees = f"not found (error {answer.error})", True  # no Sysnative for 64-bit
        else:
            real, agrees = f"not opened (error {answer.error})", False
        checks.append(CaseCheck(f"{answer.path} ({process})", expected, real, answer.platform,
                                agrees))
    return tuple(checks)


def _make_missing_folders() -> list[Path]:
    windows = prefix() / "drive_c" / "windows"
    wanted = [windows / "system32" / Path(*sub.split("\\")) for sub in redirect.EXEMPT_SUBFOLDERS]
    wanted += [windows / "lastgood", windows / "lastgood" / "system32",
               windows / "lastgood" / "syswow64"]
    made = []
    for folder in wanted:
        if not folder.exists():
            folder.mkdir()
            made.append(folder)
    return made


# --- part 4: the registry redirector --------------------------------------------------------

@dataclass(frozen=True)
class RegistryAnswer:
    """One registry open, as the registry API answered it."""

    platform: str
    """Where it ran."""
    key: str
    """The key asked for."""
    flags: int
    """KEY_WOW64_64KEY (0x100), KEY_WOW64_32KEY (0x200), both or neither."""
    status: int
    """The LSTATUS returned (0: found, 2: not found, 87: ERROR_INVALID_PARAMETER)."""
    writer: str | None
    """The test value ``writer`` found there (``32-bit`` when the 32-bit process wrote it)."""


@dataclass(frozen=True)
class RegistryRoundTrip:
    """A 32-bit process writes a key; the 64-bit process looks for it in every view."""

    written: RegistryAnswer
    """The 32-bit process's write (status of RegCreateKeyExW / RegSetValueExA)."""
    default_view: RegistryAnswer
    """The 64-bit process, no flag: HKLM\\SOFTWARE\\<key>."""
    wow6432node: RegistryAnswer
    """The 64-bit process, no flag: HKLM\\SOFTWARE\\Wow6432Node\\<key>."""
    view32: RegistryAnswer
    """The 64-bit process with KEY_WOW64_32KEY."""
    view64: RegistryAnswer
    """The 64-bit process with KEY_WOW64_64KEY."""
    both_flags: RegistryAnswer
    """The 64-bit process with both flags."""
    shared_written: RegistryAnswer
    """The 32-bit process's write under a shared key (``SHARED_PARENT``)."""
    shared_default: RegistryAnswer
    """The 64-bit process reading that shared key with no flag."""
    removed: bool
    """True when the test keys were gone from every view afterwards."""


SHARED_PARENT = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Fonts"
"""A key Microsoft lists as shared (W64-REGKEYS) that Wine's prefix has in both views."""


def _reg(run: ProbeRun, index: int, key: str, flags: int) -> RegistryAnswer:
    answer = run.results[index]
    return RegistryAnswer(run.platform, key, flags, int(answer.get("status", -1)),
                          answer.get("writer"))


def registry_round_trip(timeout: float = 60) -> RegistryRoundTrip:
    """Part 4 for real: write from a 32-bit process, read from a 64-bit one, then remove the
    test keys (in a ``finally``: also when a step fails)."""
    key = f"HKLM\\SOFTWARE\\{TEST_KEY}"
    node = f"HKLM\\SOFTWARE\\Wow6432Node\\{TEST_KEY}"
    shared = f"{SHARED_PARENT}\\{TEST_KEY}"
    with session():
        try:
            wrote = probe(32, [f"regset:0:{key}", f"regset:0:{shared}"], timeout=timeout)
            read = probe(64, [f"regget:0:{key}", f"regget:0:{node}", f"regget:200:{key}",
                              f"regget:100:{key}", f"regget:300:{key}",
                              f"regget:0:{shared}"], timeout=timeout)
        finally:
            removed = _remove([key, shared], timeout)
    return RegistryRoundTrip(
        _reg(wrote, 0, key, 0), _reg(read, 0, key, 0), _reg(read, 1, node, 0),
        _reg(read, 2, key, 0x200), _reg(read, 3, key, 0x100), _reg(read, 4, key, 0x300),
        _reg(wrote, 1, shared, 0), _reg(read, 5, shared, 0), removed)


def _remove(keys: Sequence[str], timeout: float) -> bool:
    """Delete ``keys`` from both views, then check that no view still has them."""
    commands = [f"regdel:{flags}:{k}" for k in keys for flags in ("200", "100")]
    commands += [f"regget:{flags}:{k}" for k in keys for flags in ("200", "100")]
    run = probe(64, commands, timeout=timeout)
    return all(r.get("status") == 2 for r in run.results[len(keys) * 2:])


def held_keys(timeout: float = 120) -> tuple[CaseCheck, ...]:
    """Every key of the model's table (``REDIRECTED_KEYS`` and ``SHARED_KEYS``, hive roots
    aside), held against Wine: a 32-bit process makes ``<key>\\InteropKit-Test``, and the
    64-bit process looks for it with no flag. Seen: shared; not seen: redirected. A key whose
    parent Wine's prefix lacks cannot be tested and says so."""
    keys = [k for k in (*redirect.REDIRECTED_KEYS, *redirect.SHARED_KEYS) if "\\" in k]
    leaves = [f"{k}\\{TEST_KEY}" for k in keys]
    with session():
        try:
            wrote = probe(32, [f"regset:0:{leaf}" for leaf in leaves], timeout=timeout)
            read = probe(64, [f"regget:0:{leaf}" for leaf in leaves], timeout=timeout)
        finally:
            _remove(leaves, timeout)
    checks = []
    for index, key in enumerate(keys):
        model = redirect.redirect_key(f"{key}\\{TEST_KEY}", "x86")
        expected = "redirected" if model.redirected else "shared"
        written = wrote.results[index]
        if written.get("stage") != "written" or written.get("status") != 0:
            real = (f"not testable: the 32-bit process could not create it "
                    f"(stage {written.get('stage')}, status {written.get('status')})")
            checks.append(CaseCheck(f"{key} (x86 writes, x64 reads)", expected, real,
                                    wrote.platform, None))
            continue
        seen = read.results[index].get("status") == 0
        real = "shared" if seen else "redirected"
        checks.append(CaseCheck(f"{key} (x86 writes, x64 reads)", expected, real, read.platform,
                                real == expected))
    return tuple(checks)
