"""The 64-bit client's side of a DLL surrogate: start it, call exports through it, stop it.

``Surrogate(dll)`` starts the kit's surrogate of the DLL's own bitness
(``interopkit/csrc/surrogate.c``), which maps the DLL in its own process and calls its exports
for us. On this 64-bit machine an x86 DLL thus runs in a real 32-bit process. Frames travel
over the child's stdin and stdout in the format of ``interopkit.wire``: no socket, no pickle.
Calls from several threads are serialised; every read has a timeout; a surrogate that dies is
reported with its exit status, never waited for. Taught in notebook 05.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from .emulation import Buffer
from .errors import HostError, SurrogateError, UsageError
from .host import host_info
from .inspection import inspect
from .machine import Machine
from .samples import probe_path
from .winerror import WinError
from .wire import (
    HEADER,
    MAX_PAYLOAD,
    ArgType,
    Argument,
    Kind,
    Status,
    decode_reply,
    encode_call,
    frame,
)

__all__ = ["CallResult", "Surrogate", "SurrogateInfo"]

_EXECUTABLES = {32: "surrogate-i386", 64: "surrogate-x86_64"}


@dataclass(frozen=True)
class SurrogateInfo:
    """What the running surrogate says about itself."""

    pid: int
    """Its process id."""
    pointer_size: int
    """4 or 8: measured by the surrogate process itself."""
    arch: str
    """``i386`` or ``x86_64``."""
    image_base: int
    """Where it mapped the DLL."""
    relocated: bool
    """True when the DLL could not have its preferred base."""
    kind: str
    """``native-32`` or ``native-64``."""


@dataclass(frozen=True)
class CallResult:
    """One call through the surrogate."""

    result: int
    """The return value as the surrogate read it (unsigned, of the requested type)."""
    buffers: tuple[bytes, ...]
    """Each in-out and out buffer after the call."""
    seconds: float
    """Round-trip time, from sending the request to reading the reply."""


class Surrogate:
    """A surrogate process hosting one DLL, started on first use."""

    def __init__(self, dll: str | os.PathLike[str], bitness: int | None = None,
                 timeout: float = 10.0) -> None:
        self.dll = str(dll)
        image = inspect(dll)
        bits = {Machine.I386: 32, Machine.AMD64: 64}.get(image.machine)  # type: ignore[arg-type]
        if bits is None or image.format != "PE":
            raise SurrogateError(self.dll, f"is a {image.format} {image.machine_name} image",
                                 "The surrogate hosts x86 and x64 Windows DLLs",
                                 WinError.ERROR_BAD_EXE_FORMAT)
        if bitness is not None and bitness != bits:
            raise SurrogateError(self.dll, f"is a {bits}-bit DLL and cannot be hosted in a "
                                 f"{bitness}-bit surrogate", f"Use --bitness {bits}",
                                 WinError.ERROR_BAD_EXE_FORMAT)
        if host_info().os != "linux" or host_info().cpu != "x86_64":
            raise HostError(f"{host_info().os}/{host_info().cpu}", "has no native surrogate yet",
                            "The native surrogates run on x86-64 Linux")
        self.bits, self.timeout = bits, timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._next_id = 0
        self.info: SurrogateInfo | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> SurrogateInfo:
        """Start the surrogate (if it is not running) and read its HELLO."""
        with self._lock:
            return self._ensure_started()

    def _ensure_started(self) -> SurrogateInfo:
        if self._process is not None and self._process.poll() is None and self.info:
            return self.info
        executable = probe_path(_EXECUTABLES[self.bits])
        self._process = subprocess.Popen([str(executable), self.dll], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         bufsize=0)
        self._finalizer = weakref.finalize(self, _stop, self._process)
        _widen_pipes(self._process)
        status, payload = self._exchange(Kind.HELLO, b"")
        if status is not Status.OK:
            self._stop_process()
            raise SurrogateError(self.dll, payload.decode("utf-8", "replace"),
                                 "Host the DLL in a surrogate of its own bitness",
                                 WinError.ERROR_BAD_EXE_FORMAT)
        report = json.loads(payload)
        self.info = SurrogateInfo(int(report["pid"]), int(report["pointer_size"]),
                                  str(report["arch"]), int(report["image_base"], 16),
                                  bool(report["relocated"]),
                                  f"native-{8 * int(report['pointer_size'])}")
        return self.info

    def close(self) -> None:
        """Ask the surrogate to exit; kill it if it does not within a second."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                try:
                    self._write(frame(Kind.BYE, 0))
                    self._process.wait(timeout=1.0)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self._stop_process()

    def _stop_process(self) -> None:
        if self._process is not None:
            _stop(self._process)
            self._finalizer.detach()
        self._process, self.info = None, None

    # typing.Self would be exact, but the kit supports Python 3.10.
    def __enter__(self) -> Surrogate:  # noqa: PYI034
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- calls ------------------------------------------------------------------------------

    def call(self, export: str, *args: int | Buffer | Argument,
             returns: ArgType = ArgType.PTR) -> CallResult:
        """Call ``export`` in the surrogate. Ints travel pointer-sized; a Buffer goes in and
        comes back out; an Argument says exactly how a value travels."""
        arguments = [_argument(arg) for arg in args]
        payload = encode_call(export, arguments, returns)
        with self._lock:
            self._ensure_started()
            start = time.perf_counter()
            status, reply = self._exchange(Kind.CALL, payload)
            seconds = time.perf_counter() - start
        if status is not Status.OK:
            message = reply.decode("utf-8", "replace")
            code = WinError.ERROR_PROC_NOT_FOUND if status is Status.UNKNOWN_EXPORT else None
            raise SurrogateError(f"{export} in the {self.bits}-bit surrogate",
                                 f"failed: {message} ({status.name})",
                                 "Check the export's name and its arguments", code)
        count = sum(1 for a in arguments if a.type in (ArgType.INOUT, ArgType.OUT))
        result, buffers = decode_reply(reply, count)
        return CallResult(result, tuple(buffers), seconds)

    def _exchange(self, kind: Kind, payload: bytes) -> tuple[Status, bytes]:
        self._next_id = (self._next_id + 1) % (1 << 32)
        self._write(frame(kind, self._next_id), payload)
        header = HEADER.unpack(self._read(HEADER.size))
        if header["call_id"] != self._next_id or header["length"] > MAX_PAYLOAD:
            self._stop_process()
            raise SurrogateError(self.dll, "answered out of turn (a damaged stream)",
                                 "The surrogate was stopped; the next call starts a new one")
        return Status(header["status"]), self._read(header["length"])

    def _write(self, header: bytes, payload: bytes = b"") -> None:
        """Send a frame; the header's length field is set to the payload's here."""
        header = header[:12] + len(payload).to_bytes(4, "little")
        try:
            assert self._process is not None and self._process.stdin is not None
            descriptor, pending = self._process.stdin.fileno(), [header, payload]
            while pending:  # writev: the payload is never copied into one frame
                written = os.writev(descriptor, pending)
                while pending and written >= len(pending[0]):
                    written -= len(pending.pop(0))
                if pending and written:
                    pending[0] = memoryview(pending[0])[written:]
        except (BrokenPipeError, OSError) as exc:
            raise self._died() from exc

    def _read(self, size: int) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        chunks, left = [], size
        deadline = time.monotonic() + self.timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while left:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(min(remaining, 0.25)):
                    if self._process.poll() is not None:
                        raise self._died()
                    if remaining <= 0:
                        self._stop_process()
                        raise SurrogateError(self.dll, f"did not answer within "
                                             f"{self.timeout:g} s", "The surrogate was stopped; "
                                             "the next call starts a new one")
                    continue
                chunk = os.read(stream.fileno(), left)
                if not chunk:
                    raise self._died()
                chunks.append(chunk)
                left -= len(chunk)
        return b"".join(chunks)

    def _died(self) -> SurrogateError:
        process = self._process
        status = process.wait(timeout=1.0) if process is not None else None
        stderr = process.stderr.read().decode("utf-8", "replace")[-300:] if process and \
            process.stderr else ""
        self._stop_process()
        how = f"signal {-status}" if isinstance(status, int) and status < 0 else \
            f"status {status}"
        detail = f": {stderr}" if stderr else ""
        return SurrogateError(self.dll, f"the surrogate process ended ({how}){detail}",
                              "A fault in the DLL ends its surrogate; the next call starts a "
                              "new one")


