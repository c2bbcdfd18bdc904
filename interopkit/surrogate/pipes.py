"""Frames over a child process's pipes, written and read by a deadline; a child that ends
with its client.

The surrogate client speaks through its child's stdin and stdout. On POSIX a pipe can be
polled, so a read waits with ``poll`` and a frame is written with ``os.writev`` (a 1 MiB
payload is never copied into one buffer). Windows cannot poll an anonymous pipe, so there a
reader thread moves bytes into a buffer and a read waits on it with a timeout. Either way a read
never blocks past its deadline, and a child that died is noticed within a quarter of a second
even if something else still holds its pipe open. ``INTEROPKIT_PIPE_THREAD=1`` makes POSIX
use the reader thread too (the tests run the Windows way of reading here).

A write has a deadline too on POSIX: our end of the child's stdin is non-blocking, so a child
that stops reading cannot hold the client in ``write()``. (On Windows a write to an anonymous
pipe blocks; the client kills a surrogate that misses its deadline, which ends the write.)
``Drain`` empties a child's stderr as it is written, keeping the last few KiB for error
messages: a pipe nobody reads fills at 64 KiB and then stops the child.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO

if sys.platform == "win32":  # pragma: no cover - the job objects' types
    from ctypes import wintypes

__all__ = ["CLIENT_PID", "Channel", "Drain", "end", "parent_death_prefix", "spawn"]

_TICK = 0.25  # how often a waiting read checks that the child is alive
_SMALL = 1 << 12  # frames up to this size are joined and written at once


class Channel:
    """The two pipes of one child process."""

    def __init__(self, process: subprocess.Popen[bytes], threaded: bool | None = None) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._in, self._out = process.stdin.fileno(), process.stdout.fileno()
        self._alive: Callable[[], bool] = lambda: process.poll() is None
        self._kill = process.kill
        if threaded is None:
            threaded = os.name == "nt" or bool(os.environ.get("INTEROPKIT_PIPE_THREAD"))
        self._threaded = threaded
        self._pending = bytearray()  # filled by the reader thread
        self._kept = b""  # read ahead by the polling reader
        self._ready = threading.Condition()
        self._ended = False
        if self._threaded:  # the thread reads its own duplicate: closing ours cannot affect it
            threading.Thread(target=self._pump, args=(os.dup(self._out),), daemon=True,
                             name="interopkit-pipe").start()
        else:
            self._poll = select.poll()  # made once: a poll per read costs a few microseconds
            self._poll.register(self._out, select.POLLIN)
        self._writable: select.poll | None = None
        if hasattr(select, "poll") and hasattr(os, "writev"):
            os.set_blocking(self._in, False)  # our end only: the child's end is another file
            self._writable = select.poll()
            self._writable.register(self._in, select.POLLOUT)

    def write(self, parts: Sequence[bytes | memoryview], deadline: float | None = None) -> None:
        """Write every part, in order; OSError (BrokenPipeError) when the child has gone,
        TimeoutError when it has not taken the bytes by ``deadline`` (POSIX)."""
        if sum(len(part) for part in parts) <= _SMALL:  # one copy, one write: most frames
            data = b"".join(parts)
            try:
                written = os.write(self._in, data)
            except BlockingIOError:
                written = 0
            if written == len(data):
                return
            pending = [memoryview(data)[written:]]
        else:
            pending = [memoryview(part) for part in parts if len(part)]
        if self._writable is None and deadline is not None:
            self._write_watched(pending, deadline)
            return
        while pending:
            try:
                written = os.writev(self._in, pending) if self._writable else \
                    os.write(self._in, pending[0])
            except BlockingIOError:
                self._wait_writable(deadline)
                continue
            while pending and written >= len(pending[0]):
                written -= len(pending.pop(0))
            if pending and written:
                pending[0] = pending[0][written:]

    def _write_watched(self, pending: list[memoryview], deadline: float) -> None:
        """Windows: a write to an anonymous pipe blocks, so a timer kills a child that has not
        taken a large frame by the deadline, which ends the write. (A small frame fits in the
        pipe's buffer: the child has read every earlier request before it replied.)"""
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            self._kill()

        watchdog = threading.Timer(max(deadline - time.monotonic(), 0), kill)
        watchdog.daemon = True
        watchdog.start()
        try:
            for part in pending:
                _write_all(self._in, part)
        except OSError:
            if fired.is_set():
                raise TimeoutError("the child did not take the frame by the deadline") from None
            raise
        finally:
            watchdog.cancel()

    def _wait_writable(self, deadline: float | None) -> None:
        """Wait until the pipe takes bytes again, checking the child and the deadline."""
        assert self._writable is not None
        remaining = _TICK if deadline is None else deadline - time.monotonic()
        if remaining <= 0 or not self._writable.poll(1000 * min(remaining, _TICK)):
            if not self._alive():
                raise BrokenPipeError("the child process ended")
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("the child did not take the frame by the deadline")

    def read(self, size: int, deadline: float) -> bytes:
        """Exactly ``size`` bytes. EOFError when the stream ends or the child died;
        TimeoutError at ``deadline`` (a ``time.monotonic()`` value)."""
        if self._threaded:
            return self._read_buffered(size, deadline)
        # A read takes what is there (up to 64 KiB more than asked) and keeps the rest, so a
        # header and its payload usually cost one system call.
        have = self._kept
        if len(have) >= size:
            self._kept = have[size:]
            return have[:size]
        chunks, got = [have], len(have)
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._poll.poll(1000 * min(remaining, _TICK)):
                self._check(deadline)
                continue
            chunk = os.read(self._out, max(size - got, 1 << 16))
            if not chunk:
                raise EOFError("the child closed its end of the pipe")
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        if got == size:
            self._kept = b""
            return data
        self._kept = data[size:]
        return data[:size]

    def _check(self, deadline: float) -> None:
        if not self._alive():
            raise EOFError("the child process ended")
        if time.monotonic() >= deadline:
            raise TimeoutError("no answer by the deadline")

    def _read_buffered(self, size: int, deadline: float) -> bytes:
        with self._ready:
            while len(self._pending) < size:
                if self._ended:
                    raise EOFError("the child closed its end of the pipe")
                if not self._ready.wait(min(max(deadline - time.monotonic(), 0), _TICK)):
                    self._check(deadline)
            data = bytes(self._pending[:size])
            del self._pending[:size]
            return data

    def _pump(self, descriptor: int) -> None:
        chunk = b"-"
        while chunk:
            try:
                chunk = os.read(descriptor, 1 << 20)
            except OSError:
                chunk = b""
            with self._ready:
                self._pending += chunk
                self._ended = not chunk
                self._ready.notify_all()
        os.close(descriptor)


def _write_all(descriptor: int, data: memoryview) -> None:
    while data:
        data = data[os.write(descriptor, data):]


class Drain:
    """Reads a child's stream to its end in a thread, keeping only the last ``keep`` bytes.

    On POSIX the thread polls, so ``stop`` ends it within a quarter of a second even while a
    grandchild still holds the stream open; on Windows it blocks in ``read`` until the pipe
    closes (the job object ends the grandchildren), and ``stop`` waits at most ``timeout``.
    """

    def __init__(self, stream: IO[bytes], keep: int = 4096) -> None:
        self._stream, self._keep = stream, keep
        self._tail = b""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="interopkit-stderr")
        self._thread.start()

    @property
    def tail(self) -> str:
        """The last bytes read, as text."""
        return self._tail.decode("utf-8", "replace")

    def stop(self, timeout: float = 1.0) -> None:
        """Read what is already there, then end the thread (waiting at most ``timeout``)."""
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        descriptor = self._stream.fileno()
        poller = select.poll() if hasattr(select, "poll") else None
        if poller is not None:
            poller.register(descriptor, select.POLLIN)
        late = 16  # reads allowed after stop: a grandchild that never stops cannot keep us
        try:
            while late:
                late -= self._stopping.is_set()
                if poller is not None and not poller.poll(1000 * _TICK):
                    if self._stopping.is_set():
                        break
                    continue
                chunk = os.read(descriptor, 1 << 16)
                if not chunk:
                    break
                self._tail = (self._tail + chunk)[-self._keep:]
        except (OSError, ValueError):
            pass  # the stream was closed under us: nothing more to keep
        finally:
            self._stream.close()


