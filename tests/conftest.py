"""Shared fixtures: the kit's real samples and a set of broken files made from them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import matplotlib
import pytest

# The kit's cache (interopkit.kit.cache) is a folder of this run's own, set before the kit is
# imported: no test, and no kernel the tests start (nbval's inherit the environment), reads or
# changes a learner's progress or mystery folder in ~/.cache/interopkit. The Wine prefix stays
# in the default folder: it is made once (about 20 s) and shared by every run. The Python tests
# use a folder inside it (``_tests_cache``), so that the notebooks' kernels alone write to
# SESSION_CACHE itself, where a progress record at the end means a notebook run counted as
# solved what no learner solved (``pytest_sessionfinish``).
SESSION_CACHE = Path(tempfile.mkdtemp(prefix="interopkit-cache-"))
os.environ["INTEROPKIT_CACHE"] = str(SESSION_CACHE)
TESTS_CACHE = SESSION_CACHE / "tests"

from interopkit.errors import HostError
from interopkit.kit import wine
from interopkit.kit.samples import sample_path

# The test command runs notebooks in quick mode; a learner's JupyterLab runs full mode.
os.environ.setdefault("INTEROPKIT_QUICK", "1")
# Figures drawn in this process need no display. Set here, not through MPLBACKEND: the kernels
# the tests start (nbval, the browser test's JupyterLab) inherit the environment, and with
# MPLBACKEND set ipykernel does not choose its inline backend, so a figure shows as text.
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _tests_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python tests' cache folder (a test that records progress may set its own)."""
    monkeypatch.setenv("INTEROPKIT_CACHE", str(TESTS_CACHE))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when executing the notebooks recorded progress: their hidden cells check
    the worked solutions, and those must never count as a learner's."""
    recorded = SESSION_CACHE / "progress.json"
    if recorded.exists():
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            text = " ".join(recorded.read_text(encoding="utf-8", errors="replace").split())
            reporter.ensure_newline()
            reporter.write_line(f"FAILED: running the notebooks recorded progress: {text}",
                                red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this run's cache folder."""
    shutil.rmtree(SESSION_CACHE, ignore_errors=True)


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


def apt_install(packages: str | Sequence[str], present: Callable[[], bool],
                architectures: Sequence[str] = ()) -> str:
    """Install Debian packages for the tests where that is allowed: "" when ``present()``
    holds (already, or after installing), else the reason it does not. ``architectures`` are
    added to dpkg first (multiarch: ``wine32:i386`` needs i386)."""
    names = [packages] if isinstance(packages, str) else list(packages)
    label = " ".join(names)
    if present():
        return ""
    if os.environ.get("INTEROPKIT_NO_INSTALL"):
        return f"{label} is not installed and INTEROPKIT_NO_INSTALL is set"
    if shutil.which("apt-get") is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"{label} is not installed and cannot be: installing needs apt-get run as root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *names]
    # An update that fails for one index (a mirror mid-sync) still refreshes the others.
    commands = [["dpkg", "--add-architecture", arch] for arch in architectures]
    commands += [install, ["apt-get", "update"], install] if not architectures else [
        ["apt-get", "update"], install]
    for command in commands:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900,
                                  env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"installing {label} failed: {exc}"
        if command is install and done.returncode == 0 and present():
            return ""
    return f"apt-get could not install {label}: {done.stderr.strip()[-300:]}"


def _wine_complete() -> bool:
    return wine.find_wine(32) is not None and wine.find_wine(64) is not None


@lru_cache(maxsize=1)
def _install_wine() -> str:
    """Debian's Wine for both bitnesses, installed by the test setup where it can be; "" when it
    is there, else the reason it is not. When apt refuses because an index could not be read
    (i386 and amd64 copies of a library at different versions), the kit's own setup, which
    names the versions both architectures offer, tries once more."""
    from interopkit.kit import winesetup

    reason = apt_install(winesetup.PACKAGES, _wine_complete, architectures=("i386",))
    if reason and not winesetup.can_install():
        try:
            winesetup.install()
        except HostError as exc:
            return f"{reason}; then: {exc}"
        reason = "" if _wine_complete() else reason
    wine.version.cache_clear()
    return reason


def _wine_bits(bits: int) -> None:
    """Skip, saying why, unless Wine runs Windows programs of ``bits`` here."""
    reason = _install_wine()
    if wine.find_wine(bits) is None:
        pytest.skip(reason or f"{bits}-bit Wine is not installed")


@pytest.fixture(scope="session")
def wine_launcher() -> tuple[str, ...]:
    """The command prefix that runs a 64-bit Windows EXE under Wine (installed here if need
    be)."""
    _wine_bits(64)
    return wine.launcher()


@pytest.fixture(scope="session")
def wine32() -> None:
    """32-bit Wine (wine32, i386), installed here if need be, else the test is skipped."""
    _wine_bits(32)
    _wine_bits(64)  # the kit's prefix is made by wine64


@pytest.fixture(scope="session")
def wine64() -> None:
    """64-bit Wine, installed here if need be, else the test is skipped."""
    _wine_bits(64)


@pytest.fixture(scope="session")
def wine_prefix() -> Path:
    """The kit's Wine prefix, with syswow64, for the real WOW64 tests (made or rebuilt by
    ``wine.ensure_prefix`` if need be); skipped with the reason where Wine cannot run."""
    _wine_bits(64)
    try:
        return wine.ensure_prefix()
    except HostError as exc:
        pytest.skip(str(exc))


def _wine_started_since(before: set[tuple[int, str]], where: Path,
                        seconds: float = 15.0) -> set[tuple[int, str]]:
    """The Wine processes of the prefix ``where`` that were not in ``before`` and still run once
    Wine has had ``seconds`` to end its services (a wineserver told to end takes a moment; the
    prefix may be shared, so the processes that were there before are someone else's)."""
    deadline = time.monotonic() + seconds
    while (left := set(wine.leftover_processes(where)) - before) and \
            time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.fixture(scope="session")
def wine_left_since() -> Callable[[set[tuple[int, str]]], set[tuple[int, str]]]:
    """For a check inside a test or a module's fixture: ``wine_left_since(before)`` is the Wine
    processes of the kit's prefix started since ``before`` that are still running after the wait
    of ``no_wine_left``."""
    return lambda before: _wine_started_since(before, wine.prefix())


@pytest.fixture
def no_wine_left(wine_prefix: Path) -> Iterator[None]:
    """Fails the test if it leaves a Wine process of the kit's prefix running (a dllhost, a
    wineserver, a Windows program)."""
    before = set(wine.leftover_processes(wine_prefix))
    yield
    left = _wine_started_since(before, wine_prefix)
    assert not left, f"Wine processes left running: {sorted(left)}"


@pytest.fixture
def wine_bits(no_wine_left: None, request: pytest.FixtureRequest) -> int:
    """The Windows process bitness of a parametrised test (32 or 64), skipped with the reason
    when Wine of that bitness is missing; the test fails if it leaves a Wine process running
    (``no_wine_left``)."""
    bits = request.param
    _wine_bits(bits)
    return bits
