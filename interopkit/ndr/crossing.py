"""Pointer-sized values and handles sent for real from this 64-bit process to a 32-bit one.

``high_memory()`` maps a page of this process above 4 GiB, so its address needs more than 32
bits. ``send_address(surrogate, address)`` sends that address to the surrogate's ``echo_ptr``
and ``echo_u64`` three ways (as a 32-bit ``DWORD``, as a pointer-sized ``UINT_PTR``, as a
``ULONG64``) and reads back what the surrogate's variable held. The surrogate only echoes:
it dereferences nothing. ``send_handle`` does the same with handle values, and shows what
``Handle32ToHandle`` (sign-extends) and ``Ptr32ToPtr`` (zero-extends) make of the 32 bits that
come back. Taught in notebook 06.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import TYPE_CHECKING

from interopkit.errors import HostError
from interopkit.ndr.basetsd import CONVERSIONS
from interopkit.surrogate.wire import ArgType, Argument

if TYPE_CHECKING:
    from interopkit.surrogate.client import Surrogate

__all__ = ["Echo", "HighMemory", "high_memory", "send_address", "send_handle"]

_WIRE = {"DWORD": ArgType.INT32, "UINT_PTR": ArgType.PTR, "ULONG64": ArgType.INT64}


@dataclass(frozen=True)
class Echo:
    """One value sent to the surrogate and echoed back."""

    declared: str
    """How the value was declared: DWORD, UINT_PTR or ULONG64."""
    sent: int
    """The 64-bit value this process sent."""
    wire_bytes: int
    """Bytes the value took in the request frame."""
    held: int
    """What the surrogate's variable held, as it echoed it."""
    surrogate_bits: int
    """The surrogate's bitness."""

    @property
    def lossy(self) -> bool:
        """True when the surrogate did not get the whole value."""
        return self.held != self.sent


class HighMemory:
    """One page mapped in this process, at an address above 4 GiB."""

    def __init__(self, size: int = mmap.PAGESIZE) -> None:
        import ctypes

        self._map = mmap.mmap(-1, size)
        self._view = ctypes.c_char.from_buffer(self._map)
        self.address = ctypes.addressof(self._view)
        """Where the page is."""
        if self.address < 1 << 32:
            self.close()
            raise HostError(f"0x{self.address:x}", "is below 4 GiB: this process's allocator "
                            "did not go high", "Run the lesson in a 64-bit Python on a 64-bit "
                            "OS, where mappings are normally far above 4 GiB")

    def close(self) -> None:
        """Unmap the page; closing it again does nothing (a notebook cell may run twice)."""
        self.__dict__.pop("_view", None)  # the ctypes view holds the map's buffer: drop it first
        if not self._map.closed:
            self._map.close()

    def __enter__(self) -> HighMemory:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def high_memory() -> HighMemory:
    """A page of this process above 4 GiB (HostError where none can be had)."""
    return HighMemory()


def send_address(surrogate: Surrogate, address: int) -> list[Echo]:
    """``address`` to the surrogate as DWORD, UINT_PTR and ULONG64; what arrived each time."""
    echoes = []
    for declared, kind in _WIRE.items():  # a DWORD is cut to 4 bytes by the sender itself
        export = "echo_u64" if kind is ArgType.INT64 else "echo_ptr"
        held = surrogate.call(export, Argument(kind, address), returns=kind).result
        echoes.append(Echo(declared, address, 4 if kind is ArgType.INT32 else 8, held,
                           surrogate.bits))
    return echoes


def send_handle(surrogate: Surrogate, handle: int) -> dict[str, int]:
    """A 64-bit handle value through a 32-bit DWORD to the surrogate and back; then widened
    again by Handle32ToHandle and by Ptr32ToPtr."""
    echoed = surrogate.call("echo_ptr", Argument(ArgType.INT32, handle),
                            returns=ArgType.INT32).result
    return {"sent": handle, "echoed (32 bits)": echoed,
            "Handle32ToHandle": CONVERSIONS["Handle32ToHandle"].apply(echoed),
            "Ptr32ToPtr": CONVERSIONS["Ptr32ToPtr"].apply(echoed)}
