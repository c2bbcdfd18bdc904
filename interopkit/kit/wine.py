"""Running the kit's Windows programs on Linux under Wine, a real implementation of the Win32 API.

Wine is not Windows, and the kit never presents it as such: it is where the Windows code paths
of the kit's own programs run when no Windows machine is at hand, in both bitnesses. Debian's
``wine64`` runs 64-bit EXEs; ``wine32`` (an i386 package: ``interopkit wine-setup`` installs
both) runs 32-bit ones in the same WoW64 prefix, whose ``syswow64`` holds the 32-bit DLLs.

The kit keeps its own prefix (``PREFIX``), made once (``ensure_prefix``, about 20 s) and reused.
A prefix made before ``wine32`` was installed has an empty ``syswow64``: 32-bit programs then
fail with "could not load kernel32.dll, status c0000135", so such a prefix is rebuilt.

Wine leaves ``wineserver`` and its services (``services.exe``, ``winedevice.exe``) running after
a program ends, and they inherit the program's standard handles: ``run`` therefore writes to
files, never pipes, bounds every wait, and ends the prefix's wineserver afterwards (several
runs in a ``session()`` share one). Several processes may use one prefix: a lock beside it lets
a build wait for the runs and the last run out end the wineserver.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PureWindowsPath
from typing import IO

from interopkit.errors import HostError, UsageError
from interopkit.kit import cache

__all__ = ["PREFIX", "SETUP_COMMAND", "WineRun", "ensure_prefix", "find_wine", "launcher",
           "leftover_processes", "needs_build", "one_at_a_time", "prefix", "run", "session",
           "version", "windows_path"]

# The default cache folder, never $INTEROPKIT_CACHE: a temporary cache must not rebuild the prefix.
_KIT_PREFIX = cache.DEFAULT_FOLDER / "wineprefix"
PREFIX = Path(os.environ.get("WINEPREFIX") or _KIT_PREFIX)
"""The kit's Wine prefix (``$WINEPREFIX`` when set at import)."""

SETUP_COMMAND = "interopkit wine-setup"
"""The remedy when Wine, or one of its bitnesses, is missing."""

_LOADERS = {64: ("/usr/lib/wine/wine64", "/usr/lib64/wine/wine64"),
            32: ("/usr/lib/wine/wine", "/usr/lib/i386-linux-gnu/wine/wine")}
_BUILD_TIMEOUT = 180.0  # about 20 s alone; a loaded classroom server is slower
_STDERR_TAIL = 2000
_MARKER = ".interopkit-prefix"  # the kit made this prefix, so it may rebuild it
_sessions = 0  # open session() blocks in this process
# What Wine itself runs for a prefix (``comm`` names, at most 15 characters): anything else is
# someone's program, such as a surrogate started through ``launcher()``.
_WINE_OWN = frozenset({"wineserver", "wineserver64", "services.exe", "winedevice.exe",
                       "plugplay.exe", "explorer.exe", "svchost.exe", "rpcss.exe",
                       "winemenubuilder", "conhost.exe", "wineboot.exe", "start.exe",
                       "dllhost.exe"})  # COM starts dllhost: a surrogate of its own


@dataclass(frozen=True)
class WineRun:
    """One Windows program run under Wine."""

    bits: int
    """32 or 64: the Windows process's bitness (the loader's)."""
    returncode: int
    """Its exit status."""
    stdout: str
    """What it wrote to its standard output."""
    stderr: str
    """Wine's own messages and the program's standard error, tail only."""
    seconds: float
    """Wall time of the program's run, starting Wine included (ending it afterwards not)."""
    version: str
    """Wine's version, e.g. ``wine-8.0 (Debian 8.0~repack-4)``."""


def prefix() -> Path:
    """The prefix in use now: ``$WINEPREFIX`` when set, else ``PREFIX``."""
    return Path(os.environ.get("WINEPREFIX") or PREFIX)


def find_wine(bits: int = 64) -> str | None:
    """The Wine loader for Windows programs of that bitness (64: ``/usr/lib/wine/wine64``,
    32: ``/usr/lib/wine/wine``), or None when that bitness is not installed."""
    if bits not in _LOADERS:
        raise UsageError(f"bits={bits}", "is not 32 or 64", "Give 32 or 64")
    found = next((p for p in _LOADERS[bits] if Path(p).is_file()), None)
    if found is None and bits == 64:
        found = shutil.which("wine64")
    return found


def _wineserver() -> str | None:
    here = [str(Path(p).with_name("wineserver")) for p in _LOADERS[64] + _LOADERS[32]]
    return next((p for p in here if Path(p).is_file()), None) or shutil.which("wineserver")


