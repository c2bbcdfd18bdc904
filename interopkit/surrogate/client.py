"""The 64-bit client's side of a DLL surrogate: start it, call exports through it, stop it.

``Surrogate(dll)`` starts a surrogate process of the DLL's own bitness, which loads the DLL and
calls its exports for us. Which program that is depends on the machine (``kind``):

* ``native``: the kit's surrogate (``interopkit/csrc/surrogate.c``) built for this OS. On
  64-bit Linux an x86 DLL thus runs in a real 32-bit process; on Windows the surrogate loads
  the DLL with ``LoadLibraryW``, as dllhost.exe does.
* ``wine``: the Windows x86 or x64 build of the same program under Wine (``interopkit.kit.wine``),
  so that its ``LoadLibraryW`` path runs on Linux too, in both bitnesses.
* ``emulated``: a Python process running the DLL on the kit's emulator
  (``interopkit.surrogate.emulated``), for machines that cannot run the native one (macOS, ARM64
  Linux, a kernel without 32-bit support). It speaks the same protocol.

``auto`` (the default) picks native where it can run and emulated elsewhere, and every output
names the kind. Frames travel over the child's stdin and stdout in the format of
``interopkit.surrogate.wire`` (``interopkit.surrogate.pipes`` moves them): no socket, no pickle.
Calls from several threads are serialised; every read and write has a deadline and every wait a
timeout; a surrogate that dies is reported with its exit status and the last lines of its stderr
(which a thread drains as it is written), never waited for. A request larger than the wire allows is
refused before it is sent. Bytes from the surrogate that are not the reply asked for (a hosted
DLL writing to stdout, or forging frames) stop the surrogate with a SurrogateError that says
so. A surrogate ends with its client, even in the middle of a call
(``interopkit.surrogate.pipes.spawn``: a parent-death signal on Linux, a job object on Windows).
Taught in notebook 05.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from interopkit.emulation.emulator import Buffer
from interopkit.errors import HostError, SurrogateError, UsageError
from interopkit.images.inspection import inspect
from interopkit.images.machine import Machine
from interopkit.kit import wine
from interopkit.kit.host import can_run_x86_32, host_info
from interopkit.kit.samples import probe_path
from interopkit.surrogate.pipes import Channel, Drain, end, parent_death_prefix, spawn
from interopkit.surrogate.wire import (
    HEADER,
    MAGIC,
    MAX_PAYLOAD,
    VERSION,
    ArgType,
    Argument,
    Kind,
    Status,
    decode_reply,
    encode_call,
    encode_scalars,
    header,
)
from interopkit.winerror import WinError

__all__ = ["KINDS", "CallResult", "Surrogate", "SurrogateInfo", "choose_kind", "describe"]

KINDS = ("auto", "native", "wine", "emulated")
"""What may host the DLL: see the module's description."""

_HOSTED = (Machine.I386, Machine.AMD64, Machine.ARM64)  # ARM64: emulated only
_NATIVE = {("linux", 32): "surrogate-i386", ("linux", 64): "surrogate-x86_64",
           ("windows", 32): "surrogate_x86.exe", ("windows", 64): "surrogate_x64.exe"}
_REMEDIES = {
    Status.UNKNOWN_EXPORT: "Check the export's name (x86 stdcall names end in @N)",
    Status.FAULT: "The emulated CPU stopped at the fault; the surrogate is still running",
    Status.TOO_LARGE: "Send at most 64 MiB in one call",
}
_UNPACK = HEADER.struct.unpack
_STATUSES = {int(status): status for status in Status}  # a dict: Status(n) costs far more
_REPLY = (MAGIC, VERSION, int(Kind.REPLY))
_START_TIMEOUT = {"wine": 120.0, "emulated": 30.0}  # Wine may be making its prefix
_HELLO_FIELDS = ("pid", "pointer_size", "arch", "os", "loader", "image_base", "relocated")
_RESTART = "The surrogate was stopped; the next call starts a new one"


