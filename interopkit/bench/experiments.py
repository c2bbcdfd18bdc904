"""The timed experiments: one call, made eight ways, from in-process to another bitness.

Every experiment does the same work at each payload size: ``add(2, 3)`` for 0 bytes, and
``checksum`` over an [in] buffer of that many bytes otherwise, on the kit's sample library.

* ``native_inproc``: a direct ctypes call into this OS's build of the library;
* ``marshal_inproc``: the call encoded, decoded as the surrogate would, answered and the
  reply decoded, by the kit's wire format, without leaving the process (marshaling alone);
* ``pipe_baseline``: a raw ping-pong of a frame of the same size with the kit's echo program
  (32-bit, built like the surrogate): the floor for any pipe protocol on this machine;
* ``surrogate_same_bitness``: through the kit's 64-bit surrogate (x64 DLL);
* ``surrogate_cross_bitness``: through the kit's 32-bit surrogate (x86 DLL);
* ``emulated``: the x86 DLL run on the kit's emulator in this process;
* ``msl_loadlib``: the same calls through msl-loadlib's Client64 and 32-bit Server32, the
  best-known Python peer (only where msl-loadlib is installed and its server starts);
* ``real_com``: real COM, ISample's Add and Checksum from a 64-bit client to the kit's 32-bit
  COM server in dllhost (under Wine on Linux: both bitnesses of Wine needed), timed inside the
  client (``interopkit.bench.realcom``).

``EXPERIMENTS[name].open()`` is a context manager giving ``call(payload: bytes)``, timed by
``interopkit.bench.harness`` in this process; an experiment whose calls are made by another
process (``real_com``) has ``inside`` instead, which times every payload there and hands back
the per-call times (``Timed``). ``available(name)`` says why an experiment cannot run here
(None when it can). Taught in notebook 07.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from interopkit.errors import HostError, InteropKitError
from interopkit.kit.samples import PACKAGE_DIR, probe_path, sample_path
from interopkit.surrogate.wire import (
    ArgType,
    Argument,
    Kind,
    decode_call,
    decode_reply,
    encode_call,
    encode_reply,
    encode_scalars,
    frame,
    header,
)

__all__ = ["EXPERIMENTS", "Experiment", "Timed", "available"]

Call = Callable[[bytes], object]


@dataclass(frozen=True)
class Timed:
    """Per-call times taken inside another process, at every payload of one run."""

    samples: Mapping[int, tuple[float, ...]]
    """Payload bytes -> seconds of each timed call (each call timed alone)."""
    about: Mapping[str, Any] = field(default_factory=dict)
    """How and where they were timed, for the run's host record (the timer, the platform,
    the one-off activation)."""


@dataclass(frozen=True)
class Experiment:
    """One way to make the call."""

    name: str
    """Its name in results."""
    description: str
    """What it measures, in a line."""
    open: Callable[[], AbstractContextManager[Call]] | None
    """Sets it up; gives ``call(payload)``, timed by this process. None when ``inside``."""
    inside: Callable[[Sequence[int], int, float], Timed] | None = None
    """For calls made and timed by another process: ``inside(payloads, repeats,
    cap_seconds)`` times them all there, following the harness's plan."""


def _request(payload: bytes) -> bytes:
    """The CALL payload the surrogate client sends for this payload."""
    if not payload:
        return encode_scalars("add", (ArgType.INT32, ArgType.INT32), (2, 3), ArgType.INT32)
    return encode_call("checksum", [Argument(ArgType.IN, payload),
                                    Argument(ArgType.INT32, len(payload))], ArgType.INT32)


@contextlib.contextmanager
def _native() -> Iterator[Call]:
    from interopkit.emulation.native import native_sample

    lib = ctypes.CDLL(str(native_sample()))
    add, checksum = lib.add, lib.checksum
    add.argtypes, add.restype = (ctypes.c_int32, ctypes.c_int32), ctypes.c_int32
    checksum.argtypes, checksum.restype = (ctypes.c_char_p, ctypes.c_uint32), ctypes.c_uint32
    yield lambda payload: checksum(payload, len(payload)) if payload else add(2, 3)


@contextlib.contextmanager
def _marshal() -> Iterator[Call]:
    # As the client and the surrogate do it: the header is packed apart from the payload
    # (the client writes both with one writev), so the payload is not copied into a frame.
    def call(payload: bytes) -> int:
        request = _request(payload)
        header(Kind.CALL, 1, len(request))
        decode_call(request)  # what the surrogate reads
        reply = encode_reply(5, [])
        header(Kind.REPLY, 1, len(reply))
        return decode_reply(reply, 0)[0]

    yield call