@lru_cache(maxsize=1)
def version() -> str | None:
    """Wine's version string, or None when Wine is not installed."""
    wine = find_wine(64) or find_wine(32)
    if wine is None:
        return None
    try:
        done = subprocess.run([wine, "--version"], capture_output=True, text=True, timeout=30,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _missing(bits: int) -> HostError:
    what = "32-bit Wine (wine32)" if bits == 32 else "Wine (wine64)"
    return HostError(what, "is not installed", f"Run {SETUP_COMMAND} (as root on Debian or "
                     "Ubuntu; elsewhere it prints the commands)")


def needs_build() -> str:
    """Why the kit's prefix must be (re)built before the next run, or "" when it is ready.
    A notebook shows a progress message when this is not empty: building takes about 20 s."""
    where = prefix()
    windows = where / "drive_c" / "windows"
    made = (where / "system.reg").is_file() and (windows / "system32" / "kernel32.dll").is_file()
    if not made:
        return f"there is no Wine prefix in {where} yet"
    if find_wine(32) is not None and not (windows / "syswow64" / "kernel32.dll").is_file():
        return (f"the prefix in {where} was made before 32-bit Wine was installed: its syswow64 "
                "has no 32-bit DLLs (32-bit programs would fail with 'could not load "
                "kernel32.dll, status c0000135')")
    return ""


def ensure_prefix(progress: Callable[[str], None] | None = None) -> Path:
    """Make the kit's WoW64 prefix once (``wine64 wineboot -u``, bounded by a timeout), rebuild
    it when it lacks syswow64 while 32-bit Wine is installed, and return it. ``progress`` is
    called with a sentence before a build starts. HostError with the remedy when Wine is
    missing, or when the prefix to rebuild is not the kit's own."""
    wine = find_wine(64)
    if wine is None:
        raise _missing(64)
    where = prefix()
    if not needs_build():
        return where
    with _lock(where, exclusive=True):
        why = needs_build()  # another process may have built it while this one waited
        if not why:
            return where
        if where.exists():
            # a user's own prefix (WINEPREFIX=~/.wine) is never deleted
            if where != _KIT_PREFIX and not (where / _MARKER).exists():
                raise HostError(f"the Wine prefix {where}", why.split(": ", 1)[-1],
                                "It is not the kit's own, so the kit leaves it alone: rebuild it "
                                f"(WINEPREFIX={where} wineboot -u), or unset WINEPREFIX")
            _end_wineserver(where)
            shutil.rmtree(where)
        if progress is not None:
            progress(f"Making Wine's prefix in {where} (about 20 s, once): {why}")
        where.mkdir(parents=True)
        (where / _MARKER).write_text("made by interopkit: it may rebuild this prefix\n")
        try:
            _run_bounded([wine, "wineboot", "-u"], where, _BUILD_TIMEOUT, None,
                         "wineboot (making the kit's Wine prefix)")
        finally:
            _end_wineserver(where)
        still = needs_build()
        if still:
            raise HostError(f"the Wine prefix {where}", f"is not usable after wineboot: {still}",
                            f"Run {SETUP_COMMAND}, then delete {where} and try again")
    return where


def run(exe: str | os.PathLike[str], args: Sequence[str] = (), *, bits: int,
        timeout: float = 60, cwd: str | None = None,
        env: Mapping[str, str] | None = None) -> WineRun:
    """Run a Windows EXE in the kit's prefix with the loader of ``bits``; stdout and stderr go
    to temporary files (never pipes: Wine's services keep pipes open), the process group is
    killed on timeout (HostError naming the timeout), and the prefix's wineserver is ended
    afterwards unless inside ``session()``. ``env`` adds environment variables for the
    program. HostError when that bitness is not installed."""
    loader = find_wine(bits)
    if loader is None:
        raise _missing(bits)
    where = ensure_prefix()
    with _lock(where, exclusive=False) as lock:
        start = time.monotonic()
        try:
            code, out, err = _run_bounded([loader, str(exe), *args], where, timeout, cwd,
                                          f"{Path(exe).name} under {bits}-bit Wine", env)
            seconds = time.monotonic() - start  # the program's run, not Wine's ending after
        finally:
            if not _sessions:
                _last_out(where, lock)
    return WineRun(bits, code, out, err[-_STDERR_TAIL:], seconds, version() or "unknown")


@contextmanager
def session() -> Iterator[None]:
    """Keep one wineserver across several ``run`` calls (batching), and end it (wineserver -k,
    then kill) when the block ends, whatever happens.

    Runs inside do not end Wine after them, so the next one finds its wineserver and services
    running (measured here: 0.03 s for a probe against 0.5 s alone). Wine keeps them a few
    seconds after the last program; it is not made persistent (``wineserver -p``), which would
    outlive the block when a program of someone else's keeps it from being ended."""
    global _sessions
    where = ensure_prefix()
    with _lock(where, exclusive=False) as lock:
        _sessions += 1
        try:
            yield
        finally:
            _sessions -= 1
            if not _sessions:
                _last_out(where, lock)


def launcher(bits: int = 64) -> tuple[str, ...]:
    """The command prefix that runs a Windows EXE of ``bits`` under Wine in the kit's prefix
    (for a long-lived child such as the surrogate, which ``run`` cannot host); empty when that
    bitness is not installed."""
    wine = find_wine(bits)
    if wine is None or find_wine(64) is None:
        return ()
    where = ensure_prefix()
    return ("env", f"WINEPREFIX={where}", "WINEDEBUG=-all", wine)


def windows_path(path: str | os.PathLike[str]) -> str:
    """A Linux path as a Wine program sees it: Wine maps the Linux root to drive Z:."""
    return str(PureWindowsPath("Z:\\", *Path(path).resolve().parts[1:]))


def leftover_processes(where: Path | None = None) -> list[tuple[int, str]]:
    """(pid, name) of every Wine process still running for the prefix ``where`` (default: the
    one in use): its wineserver, and every Wine program started with that ``WINEPREFIX``. A
    process counts only if its program is one of Wine's (``wine64``, ``wine-preloader``,
    ``wineserver``...): a Python or a shell with the same ``WINEPREFIX`` is not Wine's."""
    where = where or prefix()
    server_dir = _server_dir(where)
    needle = f"WINEPREFIX={where}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            program = Path(os.readlink(proc / "exe")).name
            if not program.startswith("wine") or int(proc.name) == os.getpid():
                continue
            environ = (proc / "environ").read_bytes().split(b"\0")
            cwd = os.readlink(proc / "cwd") if server_dir else ""
            name = (proc / "comm").read_text().strip()
        except (OSError, ValueError):
            continue  # ended meanwhile, or not ours to read
        if needle in environ or (server_dir and cwd == server_dir):
            found.append((int(proc.name), name))
    return found


# -- the machinery ----------------------------------------------------------------------------


def _environment(where: Path) -> dict[str, str]:
    env = {**os.environ, "WINEPREFIX": str(where)}
    env.setdefault("WINEDEBUG", "-all")  # Wine's loader errors still show (not a debug channel)
    # No Mono or Gecko installer dialog during wineboot: the kit needs neither.
    env.setdefault("WINEDLLOVERRIDES", "mscoree=;mshtml=")
    env.pop("DISPLAY", None)  # console programs only: no window may wait for a click
    return env


def _run_bounded(command: list[str], where: Path, timeout: float, cwd: str | None,
                 what: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``command`` with output in temporary files, in its own process group, killed with
    that group (and the prefix's wineserver) after ``timeout`` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                       cwd=cwd, env={**_environment(where), **(env or {})},
                                       start_new_session=True)
        except OSError as exc:
            raise HostError(command[0], f"could not be started ({exc.strerror or exc})",
                            f"Run {SETUP_COMMAND}") from exc
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            _end_wineserver(where)
            raise HostError(what, f"did not finish within {timeout:g} s and was stopped",
                            "Give it a longer timeout, or check it with interopkit doctor"
                            ) from exc
        return code, _read(out), _read(err)


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode("utf-8", "replace").replace("\r\n", "\n")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _end_wineserver(where: Path) -> None:
    """``wineserver -k`` for that prefix, then SIGKILL for whatever of it lingers."""
    server = _wineserver()
    if server is not None:
        with suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run([server, "-k"], env=_environment(where), timeout=15, check=False,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while (left := leftover_processes(where)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid, _name in left:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _server_dir(where: Path) -> str:
    """The folder the prefix's wineserver works in (Wine names it after the prefix's device
    and inode), or "" when the prefix does not exist."""
    try:
        info = where.stat()
    except OSError:
        return ""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return f"{tempfile.gettempdir()}/.wine-{uid}/server-{info.st_dev:x}-{info.st_ino:x}"


def one_at_a_time(purpose: str) -> AbstractContextManager[IO[bytes] | None]:
    """An exclusive lock beside the prefix in use, one per ``purpose`` (``"com"``: every real
    COM run registers the same class, so runs in one prefix must not overlap)."""
    return _lock(prefix(), exclusive=True, purpose=purpose)


@contextmanager
def _lock(where: Path, *, exclusive: bool,
          purpose: str = "") -> Iterator[IO[bytes] | None]:
    """A lock file beside the prefix: shared while programs run, exclusive while it is built
    (or, with a ``purpose``, a lock of that purpose's own)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Wine runs on Linux here
        yield None
        return
    where.parent.mkdir(parents=True, exist_ok=True)
    name = f".{where.name}.{purpose}.lock" if purpose else f".{where.name}.lock"
    with open(where.parent / name, "wb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _last_out(where: Path, handle: IO[bytes] | None) -> None:
    """End the prefix's wineserver unless another process is running programs in it (that one
    ends it when it is done): the shared lock becomes exclusive only for the last one out, and
    a program of someone else's still running (a surrogate) keeps the wineserver, which ends
    by itself a few seconds after its last program."""
    if any(name not in _WINE_OWN for _pid, name in leftover_processes(where)):
        return
    if handle is None:  # pragma: no cover - no fcntl
        _end_wineserver(where)
        return
    import fcntl

    for attempt in range(2):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if attempt == 0:  # let go, then try once more: two runs ending together
                fcntl.flock(handle, fcntl.LOCK_UN)
                time.sleep(0.05)
            continue
        _end_wineserver(where)
        return
