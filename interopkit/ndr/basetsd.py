"""The conversions Windows provides for handles and pointers that cross 32/64 bits (basetsd.h).

Each is a cast chain in the SDK's ``basetsd.h``. What matters is the middle cast: through
``LONG_PTR`` a 32-bit value is **sign-extended**, through ``ULONG_PTR`` it is
**zero-extended**. Handles have 32 significant bits, so truncating one and sign-extending it
back is safe (W64-IPC); a pointer above 4 GiB cannot survive the trip at all (W64-PTR).
``INVALID_HANDLE_VALUE`` is ``(HANDLE)(LONG_PTR)-1`` so that the 32-bit -1 becomes the 64-bit -1
(CHEN-IHV).

Handles are **sign-extended**: that is the rule of every primary source, the page on 32/64-bit
interprocess communication (W64-IPC), the SDK's ``Handle32ToHandle`` (SDK-BASETSD) and the
definition of ``INVALID_HANDLE_VALUE`` (CHEN-IHV). Zero extension (``Ptr32ToPtr``,
``ULongToHandle``) is right for a pointer or an unsigned number and wrong for a handle: it turns
the 32-bit -1 into 0x00000000FFFFFFFF. (A community comment once said handles zero-extend
(DEVPEACE); no primary source says so. mingw-w64's copies of these helpers cast through
``ULONG_PTR`` only and do not spell the extension out, MINGW-BASETSD.)

Values are Python ints as a 64-bit process holds them: pointers and handles unsigned (a HANDLE
is a pointer), LONG signed, ULONG unsigned. Taught in notebook 06.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CONVERSIONS", "INVALID_HANDLE_VALUE", "Conversion"]

_MASK32, _MASK64 = (1 << 32) - 1, (1 << 64) - 1


def _sign_extend(value: int) -> int:
    value &= _MASK32
    return (value - (1 << 32) if value >> 31 else value) & _MASK64


def _to_long(value: int) -> int:
    value &= _MASK32
    return value - (1 << 32) if value >> 31 else value


@dataclass(frozen=True)
class Conversion:
    """One basetsd.h helper."""

    name: str
    """Its name."""
    definition: str
    """Its cast chain, as the SDK writes it (64-bit build)."""
    effect: str
    """``truncates``, ``sign-extends`` or ``zero-extends``."""
    apply: Callable[[int], int]
    """What it does to a value."""


CONVERSIONS: dict[str, Conversion] = {c.name: c for c in (
    Conversion("HandleToLong", "(LONG)(LONG_PTR)h", "truncates", _to_long),
    Conversion("HandleToULong", "(ULONG)(ULONG_PTR)h", "truncates", lambda v: v & _MASK32),
    Conversion("PtrToLong", "(LONG)(LONG_PTR)p", "truncates", _to_long),
    Conversion("PtrToUlong", "(ULONG)(ULONG_PTR)p", "truncates", lambda v: v & _MASK32),
    Conversion("LongToHandle", "(HANDLE)(LONG_PTR)l", "sign-extends", _sign_extend),
    Conversion("ULongToHandle", "(HANDLE)(ULONG_PTR)ul", "zero-extends", lambda v: v & _MASK32),
    Conversion("LongToPtr", "(VOID *)(LONG_PTR)l", "sign-extends", _sign_extend),
    Conversion("ULongToPtr", "(VOID *)(ULONG_PTR)ul", "zero-extends", lambda v: v & _MASK32),
    Conversion("Handle32ToHandle", "(void *)(LONG_PTR)(long)h", "sign-extends", _sign_extend),
    Conversion("Ptr32ToPtr", "(void *)(ULONG_PTR)(unsigned long)p", "zero-extends",
               lambda v: v & _MASK32),
)}
"""The helpers by name (SDK-BASETSD)."""

INVALID_HANDLE_VALUE = _sign_extend(-1)
"""``(HANDLE)(LONG_PTR)-1`` in a 64-bit process: all 64 bits set."""