@contextlib.contextmanager
def _pipe() -> Iterator[Call]:
    echo = subprocess.Popen([str(probe_path("pipeecho-i386"))], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
    assert echo.stdin is not None and echo.stdout is not None
    out, into = echo.stdin.fileno(), echo.stdout.fileno()
    frames: dict[int, bytes] = {}

    def call(payload: bytes) -> None:
        message = frames.get(len(payload))
        if message is None:
            message = frames[len(payload)] = frame(Kind.CALL, 1, _request(payload))
        view = memoryview(message)
        while view:
            view = view[os.write(out, view):]
        left = len(message)
        while left:
            left -= len(os.read(into, left))

    try:
        yield call
    finally:
        echo.stdin.close()
        echo.wait(timeout=10)
        echo.stdout.close()


def _surrogate(arch: str) -> Callable[[], AbstractContextManager[Call]]:
    @contextlib.contextmanager
    def opened() -> Iterator[Call]:
        from interopkit.surrogate.client import Surrogate

        with Surrogate(sample_path("windows", arch)) as hosted:
            def call(payload: bytes) -> int:
                if not payload:
                    return hosted.call("add", 2, 3, returns=ArgType.INT32).result
                return hosted.call("checksum", Argument(ArgType.IN, payload), len(payload),
                                   returns=ArgType.INT32).result

            yield call

    return opened


@contextlib.contextmanager
def _emulated() -> Iterator[Call]:
    from interopkit.surrogate.emulated import Host

    host = Host(str(sample_path("windows", "x86")), 32)
    two, three = Argument(ArgType.INT32, 2), Argument(ArgType.INT32, 3)

    def call(payload: bytes) -> int:
        if not payload:
            return host.call("add", [two, three], ArgType.INT32)[0]
        return host.call("checksum", [Argument(ArgType.IN, payload),
                                      Argument(ArgType.INT32, len(payload))], ArgType.INT32)[0]

    yield call


@contextlib.contextmanager
def _msl() -> Iterator[Call]:
    from msl.loadlib import Client64

    client = Client64(module32="msl_sample32", append_sys_path=str(PACKAGE_DIR / "peers"),
                      path=str(_msl_library()), timeout=15)
    try:
        yield lambda payload: (client.request32("checksum", payload) if payload
                               else client.request32("add", 2, 3))
    finally:
        client.shutdown_server32()


def _msl_library() -> str:
    from interopkit.kit.host import host_info

    return str(sample_path("windows", "x86") if host_info().os == "windows"
               else sample_path("linux", "i386"))


def _real_com(payloads: Sequence[int], repeats: int, cap_seconds: float) -> Timed:
    from interopkit.bench import realcom

    return realcom.measure(payloads, repeats, cap_seconds)


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("native_inproc", "a direct ctypes call into this OS's build of the library",
               _native),
    Experiment("marshal_inproc", "the kit's encoding and decoding of the call, in process",
               _marshal),
    Experiment("pipe_baseline", "a raw ping-pong of the same frame with a 32-bit echo process",
               _pipe),
    Experiment("surrogate_same_bitness", "through the kit's 64-bit surrogate",
               _surrogate("x64")),
    Experiment("surrogate_cross_bitness", "through the kit's 32-bit surrogate",
               _surrogate("x86")),
    Experiment("emulated", "the x86 DLL on the kit's emulator, in this process", _emulated),
    Experiment("msl_loadlib", "msl-loadlib's Client64 and 32-bit Server32 (optional)", _msl),
    Experiment("real_com", "real COM: a 64-bit client calls the 32-bit server in dllhost, timed "
               "inside the client (Wine on Linux)", None, _real_com),
)}
"""The experiments, in the order they run and are charted."""


def available(name: str) -> str | None:
    """Why ``name`` cannot run on this machine, or None when it can."""
    if name == "pipe_baseline":
        try:
            probe_path("pipeecho-i386")
        except HostError as exc:
            return str(exc)
        from interopkit.kit.host import host_info

        return None if host_info().os == "linux" else "the kit's echo program is Linux-only"
    if name == "msl_loadlib":
        return _msl_reason()
    if name == "real_com":
        from interopkit.bench import realcom

        return realcom.available()
    if name == "native_inproc":
        try:
            from interopkit.emulation.native import native_sample

            native_sample()
        except InteropKitError as exc:
            return str(exc)
    return None


@cache
def _msl_reason() -> str | None:
    """msl-loadlib's server is started once to see whether it can run here."""
    if importlib.util.find_spec("msl") is None or \
            importlib.util.find_spec("msl.loadlib") is None:
        return "msl-loadlib is not installed (pip install msl-loadlib)"
    try:  # a server that cannot even start would otherwise cost Client64's whole timeout
        from msl.loadlib import _constants, server32

        server = os.path.join(os.path.dirname(server32.__file__), _constants.server_filename)
        subprocess.run([server, "--help"], capture_output=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError, ImportError, AttributeError) as exc:
        return f"msl-loadlib's 32-bit server cannot run here ({exc.__class__.__name__}: {exc})"
    try:
        with _msl() as call:
            if call(b"") != 5:
                return "msl-loadlib's server answered add(2, 3) wrongly"
    except Exception as exc:  # noqa: BLE001 - any failure of the optional peer means "skip"
        return f"msl-loadlib's 32-bit server did not start ({exc.__class__.__name__}: " \
               f"{str(exc).splitlines()[0] if str(exc) else ''})"
    return None
