"""Build the website: stage the Sphinx project, execute the lessons and run Sphinx with warnings
as errors, copy the HTML.

Both run in a child process of this Python (``python -m interopkit.site.run``), in a temporary
folder: Sphinx and MyST-NB write a cache beside the HTML folder, and none of that may land
beside ``--out``; this process imports neither. The kernels that execute the lessons inherit
the child's environment, quick mode included. Every process the build starts carries a marker
in its environment, so that what it left running (a kernel, a surrogate, Wine) is found by that
marker, not by name: other users of the machine's Wine prefix are left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import HostError, ToolchainError, UsageError
from interopkit.kit import cache, wine
from interopkit.site.run import FAILED
from interopkit.site.source import Launch, kit_root, lesson_notebooks, stage

__all__ = ["MANIFEST", "SiteBuild", "build_site", "leftover_processes"]

MANIFEST = "_interopkit_site.json"
"""What was built, written into the site: pages, figures per lesson, mode, seconds."""

_MARKER = "INTEROPKIT_SITE_BUILD"
_REQUIRED = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx_copybutton", "sphinx_togglebutton")
_LEFTOVER_WAIT_S = 10.0  # a wineserver told to end takes a moment to go
_FIGURE_MIMES = ("image/png", "image/svg+xml", "image/jpeg")


@dataclass(frozen=True)
class SiteBuild:
    """One build of the website."""

    out: Path
    """The folder holding the site (open ``index.html``)."""
    pages: tuple[str, ...]
    """Every page, in reading order (Sphinx docnames, ``notebooks/00_start_here`` ...)."""
    figures: dict[str, int]
    """Figures (image outputs) per lesson page, counted in the executed notebooks."""
    quick: bool
    """Whether the lessons ran in quick mode."""
    seconds: float
    """Wall time of the build, executing every notebook included."""
    bytes: int
    """The size of the site on disk."""


def build_site(out: str | os.PathLike[str], launch: Launch | None = None, *,
               quick: bool = True, timeout: float = 3600.0,
               root: str | os.PathLike[str] | None = None) -> SiteBuild:
    """Build the site into ``out`` from the kit's clone (or ``root``, a folder laid out like
    it); raise ToolchainError if Sphinx or a lesson fails, HostError if the build left a
    process running."""
    launch = launch or Launch()
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise UsageError(str(target), "is a file, not a folder", "Give --out a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise UsageError(str(target), "is a folder with files in it that no site build made",
                         "Give --out a new or empty folder (an earlier site is replaced)")
    missing = [name for name in _REQUIRED if _absent(name)]
    if missing:
        raise ToolchainError(", ".join(missing), "not installed: the site builder needs them",
                             "Run: pip install -e \".[site]\" in the kit's clone")
    source_root = Path(root) if root is not None else kit_root()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="interopkit-site-") as scratch:
        work = Path(scratch)
        pages = stage(source_root, work / "src", launch, _built_on())
        _run_sphinx(work, quick, timeout)
        html = work / "build" / "html"
        figures = _figures(work / "src", pages)
        seconds = time.perf_counter() - started
        (html / MANIFEST).write_text(json.dumps(
            {"pages": pages, "figures": figures, "quick": quick, "seconds": round(seconds, 1)},
            indent=1) + "\n", encoding="utf-8")
        (html / ".nojekyll").touch()  # GitHub Pages would hide _static/ and _images/
        # The download button offers the notebook as the kit ships it, not the staged copy
        # with its added solution cells.
        for lesson in lesson_notebooks(source_root):
            shutil.copyfile(lesson, html / "_sources" / "notebooks" / lesson.name)
        for macros in html.glob("_static/*webpack-macros.html"):
            macros.unlink()  # the themes' Jinja macros, copied with their static files: no page
        if (target / MANIFEST).is_file():
            shutil.rmtree(target)  # an earlier build of ours: replaced whole, no stale page
        shutil.copytree(html, target, dirs_exist_ok=True)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return SiteBuild(target, tuple(pages), figures, quick, seconds, size)


def _absent(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def _built_on() -> str:
    """The machine the lessons' outputs come from, in words (no path, no host name)."""
    where = f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"
    found = wine.version() if wine.find_wine(64) else None
    return f"{where}, {found}" if found else f"{where}, without Wine"


