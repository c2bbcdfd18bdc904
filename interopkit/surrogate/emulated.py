"""The emulated surrogate: a separate process that hosts a DLL on the kit's emulator.

Where the native surrogate cannot run (macOS, ARM64 Linux, a kernel without 32-bit support),
``interopkit.surrogate.client`` starts this instead:

    python -m interopkit.surrogate.emulated --bits 32 PATH_TO_DLL

It is a real second process that speaks the same frames on stdin and stdout as the native
surrogate (``interopkit.surrogate.wire``), so the client, the timeouts and the crash handling are
the same; only the CPU is different: the DLL's code runs on Unicorn
(``interopkit.emulation.emulator``), which maps the DLL with ``interopkit.images.pemap`` (DllMain
is not called there). It says so in its HELLO (``loader``), and the client names it ``emulated`` in
every output. A fault in the DLL is answered with a FAULT reply: the emulated CPU stops, the
process survives. So is every malformed frame, with the native surrogate's limits (16 arguments, no
buffer longer than the frame, no reply over 64 MiB); a payload over the limit is read and dropped,
so the stream stays framed. On Linux it ends with its client, as the native one does (a parent-death
signal).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys

from interopkit.emulation.emulator import Buffer, EmulationError, Emulator
from interopkit.errors import ImageError, InteropKitError, SurrogateError, UsageError
from interopkit.surrogate.pipes import CLIENT_PID
from interopkit.surrogate.wire import (
    HEADER,
    MAGIC,
    MAX_ARGS,
    MAX_PAYLOAD,
    VERSION,
    ArgType,
    Argument,
    Kind,
    Status,
    decode_call,
    encode_reply,
    frame,
)
from interopkit.winerror import WinError

__all__ = ["Host", "main"]

_LIMIT = 200_000_000
"""Instructions one call may run: far more than a checksum of the largest frame needs (about
ten per byte), and still a stop for code that never returns."""

_ARCH_NAMES = {"x86": "i386", "x64": "x86_64", "arm64": "aarch64"}


class Host:
    """One DLL on one emulated CPU, answering frames."""

    def __init__(self, dll: str, bits: int) -> None:
        self.dll, self.error = dll, ""
        self.name = os.path.basename(dll)
        try:
            self.emulator: Emulator | None = Emulator(dll, limit=_LIMIT,
                                                      count_instructions=False)
        except InteropKitError as exc:
            self.emulator, self.error = None, str(exc)
            return
        machine = self.emulator.image.machine
        if machine.bits != bits:
            self.error = (f"{self.name}: is a DLL for machine 0x{machine.value:04X}; this is the "
                          f"{bits}-bit emulated surrogate (ERROR_BAD_EXE_FORMAT, 193)")

    def answer(self, kind: int, payload: bytes) -> tuple[Status, bytes]:
        """The status and payload of the reply to one request."""
        if self.error:
            return Status.BAD_ARGUMENT, self.error.encode()
        assert self.emulator is not None
        if kind == Kind.HELLO:
            return Status.OK, self._hello()
        if kind != Kind.CALL:
            return Status.BAD_FRAME, b"unknown frame kind"
        try:
            export, returns, args = decode_call(payload)
        except InteropKitError as exc:
            return Status.BAD_FRAME, str(exc).encode()
        reply = 8 + sum(4 + size + -size % 4 for size in (
            len(arg.value) if arg.type is ArgType.INOUT else int(arg.value)
            for arg in args if arg.type in (ArgType.INOUT, ArgType.OUT)))
        if export in self.emulator.image.exports and reply > MAX_PAYLOAD:
            return Status.TOO_LARGE, (b"the reply's buffers would be larger than 64 MiB: send "
                                      b"fewer or smaller out-buffers")
        try:
            result, buffers = self.call(export, args, returns)
        except EmulationError as exc:
            return Status.FAULT, str(exc).encode()
        except ImageError as exc:
            return Status.UNKNOWN_EXPORT, str(exc).encode()
        except InteropKitError as exc:
            return Status.BAD_ARGUMENT, str(exc).encode()
        return Status.OK, encode_reply(result, buffers)

    def call(self, export: str, args: list[Argument],
             returns: ArgType = ArgType.PTR) -> tuple[int, list[bytes]]:
        """Run one call on the emulated CPU: the return value (of type ``returns``) and the
        out and in-out buffers. The same in this process (an in-process COM object, emulated)
        and behind the frames."""
        if self.emulator is None or self.error:
            raise SurrogateError(self.dll, self.error, "Host a DLL of the surrogate's bitness")
        if export not in self.emulator.image.exports:
            raise ImageError(self.name, f"exports no function named '{export}'",
                             "Check the name (x86 stdcall names end in @N)",
                             WinError.ERROR_PROC_NOT_FOUND)
        if len(args) > MAX_ARGS:
            raise UsageError(export, f"has {len(args)} arguments", "Pass at most 16")
        popped = export.rpartition("@")[2]
        if self.emulator.arch == "x86" and "@" in export and popped.isdigit():
            words = sum(2 if arg.type is ArgType.INT64 else 1 for arg in args)
            if int(popped) != 4 * words:  # as the native surrogate refuses it
                raise UsageError(export, f"pops {popped} bytes of arguments (stdcall, from its "
                                 f"name); this call passes {4 * words}",
                                 "Pass the arguments the name declares")
        values: list[int | Buffer] = []
        returned: list[int] = []  # positions of the Buffers that come back
        wide = self.emulator.arch != "x86"
        for arg in args:
            if arg.type in (ArgType.IN, ArgType.INOUT, ArgType.OUT):
                if arg.type is not ArgType.IN:
                    returned.append(len(values))
                values.append(Buffer(bytes(int(arg.value)) if arg.type is ArgType.OUT
                                     else bytes(arg.value)))  # type: ignore[arg-type]
            elif arg.type is ArgType.INT64 and not wide:  # two stack slots, low word first
                values += [int(arg.value) & 0xFFFFFFFF, int(arg.value) >> 32]
            else:
                values.append(int(arg.value))
        call = self.emulator.call(export, *values)
        result = call.result
        if returns is ArgType.INT32:
            result &= 0xFFFFFFFF
        elif returns is ArgType.INT64 and not wide:  # EDX:EAX
            result |= call.registers_after["edx"] << 32
        elif returns is ArgType.VOID:
            result = 0
        positions = [i for i, v in enumerate(values) if isinstance(v, Buffer)]
        return result, [call.buffers[positions.index(i)] for i in returned]

    def _hello(self) -> bytes:
        assert self.emulator is not None
        image = self.emulator.image
        return json.dumps({
            "pid": os.getpid(), "pointer_size": 4 if self.emulator.arch == "x86" else 8,
            "arch": _ARCH_NAMES[self.emulator.arch], "os": "windows",
            "loader": "interopkit.images.pemap on the Unicorn emulator",
            "image_base": hex(image.base), "relocated": image.base != image.preferred_base,
            "exports": len(image.exports)}).encode()


def main(argv: list[str] | None = None) -> int:
    """Serve frames on stdin/stdout until BYE or the end of stdin."""
    parser = argparse.ArgumentParser(prog="python -m interopkit.surrogate.emulated")
    parser.add_argument("--bits", type=int, choices=(32, 64), required=True)
    parser.add_argument("dll")
    args = parser.parse_args(argv)
    if _orphaned():
        return 0
    host = Host(args.dll, args.bits)
    while True:
        header = _read_exactly(HEADER.size)
        if header is None:
            return 0
        fields = HEADER.unpack(header)
        if fields["length"] > MAX_PAYLOAD:  # dropped, not parsed: the stream stays framed
            if not _discard(fields["length"]):
                return 0
            _send(fields["call_id"], Status.TOO_LARGE, b"payload larger than 64 MiB (the "
                  b"wire's limit): split the data into several calls")
            continue
        payload = _read_exactly(fields["length"])
        if payload is None:
            return 0
        if fields["magic"] != MAGIC or fields["version"] != VERSION:
            status, reply = Status.BAD_FRAME, b"bad frame header (magic or version)"
        elif fields["kind"] == Kind.BYE:
            _send(fields["call_id"], Status.OK, b"")
            return 0
        else:
            try:
                status, reply = host.answer(fields["kind"], payload)
            except Exception as exc:  # noqa: BLE001 - a bug below must not end the surrogate
                status, reply = Status.FAULT, f"{type(exc).__name__}: {exc}".encode()
        _send(fields["call_id"], status, reply)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _orphaned() -> bool:
    """Ask Linux to kill this process when the client's thread ends (prctl PR_SET_PDEATHSIG,
    as the native surrogate does), then check that the client had not already gone."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own symbols: the C library
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False  # no C library to ask: the surrogate still works
    client = os.environ.get(CLIENT_PID, "")
    return os.getppid() != int(client) if client.isdigit() else os.getppid() == 1


def _discard(size: int) -> bool:
    """Read and drop ``size`` bytes of stdin; False at its end."""
    while size:
        chunk = os.read(0, min(size, 1 << 16))
        if not chunk:
            return False
        size -= len(chunk)
    return True


def _read_exactly(size: int) -> bytes | None:
    """``size`` bytes from stdin (file descriptor 0, unbuffered); None at its end."""
    chunks, left = [], size
    while left:
        chunk = os.read(0, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(call_id: int, status: Status, payload: bytes) -> None:
    data = memoryview(frame(Kind.REPLY, call_id, payload, status))
    while data:
        data = data[os.write(1, data):]


if __name__ == "__main__":
    sys.exit(main())
