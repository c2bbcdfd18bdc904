"""Shared fixtures: the kit's real samples and a set of broken files made from them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import matplotlib
import pytest

from interopkit.kit import wine
from interopkit.kit.samples import sample_path

# The test command runs notebooks in quick mode; a learner's JupyterLab runs full mode.
os.environ.setdefault("INTEROPKIT_QUICK", "1")
# Figures drawn in this process need no display. Set here, not through MPLBACKEND: the kernels
# the tests start (nbval, the browser test's JupyterLab) inherit the environment, and with
# MPLBACKEND set ipykernel does not choose its inline backend, so a figure shows as text.
matplotlib.use("Agg")

# What each sample must be, written here independently of the kit's own tables:
# (os, arch) -> (format, machine name, bits, kind)
EXPECTED_SAMPLES = {
    ("windows", "x86"): ("PE", "I386", 32, "dll"),
    ("windows", "x64"): ("PE", "AMD64", 64, "dll"),
    ("windows", "arm64"): ("PE", "ARM64", 64, "dll"),
    ("linux", "i386"): ("ELF", "I386", 32, "dll"),
    ("linux", "x86_64"): ("ELF", "AMD64", 64, "dll"),
    ("linux", "aarch64"): ("ELF", "ARM64", 64, "dll"),
}

SAMPLE_EXPORTS = {"add", "checksum", "fill", "ptr_size", "echo_ptr", "echo_u64", "counter_next",
                  "counter_reset", "arch_name"}


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Each test's figures are closed after it, so that pyplot never holds more than one test's
    (the kit's plot helpers return their Axes and leave closing to the caller)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(params=sorted(EXPECTED_SAMPLES), ids=lambda p: f"{p[0]}-{p[1]}")
def sample(request: pytest.FixtureRequest) -> tuple[Path, tuple[str, str, int, str]]:
    """Each sample with its expected (format, machine, bits, kind)."""
    return sample_path(*request.param), EXPECTED_SAMPLES[request.param]


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    """Files a learner might point the kit at by mistake."""
    dll = sample_path("windows", "x64").read_bytes()
    so = sample_path("linux", "i386").read_bytes()
    files = {
        "empty": b"",
        "truncated_dos": dll[:40],
        "truncated_pe": dll[:100],
        "truncated_sections": dll[:1500],
        "truncated_elf_header": so[:30],
        "truncated_elf_sections": so[:1000],
        "random": os.urandom(4096),
        "text": b"This is a README, not a DLL.\n" * 10,
        "mz_only": b"MZ" + b"\0" * 62,
        "ne_16bit": b"MZ" + b"\0" * 58 + (64).to_bytes(4, "little") + b"NE" + b"\0" * 62,
    }
    out = {}
    for name, data in files.items():
        path = tmp_path / f"{name}.dll"
        path.write_bytes(data)
        out[name] = path
    out["folder"] = tmp_path / "a_folder.dll"
    out["folder"].mkdir()
    out["missing"] = tmp_path / "missing.dll"
    return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for the servers tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def apt_install(package: str, present: Callable[[], bool]) -> str:
    """Install a Debian package for the tests where that is allowed: "" when ``present()``
    holds (already, or after installing), else the reason it does not."""
    if present():
        return ""
    if os.environ.get("INTEROPKIT_NO_INSTALL"):
        return f"{package} is not installed and INTEROPKIT_NO_INSTALL is set"
    if shutil.which("apt-get") is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"{package} is not installed and cannot be: installing needs apt-get run as root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    for command in (install, ["apt-get", "update"], install):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                                  env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"installing {package} failed: {exc}"
        if command is install and done.returncode == 0 and present():
            return ""
    return f"apt-get could not install {package}: {done.stderr.strip()[-300:]}"


@lru_cache(maxsize=1)
def _install_wine() -> str:
    """Debian's wine64, installed by the test setup where it can be; "" when it is there, else
    the reason it is not."""
    return apt_install("wine64", lambda: wine.find_wine() is not None)


@pytest.fixture(scope="session")
def wine_launcher() -> tuple[str, ...]:
    """The command prefix that runs a Windows EXE under Wine (installed here if need be)."""
    reason = _install_wine()
    if reason:
        pytest.skip(reason)
    return wine.launcher()


@pytest.fixture(scope="session")
def wine_prefix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Wine prefix with syswow64 for the real WOW64 tests (issue 18). The kit's own one is
    used when it has syswow64; else a throwaway one is made for the session (wine64 wineboot -u,
    about 30 s), and removed afterwards with its wineserver ended."""
    from interopkit.kit import winprobe as real

    if real._find_wine(64) is None:
        pytest.skip("64-bit Wine is not installed (the wine64 package)")
    kit = Path(os.environ.get("WINEPREFIX", str(wine.PREFIX)))
    if (kit / "drive_c" / "windows" / "syswow64").is_dir():
        yield kit
        return
    made = tmp_path_factory.mktemp("wineprefix")
    before = os.environ.get("WINEPREFIX")
    os.environ["WINEPREFIX"] = str(made)
    try:
        with open(made.parent / "wineboot.log", "wb") as log:  # a file, never a pipe
            subprocess.run([real._find_wine(64), "wineboot", "-u"], stdout=log, stderr=log,
                           env={**os.environ, "WINEDEBUG": "-all"}, timeout=300, check=False)
        real._end_wineserver()
        yield made
    finally:
        real._end_wineserver()
        if before is None:
            os.environ.pop("WINEPREFIX", None)
        else:
            os.environ["WINEPREFIX"] = before
        shutil.rmtree(made, ignore_errors=True)


def wine_processes(prefix: Path) -> list[int]:
    """The processes running in Wine prefix ``prefix`` (read from /proc: others' Wine runs on
    this machine are not counted)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                environ = (entry / "environ").read_bytes()
                command = (entry / "cmdline").read_bytes().lower()
            except OSError:
                continue
            if (f"WINEPREFIX={prefix}".encode() + b"\0" in environ + b"\0"
                    and (b"wine" in command or b".exe" in command)):
                found.append(int(entry.name))
    return found


@pytest.fixture
def wine_bits(wine_prefix: Path, request: pytest.FixtureRequest) -> Iterator[int]:
    """The Windows process bitness of a parametrised test (32 or 64), skipped with the reason
    when Wine of that bitness is missing; checks that the test left no Wine process running
    in the prefix (processes that were there before it are someone else's)."""
    from interopkit.kit import winprobe as real

    bits = request.param
    if real._find_wine(bits) is None:
        pytest.skip(f"{bits}-bit Wine is not installed (wine32:i386 for 32-bit processes)")
    before = set(wine_processes(wine_prefix))
    yield bits
    left = set(wine_processes(wine_prefix)) - before
    assert not left, f"Wine processes left running: {sorted(left)}"