@dataclass(frozen=True)
class SurrogateInfo:
    """What the running surrogate says about itself."""

    pid: int
    """Its process id (under Wine, Wine's own number for it)."""
    pointer_size: int
    """4 or 8: measured by the surrogate process itself (emulated: the emulated CPU's)."""
    arch: str
    """``i386`` or ``x86_64`` (or ``aarch64``, emulated)."""
    os: str
    """The API the surrogate was built for: ``linux`` or ``windows``."""
    loader: str
    """What mapped the DLL: ``LoadLibraryW``, the kit's PE loader, or the emulator's."""
    image_base: int
    """Where the DLL was mapped."""
    relocated: bool
    """True when the DLL could not have its preferred base."""
    kind: str
    """``native-32``, ``native-64``, ``wine-32``, ``wine-64`` or ``emulated``."""


@dataclass(frozen=True, slots=True)
class CallResult:
    """One call through the surrogate."""

    result: int
    """The return value as the surrogate read it (unsigned, of the requested type)."""
    buffers: tuple[bytes, ...]
    """Each in-out and out buffer after the call."""
    seconds: float
    """Round-trip time, from sending the request to reading the reply."""

    def __repr__(self) -> str:
        # A buffer of 8,000 bytes would bury the result: long buffers show as their length.
        shown = [repr(b) if len(b) <= 32 else f"<{len(b):,} bytes>" for b in self.buffers]
        buffers = f"({shown[0]},)" if len(shown) == 1 else f"({', '.join(shown)})"
        return f"CallResult(result={self.result}, buffers={buffers}, seconds={self.seconds:.6f})"


def choose_kind(bits: int) -> str:
    """``native`` where this machine can run the kit's surrogate of ``bits``, else
    ``emulated``."""
    info = host_info()
    if info.os == "windows" and info.cpu in ("x86_64", "aarch64"):
        return "native"  # WOW64 runs the 32-bit one; Windows 11 on Arm emulates both
    if info.os == "linux" and info.cpu == "x86_64" and (bits == 64 or can_run_x86_32().ran):
        return "native"
    return "emulated"


