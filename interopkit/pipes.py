"""Frames over a child process's pipes: written without copying, read by a deadline.

The surrogate client speaks through its child's stdin and stdout. On POSIX a pipe can be
polled, so a read waits with ``poll`` and a frame is written with ``os.writev`` (a 1 MiB
payload is never copied into one buffer). Windows cannot poll an anonymous pipe, so there a
reader thread moves bytes into a buffer and a read waits on it with a timeout. Either way a read
never blocks past its deadline, and a child that died is noticed within a quarter of a second
even if something else still holds its pipe open. ``INTEROPKIT_PIPE_THREAD=1`` makes POSIX
use the reader thread too (the tests run the Windows way of reading here).
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

__all__ = ["Channel"]

_TICK = 0.25  # how often a waiting read checks that the child is alive
_SMALL = 1 << 12  # frames up to this size are joined and written at once


class Channel:
    """The two pipes of one child process."""

    def __init__(self, process: subprocess.Popen[bytes], threaded: bool | None = None) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._in, self._out = process.stdin.fileno(), process.stdout.fileno()
        self._alive: Callable[[], bool] = lambda: process.poll() is None
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

    def write(self, parts: Sequence[bytes | memoryview]) -> None:
        """Write every part, in order; OSError (BrokenPipeError) when the child has gone."""
        if not hasattr(os, "writev") or sum(len(part) for part in parts) <= _SMALL:
            _write_all(self._in, memoryview(b"".join(parts)))  # one copy of a small frame
            return
        pending = [memoryview(part) for part in parts if len(part)]
        while pending:
            written = os.writev(self._in, pending)
            while pending and written >= len(pending[0]):
                written -= len(pending.pop(0))
            if pending and written:
                pending[0] = pending[0][written:]

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