def _argument(value: int | Buffer | Argument) -> Argument:
    if isinstance(value, Argument):
        return value
    if isinstance(value, Buffer):
        return Argument(ArgType.INOUT, value.data)
    if isinstance(value, int) and not isinstance(value, bool):
        return Argument(ArgType.PTR, value)
    raise UsageError(repr(value), "is not an int, a Buffer or an Argument",
                     "Pass integers, Buffer(bytes) or wire.Argument objects")


_F_SETPIPE_SZ = 1031  # Linux fcntl: a pipe's capacity


def _widen_pipes(process: subprocess.Popen[bytes]) -> None:
    """Give both pipes up to 1 MiB of capacity, so a large buffer crosses in one hand-off
    instead of sixteen (Linux; elsewhere, and past pipe-max-size, nothing changes)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return
    for stream in (process.stdin, process.stdout):
        try:
            fcntl.fcntl(stream.fileno(), _F_SETPIPE_SZ, 1 << 20)  # type: ignore[union-attr]
        except OSError:
            pass  # pipe-max-size is lower here: the default capacity still works


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def describe(result: CallResult, info: SurrogateInfo) -> dict[str, Any]:
    """The CLI's JSON for one call."""
    return {"result": result.result, "surrogate": info.kind, "pid": info.pid,
            "pointer_size": info.pointer_size, "seconds": result.seconds,
            "buffers": [b.hex() for b in result.buffers]}