def _run_sphinx(work: Path, quick: bool, timeout: float) -> None:
    token = secrets.token_hex(8)
    env = {**os.environ, _MARKER: token, "INTEROPKIT_QUICK": "1" if quick else "0",
           # a cache of the build's own: pages show a new learner's progress, not the builder's
           cache.ENVIRONMENT_VARIABLE: str(work / "cache")}
    # With MPLBACKEND set, ipykernel keeps that backend instead of its inline one, and every
    # figure would show as "<Figure size ...>" text (the kit's tests hit this once).
    env.pop("MPLBACKEND", None)
    command = [sys.executable, "-m", "interopkit.site.run", str(work)]
    try:
        with (work / "sphinx.log").open("w", encoding="utf-8") as log:
            process = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                _end(process)
                raise ToolchainError("the site build", f"did not finish within {timeout:g} s "
                                     "and was stopped", "Run it again with a longer timeout "
                                     "(--timeout)") from exc
            except KeyboardInterrupt:
                _end(process)  # Sphinx and its kernels go with the interrupted command
                raise
    finally:
        left = _wait_for_leftovers(token)
    # Pages named from the staged project's root (notebooks/00_start_here.ipynb), not /tmp/...;
    # no terminal colours (a lesson's traceback has them).
    text = re.sub(r"\x1b\[[0-9;]*m", "", (work / "sphinx.log").read_text(
        encoding="utf-8", errors="replace")).replace(f"{work / 'src'}{os.sep}", "")
    for saved in re.findall(r"has been saved in:\s*(\S+sphinx-err-\S+\.log)", text):
        Path(saved).unlink(missing_ok=True)  # Sphinx's crash report; its text is in our log
    if code != 0:
        failed = re.search(rf"^{FAILED} (.+)$", text, re.MULTILINE)
        if failed:
            raise ToolchainError("the site build", f"a lesson failed: {failed.group(1)}")
        raise ToolchainError("the site build", f"Sphinx failed (exit {code}): "
                             f"{_problems(text)}", "Fix the page it names")
    if left:
        raise HostError("the site build", "left processes running, now ended: "
                        + ", ".join(f"{name} ({pid})" for pid, name in left),
                        "A lesson must end what it starts (a surrogate, Wine)")


def _problems(log: str) -> str:
    """What Sphinx said went wrong: its warnings (each names its page and line), or its crash."""
    warnings = [line.strip() for line in log.splitlines() if "WARNING:" in line or
                "ERROR:" in line]
    if warnings:
        return " | ".join(warnings[:6])[:3000]
    errors = [line.strip() for line in log.splitlines()
              if re.match(r"\s*[\w.]*(Error|Exception|Interrupt)\b: ", line)]
    return errors[-1] if errors else log.strip()[-600:]


def _end(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def leftover_processes(token: str) -> list[tuple[int, str]]:
    """(pid, name) of every running process whose environment carries the build's marker."""
    needle = f"{_MARKER}={token}".encode()
    return _marked(lambda entry: entry == needle)



def _marked(test: Callable[[bytes], bool]) -> list[tuple[int, str]]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int(proc.name) == os.getpid():
                continue
            if any(test(entry) for entry in (proc / "environ").read_bytes().split(b"\0")):
                found.append((int(proc.name), (proc / "comm").read_text().strip()))
        except (OSError, ValueError):
            continue  # ended meanwhile, or not ours to read
    return found


def _wait_for_leftovers(token: str) -> list[tuple[int, str]]:
    """What the build left running after a grace period; those are ended (they are ours)."""
    deadline = time.monotonic() + _LEFTOVER_WAIT_S
    while (left := leftover_processes(token)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid, _name in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return left


def _figures(executed: Path, pages: list[str]) -> dict[str, int]:
    counts = {}
    for page in (p for p in pages if p.startswith("notebooks/")):
        path = executed / f"{page}.ipynb"
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"] if path.is_file() else []
        counts[page] = sum(any(mime in output.get("data", {}) for mime in _FIGURE_MIMES)
                           for cell in cells for output in cell.get("outputs", []))
    return counts