# -- a child that ends with its client ---------------------------------------------------------

CLIENT_PID = "INTEROPKIT_CLIENT_PID"
"""The environment variable that gives a surrogate its client's process id, so that it can
tell, after asking for a parent-death signal, that the client had already gone."""

_spawner: ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def spawn(command: list[str], own_group: bool = True) -> subprocess.Popen[bytes]:
    """Start ``command`` with three pipes, as a child that ends with this process.

    * Linux: the kit's surrogates ask for a parent-death signal themselves (prctl
      PR_SET_PDEATHSIG). The kernel sends it when the *thread* that started the child ends,
      so a child is started from the main thread or from one long-lived thread of the kit's,
      never from a short-lived worker. ``setpriv --pdeathsig`` does the same for a program
      that cannot ask (Wine), when util-linux is there.
    * POSIX: with ``own_group`` the child leads a process group of its own, so that ``end``
      also ends what it started (a DLL that forks).
    * Windows: the child joins a job object of its own that kills its processes when the
      client's handle to it closes (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE): when ``end`` closes
      it, or when the client ends, however it ends. (A grandchild started in the moment before
      the child joins escapes it.) Written for Windows and not run on it by the kit's tests.
    """
    if threading.current_thread() is threading.main_thread():
        return _popen(command, own_group)
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(1, thread_name_prefix="interopkit-spawn")
    return _spawner.submit(_popen, command, own_group).result()


