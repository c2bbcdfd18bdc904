"""What the call explorers offer for the kit's sample library: each export's parameters, a
default argument line that works on the first try, and the check that the number of arguments
matches (the emulator would otherwise read a missing argument from whatever the register or
stack slot held, and answer without complaint).

The parameters are those of ``csrc/sample.c`` (its header comment is the contract). Long export
lists (a C library has thousands) are capped for a drop-down. Used by the call explorers of
notebooks 04 and 05 (``interopkit.lessons.arm64_emulation`` and ``com_surrogate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from interopkit.emulation.emulator import Buffer, parse_argument
from interopkit.errors import UsageError

__all__ = ["EXPORT_LIMIT", "SIGNATURES", "Signature", "check_arguments", "export_options",
           "parse_arguments"]

EXPORT_LIMIT = 40
"""At most this many exports in a drop-down."""


@dataclass(frozen=True)
class Signature:
    """One export of the sample library as a caller sees it."""

    parameters: tuple[str, ...]
    """Parameter names, in order (a buffer is written text:..., hex:... or zeros:N)."""
    default: str
    """An argument line that works on the first try."""


SIGNATURES = {
    "add": Signature(("a", "b"), "2 3"),
    "add_stdcall": Signature(("a", "b"), "2 3"),
    "checksum": Signature(("buf", "len"), "text:hello 5"),
    "fill": Signature(("out", "len", "seed"), "zeros:8 8 65"),
    "ptr_size": Signature((), ""),
    "echo_ptr": Signature(("value",), "0x123456789"),
    "echo_u64": Signature(("value",), "0x123456789"),
    "counter_next": Signature((), ""),
    "counter_reset": Signature(("value",), "41"),
    "arch_name": Signature((), ""),
}
"""The sample's exports (x86's ``add_stdcall@8`` under its undecorated name)."""


def _undecorated(export: str) -> str:
    # x86 __stdcall names carry "@N" (zig/MinGW) and, from MSVC, a leading "_" (MSVC-STDCALL).
    name = export.split("@")[0]
    return name[1:] if export.startswith("_") and "@" in export else name


def export_options(exports: list[str] | tuple[str, ...],
                   limit: int = EXPORT_LIMIT) -> tuple[list[str], int]:
    """The exports to offer, those with a known signature first, at most ``limit``; and how
    many were left out."""
    known = [name for name in SIGNATURES if name in {_undecorated(e) for e in exports}]
    rest = sorted(e for e in exports if _undecorated(e) not in SIGNATURES)
    offered = [*known, *rest]
    return offered[:limit], max(len(offered) - limit, 0)


def parse_arguments(text: str) -> list[int | Buffer]:
    """An argument line (``2 3``, ``text:hello 5``) as values."""
    return [parse_argument(word) for word in text.split()]


def check_arguments(export: str, values: list[int | Buffer]) -> None:
    """Raise UsageError when ``values`` do not fit ``export``'s parameters (a known export)."""
    signature = SIGNATURES.get(_undecorated(export))
    if signature is None or len(values) == len(signature.parameters):
        return
    wanted = len(signature.parameters)
    shown = f" ({', '.join(signature.parameters)})" if wanted else ""
    raise UsageError(export, f"takes {wanted} argument{'s' if wanted != 1 else ''}{shown}; "
                     f"{len(values)} given",
                     f"Try: {signature.default}" if signature.default else "Give no arguments")
