"""The sample library called natively, through ctypes, for comparison with the emulator.

On Linux the kit's shared object for this CPU (``libsample_x86_64.so`` on x86-64); on Windows
the DLL of this process's architecture. Arguments are the emulator's: ints and ``Buffer``s.
Every export of the sample returns an integer of at most the pointer width. Taught in
notebook 04.
"""

from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass
from pathlib import Path

from interopkit.emulation.emulator import Buffer
from interopkit.errors import HostError, UsageError
from interopkit.kit.host import host_info
from interopkit.kit.samples import sample_path

__all__ = ["NativeCall", "NativeLibrary", "native_sample"]


@dataclass(frozen=True)
class NativeCall:
    """One native call's result."""

    result: int
    """The return value, unsigned, of the pointer width."""
    buffers: tuple[bytes, ...]
    """Each Buffer argument's contents after the call."""


def native_sample() -> Path:
    """The build of the sample library this Python can load."""
    info = host_info()
    names = {("linux", "x86_64"): ("linux", "x86_64"), ("linux", "aarch64"): ("linux", "aarch64"),
             ("windows", "x86_64"): ("windows", "x64"), ("windows", "aarch64"): ("windows",
                                                                                  "arm64")}
    key = (info.os, info.cpu)
    if key not in names or info.process_bits != 64:
        raise HostError(f"{info.os}/{info.cpu} ({info.process_bits}-bit Python)",
                        "has no native build of the sample library",
                        "Compare against the emulator's x64 or ARM64 runs instead")
    return sample_path(*names[key])


class NativeLibrary:
    """The sample library loaded into this process."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or native_sample()
        self._lib = ctypes.CDLL(str(self.path))
        self._width = struct.calcsize("P") * 8

    def call(self, export: str, *args: int | Buffer) -> NativeCall:
        """Call ``export`` with ints (passed as pointer-sized) and Buffers."""
        function = getattr(self._lib, export, None)
        if function is None:
            raise UsageError(export, f"is not exported by {self.path.name}",
                             "Use one of the sample's exports")
        function.restype = ctypes.c_uint64 if self._width == 64 else ctypes.c_uint32
        passed, buffers = [], []
        for arg in args:
            if isinstance(arg, Buffer):
                buffer = ctypes.create_string_buffer(arg.data, len(arg.data))
                buffers.append(buffer)
                passed.append(buffer)
            else:
                passed.append(ctypes.c_uint64(arg % (1 << 64)))
        result = function(*passed)
        return NativeCall(int(result), tuple(b.raw for b in buffers))