def parent_death_prefix() -> list[str]:
    """``setpriv --pdeathsig KILL --`` where util-linux has it (Linux), else nothing."""
    if sys.platform.startswith("linux") and shutil.which("setpriv"):
        return ["setpriv", "--pdeathsig", "KILL", "--"]
    return []


def _popen(command: list[str], own_group: bool) -> subprocess.Popen[bytes]:
    options: dict[str, object] = {}
    if os.name == "posix":
        options["env"] = {**os.environ, CLIENT_PID: str(os.getpid())}
        options["start_new_session"] = own_group
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, bufsize=0, **options)  # type: ignore[call-overload]
    if sys.platform == "win32":
        try:
            _join_job(process)
        except OSError:
            pass  # a job inside a job needs Windows 8: the child works, it may outlive us
    return process


def end(process: subprocess.Popen[bytes], own_group: bool = True, timeout: float = 5.0) -> None:
    """Kill the child (and, with ``own_group``, its process group) and reap it, waiting at
    most ``timeout``: a process that cannot die (stuck in the kernel) is left, not waited for."""
    if own_group and os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass  # the group has gone already
    if process.poll() is None:
        try:
            process.kill()
        except OSError:
            pass
    if sys.platform == "win32":
        _close_job(process)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        pass


_JOBS: dict[int, int] = {}  # Windows: process id -> handle of its job object


def _join_job(process: subprocess.Popen[bytes]) -> None:  # pragma: no cover - Windows only
    """Put the child in a job object of its own that kills its processes when the handle
    closes: when ``end`` closes it, or when this process ends and the system closes it."""
    kernel32 = _kernel32()
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        raise ctypes.WinError(ctypes.get_last_error())
    limits = _extended_limits()
    limits.BasicLimitInformation.LimitFlags = _KILL_ON_JOB_CLOSE
    if not kernel32.SetInformationJobObject(job, _EXTENDED_LIMIT_INFORMATION,
                                            ctypes.byref(limits), ctypes.sizeof(limits)) or \
            not kernel32.AssignProcessToJobObject(job, int(process._handle)):  # type: ignore[attr-defined]
        error = ctypes.get_last_error()
        kernel32.CloseHandle(job)
        raise ctypes.WinError(error)
    _JOBS[process.pid] = job


def _close_job(process: subprocess.Popen[bytes]) -> None:  # pragma: no cover - Windows only
    """Close the child's job: the system ends every process still in it (its children)."""
    job = _JOBS.pop(process.pid, None)
    if job is not None:
        _kernel32().CloseHandle(job)


def _kernel32() -> ctypes.WinDLL:  # type: ignore[name-defined]  # pragma: no cover - Windows
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = (ctypes.c_void_p, wintypes.LPCWSTR)
    kernel32.SetInformationJobObject.argtypes = (wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p,
                                                 wintypes.DWORD)
    kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    return kernel32


def _extended_limits() -> ctypes.Structure:  # pragma: no cover - Windows only
    """A JOBOBJECT_EXTENDED_LIMIT_INFORMATION, zeroed (winnt.h's layout)."""

    class Basic(ctypes.Structure):  # JOBOBJECT_BASIC_LIMIT_INFORMATION
        _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                    ("PerJobUserTimeLimit", ctypes.c_int64),
                    ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                    ("MaximumWorkingSetSize", ctypes.c_size_t),
                    ("ActiveProcessLimit", wintypes.DWORD), ("Affinity", ctypes.c_size_t),
                    ("PriorityClass", wintypes.DWORD), ("SchedulingClass", wintypes.DWORD)]

    class Extended(ctypes.Structure):
        _fields_ = [("BasicLimitInformation", Basic), ("IoInfo", ctypes.c_uint64 * 6),
                    ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                    ("PeakProcessMemoryUsed", ctypes.c_size_t),
                    ("PeakJobMemoryUsed", ctypes.c_size_t)]

    return Extended()


_KILL_ON_JOB_CLOSE = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, winnt.h
_EXTENDED_LIMIT_INFORMATION = 9  # JobObjectExtendedLimitInformation, JOBOBJECTINFOCLASS
