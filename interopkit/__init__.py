"""interopkit: a teaching kit on Windows process interoperability between 32-bit and 64-bit code.

Importing the package is cheap (no pefile, matplotlib or ipywidgets until used). The main
entry points are available here lazily:

    >>> import interopkit
    >>> interopkit.inspect("data/samples/sample_x86.dll").machine   # doctest: +SKIP
    <Machine.I386: 332>

The layout follows the course. Subpackages, one per family of concepts:

    images/     reading binaries: machine, layout, files, headers, petables, elf, inspection,
                scan, pemap, pewriter
    loading/    who loads what: kinds, loader, realload, checker, appfolders
    wow64/      WOW64 measured (measure) and modelled (redirect)
    emulation/  other CPUs' code: emulator, native, cost
    surrogate/  the kit's own DLL surrogate: wire, pipes, client, emulated
    com/        COM's rules: registry, activation, idl, lint
    ndr/        values on the wire: rules, basetsd, crossing
    bench/      what crossings cost: harness, experiments, plots
    kit/        the kit's own machinery: samples, host, wine, quick, timing
    site/       the course as a website: source (the Sphinx project), callouts, run, build
    lessons/    one module per notebook (its tables, diagrams, explorers and checked
                exercises), the exercise framework, the answer key and shared controls

and a few loose core modules: ``errors`` (the exception tree), ``winerror`` (Windows error
codes), ``sources`` (the cited sources), ``build`` (the kit's binaries), ``doctor`` (the setup
check) and ``cli``. The tools never import the lessons or the notebook libraries (matplotlib,
ipywidgets, IPython), except ``bench.plots`` for ``interopkit bench --plot``; no two
subpackages import each other (``tests/test_architecture.py`` checks both).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from interopkit.errors import HostError, ImageError, InteropKitError, ToolchainError, UsageError

__version__ = "0.1.0"

__all__ = [
    "HostError",
    "ImageError",
    "InteropKitError",
    "Machine",
    "ToolchainError",
    "UsageError",
    "__version__",
    "host_info",
    "inspect",
    "read_headers",
    "sample_path",
]

_LAZY = {
    "Machine": "images.machine",
    "inspect": "images.inspection",
    "read_headers": "images.headers",
    "host_info": "kit.host",
    "sample_path": "kit.samples",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'interopkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