class Surrogate:
    """A surrogate process hosting one DLL, started on first use."""

    def __init__(self, dll: str | os.PathLike[str], bitness: int | None = None,
                 timeout: float = 10.0, kind: str = "auto") -> None:
        self.dll = str(dll)
        image = inspect(dll)
        hostable = image.format == "PE" and image.machine in _HOSTED and (
            kind == "emulated" or image.machine is not Machine.ARM64)
        if not hostable:
            raise SurrogateError(self.dll, f"is a {image.format} {image.machine_name} image",
                                 "The surrogate hosts x86 and x64 Windows DLLs (and, emulated, "
                                 "ARM64 ones)", WinError.ERROR_BAD_EXE_FORMAT)
        if bitness not in (None, 32, 64):
            raise UsageError(f"bitness={bitness}", "is not 32 or 64", "Give 32 or 64")
        if kind not in KINDS:
            raise UsageError(f"kind={kind!r}", "is not a surrogate kind",
                             f"Use one of {', '.join(KINDS)}")
        # A DLL of the other bitness is passed on: the surrogate itself refuses it, for real.
        self.bits: int = bitness or image.machine.bits  # type: ignore[union-attr]
        self.kind = choose_kind(self.bits) if kind == "auto" else kind
        self.command = _command(self.kind, self.bits, self.dll)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: Channel | None = None
        self._stderr: Drain | None = None
        self._own_group = self.kind != "wine"  # Wine's helper processes are Wine's business
        self._next_id = 0
        self.info: SurrogateInfo | None = None
        self.trace: list[tuple[str, bytes]] | None = None
        """Set to a list to record every frame as it travels: ("sent" or "received", bytes)."""

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> SurrogateInfo:
        """Start the surrogate (if it is not running) and read its HELLO."""
        with self._lock:
            return self._ensure_started()

    def _ensure_started(self) -> SurrogateInfo:
        if self._process is not None and self.info:
            if self._process.poll() is None:
                return self.info
            raise self._died()  # it ended between calls: say so once; the next call restarts
        try:
            self._process = spawn(self.command, self._own_group)
        except OSError as exc:
            raise HostError(self.command[0], f"could not be started ({exc.strerror or exc})",
                            "Run interopkit doctor to see what this machine can run") from exc
        assert self._process.stderr is not None
        self._stderr = Drain(self._process.stderr)
        self._finalizer = weakref.finalize(self, _stop, self._process, self._stderr,
                                           self._own_group)
        self._channel = Channel(self._process)
        _widen_pipes(self._process)
        status, payload = self._exchange(Kind.HELLO, b"",
                                         _START_TIMEOUT.get(self.kind, self.timeout))
        if status is not Status.OK:
            self._stop_process()
            message = payload.decode("utf-8", "replace")
            raise SurrogateError(f"the {self.bits}-bit {self.kind} surrogate", message,
                                 "Host the DLL in a surrogate of its own bitness"
                                 if "193" in message else "Check the DLL", _code_in(message))
        self.info = self._hello(payload)
        return self.info

    def _hello(self, payload: bytes) -> SurrogateInfo:
        """The HELLO's JSON as a SurrogateInfo; a SurrogateError naming what is wrong with it
        (hosted code that writes to stdout while it loads can forge one)."""
        try:
            report = json.loads(payload)
            missing = [name for name in _HELLO_FIELDS if name not in report]
            if missing:
                raise KeyError(", ".join(missing))
            return SurrogateInfo(
                int(report["pid"]), int(report["pointer_size"]), str(report["arch"]),
                str(report["os"]), str(report["loader"]), int(report["image_base"], 16),
                bool(report["relocated"]),
                "emulated" if self.kind == "emulated" else f"{self.kind}-{self.bits}")
        except (ValueError, KeyError, TypeError) as exc:
            self._stop_process()
            what = f"lacks {exc}" if isinstance(exc, KeyError) else \
                "is not JSON" if isinstance(exc, json.JSONDecodeError) else f"is wrong ({exc})"
            raise SurrogateError(self._label, f"sent a HELLO that {what}: {payload[:80]!r}",
                                 "The hosted DLL wrote to stdout, which carries the frames (in "
                                 f"DllMain?). {_RESTART}") from exc

    def close(self) -> None:
        """Ask the surrogate to exit; kill it if it does not within a second."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                try:
                    self._write(header(Kind.BYE, 0, 0), b"", time.monotonic() + 1.0)
                    self._process.wait(timeout=1.0)
                except (SurrogateError, subprocess.TimeoutExpired):
                    pass
            self._stop_process()

    @property
    def _label(self) -> str:
        return f"the {self.bits}-bit {self.kind} surrogate hosting {os.path.basename(self.dll)}"

    def kill(self) -> None:
        """End the surrogate process abruptly, as a crash would (for lessons and tests): the
        next call reports it, and the one after starts a new surrogate."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                end(self._process, self._own_group)

    def _stop_process(self) -> None:
        if self._process is not None:
            self._finalizer.detach()
            _stop(self._process, self._stderr, self._own_group)
        self._process, self._channel, self._stderr, self.info = None, None, None, None

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
        if all(type(arg) is int for arg in args):  # the common case, without Argument objects
            arguments: list[Argument] = []
            payload = encode_scalars(export, (ArgType.PTR,) * len(args), args, returns)
        else:
            arguments = [_argument(arg) for arg in args]
            payload = encode_call(export, arguments, returns)
            _check_sizes(export, payload, arguments)
        with self._lock:
            self._ensure_started()
            start = time.perf_counter()
            status, reply = self._exchange(Kind.CALL, payload)
            seconds = time.perf_counter() - start
        if status is not Status.OK:
            raise SurrogateError(f"{export} in {self._label}",
                                 f"failed ({status.name}): {reply.decode('utf-8', 'replace')}",
                                 _REMEDIES.get(status, "Check the export's arguments"),
                                 WinError.ERROR_PROC_NOT_FOUND
                                 if status is Status.UNKNOWN_EXPORT else None)
        count = sum(1 for a in arguments if a.type in (ArgType.INOUT, ArgType.OUT))
        if not count and len(reply) == 8:  # a scalar result: the common case
            return CallResult(int.from_bytes(reply, "little"), (), seconds)
        result, buffers = decode_reply(reply, count)
        return CallResult(result, tuple(buffers), seconds)

    def _exchange(self, kind: Kind, payload: bytes,
                  timeout: float | None = None) -> tuple[Status, bytes]:
        self._next_id = (self._next_id + 1) % (1 << 32)
        sent = header(kind, self._next_id, len(payload))
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        self._write(sent, payload, deadline)
        raw = self._read(HEADER.size, deadline)
        magic, version, reply_kind, call_id, status, length = _UNPACK(raw)
        if (magic, version, reply_kind) != _REPLY:
            raise self._damaged(f"sent bytes that are not a reply frame ({raw!r})",
                                "The hosted DLL wrote to stdout, which carries the frames")
        if call_id != self._next_id:
            raise self._damaged(f"answered call {call_id} when call {self._next_id} was asked",
                                "The hosted DLL wrote a frame of its own to stdout")
        if length > MAX_PAYLOAD:
            raise self._damaged(f"announced a reply of {length} bytes, more than the wire's "
                                f"{MAX_PAYLOAD >> 20} MiB", "A damaged stream")
        reply = self._read(length, deadline)
        if self.trace is not None:
            self.trace += [("sent", sent + payload), ("received", raw + reply)]
        known = _STATUSES.get(status)
        if known is None:
            raise self._damaged(f"answered with status {status}, which the wire does not define "
                                f"({reply[:60]!r})", "The hosted DLL wrote a frame of its own")
        return known, reply

    def _damaged(self, problem: str, cause: str) -> SurrogateError:
        """Stop a surrogate whose stream cannot be trusted any more, and say what was seen."""
        self._stop_process()
        return SurrogateError(self._label, problem, f"{cause}. {_RESTART}")

    def _write(self, header: bytes, payload: bytes, deadline: float) -> None:
        """Send a frame: its header (with the payload's length in it) and the payload."""
        assert self._channel is not None
        try:
            self._channel.write((header, payload), deadline)
        except TimeoutError:
            self._stop_process()
            raise SurrogateError(self._label, f"did not take the request within "
                                 f"{self.timeout:g} s", _RESTART) from None
        except OSError as exc:
            raise self._died() from exc

    def _read(self, size: int, deadline: float | None = None) -> bytes:
        assert self._channel is not None
        try:
            return self._channel.read(size, deadline or time.monotonic() + self.timeout)
        except EOFError:
            raise self._died() from None
        except TimeoutError:
            self._stop_process()
            raise SurrogateError(self._label, f"did not answer within {self.timeout:g} s",
                                 _RESTART) from None

    def _died(self) -> SurrogateError:
        """The error for a surrogate whose pipe ended: how it ended and its last words. It is
        waited for at most a second: one that closed its pipes and lives on is stopped."""
        process, drain = self._process, self._stderr
        status: int | None = None
        if process is not None:
            try:
                status = process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                status = None
        self._stop_process()  # ends the drain too: its tail is complete
        stderr = drain.tail[-300:].strip() if drain is not None else ""
        detail = f": {stderr}" if stderr else ""
        if status is None:
            return SurrogateError(self._label, f"closed its end of the pipes and kept running"
                                  f"{detail}", "The hosted DLL closed stdin or stdout, which "
                                  f"carry the frames. {_RESTART}")
        return SurrogateError(self._label, f"ended ({_exit_status(status)}){detail}",
                              "A fault in the DLL, or a kill, ends a surrogate; the next call "
                              "starts a new one")


