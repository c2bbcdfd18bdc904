"""interopkit: a teaching kit on Windows process interoperability between 32-bit and 64-bit code.

Importing the package is cheap (no pefile, matplotlib or ipywidgets until used). The main
entry points are available here lazily:

    >>> import interopkit
    >>> interopkit.inspect("data/samples/sample_x86.dll").machine   # doctest: +SKIP
    <Machine.I386: 332>

Modules, one per concept: ``machine`` (machine facts), ``winerror`` (Windows error codes),
``errors`` (the exception tree), ``sources`` (the cited sources), ``layout`` and ``headers``
(declared binary structures, fast header reads), ``elf`` (ELF dynamic symbols), ``inspection``
(``inspect``), ``scan``, ``host`` (this machine), ``doctor``, ``samples`` and ``build`` (the
kit's binaries), ``pewriter`` (images constructed for teaching), ``kinds`` and ``loader`` (the
Windows loader's bitness rules), ``realload`` (this machine's real loader), ``checker`` and
``appfolders`` (dependency checking), ``wow64`` and ``redirect`` (WOW64 measured and modelled),
``pemap`` and ``emulation`` (mapping and emulating DLLs), ``native`` (the same calls natively),
``emucost`` and ``timing`` (what emulation costs, measured), ``comreg`` and ``comobject`` (COM
registration and activation), ``wire``, ``pipes``, ``surrogate``, ``emusurrogate`` and ``wine``
(DLL surrogates and how they are reached), ``ndr``, ``basetsd`` and ``crossing`` (pointer-sized
values and handles on the wire: the rules, the conversions, the live demonstration), ``idl``
and ``lint`` (interface declarations and the hazards in them),
``bench``, ``experiments`` and ``benchplot`` (marshaling costs measured and charted),
``exercises`` (checked exercises) and ``answerkey`` (their solutions for instructors),
``diagrams`` and ``tables`` (pictures and tables for the notebooks), ``widgets`` (ipywidgets
explorers), ``quick`` (quick mode), ``cli``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import HostError, ImageError, InteropKitError, ToolchainError, UsageError

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
    "Machine": "machine",
    "inspect": "inspection",
    "read_headers": "headers",
    "host_info": "host",
    "sample_path": "samples",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'interopkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
