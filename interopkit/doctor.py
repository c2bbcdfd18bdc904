"""``doctor()``: what this machine can demonstrate, each item with a remedy when it is missing.

Learners run it before a workshop (``interopkit doctor``) and notebook 00 shows it. Every
answer is found out, not assumed: the 32-bit check runs the kit's 32-bit probe, the Wine checks
run its Windows probes under Wine (starting Wine takes seconds, and the first run makes the
kit's Wine prefix, about 20 s), the binaries
are checked against their manifests, package versions are read from the installed metadata.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from interopkit.build import verify_manifest
from interopkit.errors import InteropKitError
from interopkit.kit.host import can_run_x86_32, host_info, run_probe, x86_probes
from interopkit.kit.samples import BIN_DIR, SAMPLES_DIR

__all__ = ["Check", "doctor"]


@dataclass(frozen=True)
class Check:
    """One thing the kit needs or can use, and how it stands on this machine."""

    name: str
    """What was checked."""
    ok: bool
    """True when it works here."""
    required: bool
    """True when the kit cannot work without it (False: some lessons fall back)."""
    detail: str
    """What was found."""
    remedy: str
    """What to do when it is not ok (empty when ok)."""


def doctor() -> list[Check]:
    """Run every check; never raises for a missing feature."""
    info = host_info()
    checks = [
        Check("Python", sys.version_info >= (3, 10), True,
              f"{info.python}, a {info.process_bits}-bit process",
              "Install Python 3.10 or newer"),
        Check("64-bit Python", info.process_bits == 64, True,
              f"this Python is a {info.process_bits}-bit process",
              "Install a 64-bit Python: the kit plays the 64-bit client of a 32-bit server"),
        Check("operating system and CPU", True, False,
              f"{info.os} {info.os_release} on {info.cpu}"
              + (f" (PE machine {info.machine.name})" if info.machine is not None else ""), ""),
        _x86_32(info.os),
        _probe64(info.os, info.cpu),
        _kit_binaries(),
        _package("emulator (Unicorn)", "unicorn", True,
                 "pip install unicorn (a runtime dependency of the kit)"),
        _package("disassembler (Capstone)", "capstone", True,
                 "pip install capstone (a runtime dependency of the kit)"),
        _package("zig toolchain (build extra, optional)", "ziglang", False,
                 'pip install -e ".[build]": only needed to rebuild the kit\'s binaries'),
        _widgets(),
        _lab_widgets(),
        _fonts(),
        _wine(32, info.os),
        _wine(64, info.os),
        _real_com(info.os),
        _full_length(),
        Check("Windows features", info.os == "windows", False,
              "real LoadLibraryW, registry views and WOW64 redirection are available"
              if info.os == "windows" else
              f"not Windows ({info.os}): the lessons show documented models of the Windows "
              "loader, redirector and COM, and real processes of this OS beside them",
              "" if info.os == "windows" else
              "Run the notebooks on Windows too to see the real thing beside each model"),
    ]
    return [c if not c.ok else Check(c.name, True, c.required, c.detail, "") for c in checks]


def _x86_32(os_name: str) -> Check:
    run = can_run_x86_32()
    if os_name == "linux":
        remedy = ("The kernel needs IA-32 emulation (CONFIG_IA32_EMULATION, and no "
                  "ia32_emulation=0 on its command line); without it the surrogate lessons "
                  "use the emulated surrogate")
    elif os_name == "windows":
        remedy = "WOW64 is missing (Windows Server Core can remove it): install the WOW64 feature"
    else:
        remedy = "This OS cannot run 32-bit x86 programs: the lessons use the kit's emulator"
    return Check("32-bit x86 processes", run.ran and run.pointer_size == 4, False,
                 f"{run.probe}: {run.detail}", _permission_remedy(run.detail) or remedy)


def _permission_remedy(detail: str) -> str:
    """The cure when a probe failed only because its copy lost the execute permission."""
    if "Permission denied" not in detail:
        return ""
    return ("Restore the execute permission of the kit's programs: chmod +x interopkit/bin/* "
            "in the kit's folder (or git checkout -- interopkit/bin)")


def _probe64(os_name: str, cpu: str) -> Check:
    if os_name not in ("linux", "windows") or cpu != "x86_64":
        return Check("64-bit x86 processes", False, False,
                     f"no 64-bit x86 probe runs natively on {os_name}/{cpu}",
                     "The lessons use the emulator for x86 code on this machine")
    run = run_probe(x86_probes()[1])
    return Check("64-bit x86 processes", run.ran and run.pointer_size == 8, False,
                 f"{run.probe}: {run.detail}",
                 _permission_remedy(run.detail) or "Reinstall the kit: its probe did not run")


def _kit_binaries() -> Check:
    try:
        problems = verify_manifest(SAMPLES_DIR) + verify_manifest(BIN_DIR)
    except InteropKitError as exc:
        problems = [str(exc)]
    return Check("the kit's sample binaries", not problems, True,
                 "all match their manifests" if not problems else "; ".join(problems[:3]),
                 "Restore them with git (git checkout -- data interopkit/bin) or rebuild: "
                 "python -m interopkit.build")


def _package(label: str, module: str, required: bool, remedy: str) -> Check:
    if importlib.util.find_spec(module) is None:
        return Check(label, False, required, f"the {module} package is not installed", remedy)
    return Check(label, True, required, f"{module} {_version(module)}", "")


def _widgets() -> Check:
    kernel, front = _version("ipywidgets"), _version("jupyterlab_widgets")
    ok = kernel != "missing" and front != "missing" and kernel.split(".")[0] == "8"
    return Check("notebook widgets", ok, True,
                 f"ipywidgets {kernel}, jupyterlab_widgets {front}",
                 "Install both in the environment that runs JupyterLab: pip install "
                 "'ipywidgets>=8.1' (widgets show as text when the versions do not match)")


def _lab_widgets() -> Check:
    """The widgets front end where this environment's JupyterLab looks for extensions: without
    it every explorer shows as text such as ``VBox(children=...)``."""
    from jupyter_core.paths import jupyter_path

    name = "@jupyter-widgets/jupyterlab-manager"
    found = [Path(d) / name for d in jupyter_path("labextensions")
             if (Path(d) / name / "package.json").is_file()]
    return Check("JupyterLab widgets extension", bool(found), True,
                 f"{name} is installed where this JupyterLab looks"
                 + (" (in this environment)" if found[0].is_relative_to(sys.prefix) else "")
                 if found else
                 f"{name} is in none of JupyterLab's extension folders of this environment",
                 "Run JupyterLab from the environment the kit is installed in (the kit's venv: "
                 ".venv/bin/jupyter lab), or pip install jupyterlab_widgets there")


def _fonts() -> Check:
    """Matplotlib finds the fonts it ships. A font cache written by a half-installed or other
    matplotlib lists fewer fonts, and every plot then prints 'findfont: Font family
    STIXGeneral not found' warnings under it (seen on a class machine, fixed by a rebuild)."""
    import matplotlib
    from matplotlib import font_manager

    try:
        for family in ("DejaVu Sans", "STIXGeneral"):
            font_manager.findfont(family, fallback_to_default=False)
    except ValueError:
        cache = Path(matplotlib.get_cachedir())
        return Check("plot fonts", False, False,
                     f"matplotlib's font cache in {cache} does not list its own {family} font",
                     f"Delete the stale cache ({cache / 'fontlist-*.json'}) and restart the "
                     "kernel: matplotlib rebuilds it on the next plot")
    return Check("plot fonts", True, False, f"matplotlib {matplotlib.__version__} finds its "
                 "fonts", "")