def _command(kind: str, bits: int, dll: str) -> list[str]:
    """The command line that starts a surrogate of ``kind`` and ``bits`` hosting ``dll``."""
    if kind == "emulated":  # "--": a DLL path that starts with "-" is not an option
        return [sys.executable, "-m", "interopkit.surrogate.emulated", "--bits", str(bits),
                "--", dll]
    if kind == "wine":
        launch = wine.launcher(bits)
        if not launch:
            raise HostError(f"{bits}-bit Wine ({'wine32' if bits == 32 else 'wine64'})",
                            "is not installed", f"Run {wine.SETUP_COMMAND}, or use "
                            "kind='native' or 'emulated'")
        # Wine cannot ask for a parent-death signal itself: setpriv asks, then runs it
        exe = "surrogate_x86.exe" if bits == 32 else "surrogate_x64.exe"
        return [*parent_death_prefix(), *launch, str(probe_path(exe)), wine.windows_path(dll)]
    info = host_info()
    name = _NATIVE.get((info.os, bits))
    if name is None or (info.os == "linux" and info.cpu != "x86_64"):
        raise HostError(f"{info.os}/{info.cpu}", "has no native surrogate",
                        "Use kind='emulated' (or 'auto', which picks it here)")
    return [str(probe_path(name)), dll]


def _exit_status(status: int | None) -> str:
    """An exit status as the OS means it: a POSIX signal, or on Windows an exception code."""
    if isinstance(status, int) and status < 0:
        return f"signal {-status}"
    if isinstance(status, int) and status > 0xFFFF and status in WinError._value2member_map_:
        return f"status {WinError(status).describe()}"
    return f"status {status}"


def _code_in(message: str) -> WinError | None:
    """The Windows error a surrogate's message names, if any."""
    for code in (WinError.ERROR_BAD_EXE_FORMAT, WinError.ERROR_MOD_NOT_FOUND,
                 WinError.ERROR_FILE_NOT_FOUND):
        if code.name in message:
            return code
    return None


def _check_sizes(export: str, payload: bytes, arguments: list[Argument]) -> None:
    """Refuse, before anything is sent, a call whose request or reply would be larger than
    the wire allows (the surrogate would refuse it only after reading it all)."""
    returned = 8 + sum(4 + size + -size % 4 for size in (
        len(a.value) if isinstance(a.value, (bytes, bytearray, memoryview)) else int(a.value)
        for a in arguments if a.type in (ArgType.INOUT, ArgType.OUT)))
    for what, size in (("send a request", len(payload)), ("get a reply", returned)):
        if size > MAX_PAYLOAD:
            raise UsageError(f"a call to {export}", f"would {what} of {size} bytes, more than "
                             f"the wire's limit of {MAX_PAYLOAD >> 20} MiB ({MAX_PAYLOAD} "
                             "bytes) per call",
                             "Split the data into several calls of at most 64 MiB each")


def _argument(value: int | Buffer | Argument) -> Argument:
    if isinstance(value, Argument):
        return value
    if isinstance(value, Buffer):
        return Argument(ArgType.INOUT, value.data)
    if isinstance(value, int) and not isinstance(value, bool):
        return Argument(ArgType.PTR, value)
    shown = repr(value)
    if len(shown) > 60:  # a list of readings or a bytes object would fill the screen
        shown = f"{shown[:40]}... ({type(value).__name__} of {len(shown):,} characters)"
    raise UsageError(shown, "is not an int, a Buffer or an Argument",
                     "Pass integers, Buffer(bytes) for bytes in and out, or wire.Argument "
                     "objects")


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


def _stop(process: subprocess.Popen[bytes], drain: Drain | None, own_group: bool) -> None:
    """End the process (and its group), its stderr's reader and its pipes, each wait bounded
    (the reader closes stderr itself: it may still be reading what a grandchild writes)."""
    end(process, own_group)
    if drain is not None:
        drain.stop(timeout=1.0)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def describe(result: CallResult, info: SurrogateInfo) -> dict[str, Any]:
    """The CLI's JSON for one call."""
    return {"result": result.result, "surrogate": info.kind, "pid": info.pid,
            "pointer_size": info.pointer_size, "arch": info.arch, "os": info.os,
            "loader": info.loader, "seconds": result.seconds,
            "buffers": [b.hex() for b in result.buffers]}