def _wine(bits: int, os_name: str) -> Check:
    """Wine runs the kit's Windows probe of that bitness, for real: Wine, not Windows."""
    from interopkit.kit import wine

    name = f"{bits}-bit Windows processes (Wine)"
    if os_name == "windows":
        return Check(name, True, False, "not needed: this is Windows, which runs the kit's "
                     "Windows programs itself", "")
    remedy = (f"Optional: {wine.SETUP_COMMAND} installs Wine for both bitnesses (as root on "
              "Debian or Ubuntu; elsewhere it prints the commands). The lessons then run "
              "their Windows steps (LoadLibraryW, the redirectors, lesson 05's Windows "
              "surrogate) under Wine; without it those steps say so and the models stand in")
    package = "wine32 (i386)" if bits == 32 else "wine64"
    if wine.find_wine(bits) is None:
        return Check(name, False, False, f"{package} is not installed", remedy)
    probe = "probe_x86.exe" if bits == 32 else "probe_x64.exe"
    started = time.monotonic()
    # A cap: Wine books every page a 64-bit probe reserves, which takes long uncapped.
    run = run_probe(probe, timeout=120, wine_bits=bits, env={"INTEROPKIT_PROBE_CAP_GIB": "1"})
    if not run.ran or run.pointer_size is None:
        return Check(name, False, False, f"{probe} under {package}: {run.detail}", remedy)
    size = run.pointer_size
    return Check(name, size * 8 == bits, False, f"{probe} ran as a {size * 8}-bit Windows "
                 f"process under {wine.version()} (Wine, not Windows) in "
                 f"{time.monotonic() - started:.1f} s; prefix {wine.prefix()}", remedy)


def _real_com(os_name: str) -> Check:
    """The kit's COM server, 32-bit, activated in COM's own surrogate by a 64-bit client."""
    from interopkit.com import real
    from interopkit.errors import InteropKitError
    from interopkit.kit import wine

    name = "real COM across bitness (dllhost)"
    remedy = (f"Optional: with Wine for both bitnesses ({wine.SETUP_COMMAND}) lesson 05 "
              "activates the kit's 32-bit COM server in dllhost from a 64-bit client; "
              "without it the lesson shows a recorded run")
    if os_name != "windows" and (wine.find_wine(32) is None or wine.find_wine(64) is None):
        return Check(name, False, False, "needs Wine for both bitnesses", remedy)
    try:
        ran = real.demo(64, 32)
    except InteropKitError as exc:
        return Check(name, False, False, str(exc), remedy)
    where = ran.surrogate.image if ran.surrogate else "no surrogate"
    ok = ran.created and ran.ptr_size == 4
    return Check(name, ok, False, f"a 64-bit client reached the 32-bit server in {where} "
                 f"(pointer size {ran.ptr_size} inside it) in {ran.create_ms / 1000:.1f} s: "
                 f"CoCreateInstance {real.hresult_name(ran.create_hr)}; {ran.platform}", remedy)


def _full_length() -> Check:
    from interopkit.kit.quick import is_quick

    return Check("full-length experiments", not is_quick(), False,
                 "INTEROPKIT_QUICK is set: experiments run shortened (the tests' mode)"
                 if is_quick() else "experiments run full length (the classroom mode)",
                 "Unset INTEROPKIT_QUICK before class: shortened timings are noisier")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "missing"
