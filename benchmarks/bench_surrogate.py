"""Benchmark: a call through the 32-bit surrogate against the floor of any pipe protocol.

    python benchmarks/bench_surrogate.py [--calls 3000] [--starts 40]

In one run, on this machine:

* ping-pong: a 16-byte frame written to a tiny echo process of the same kind (the kit's
  ``pipeecho-i386``, built like the surrogate) and read back, with plain os.write/os.read;
* scalar call: ``add(2, 3)`` through the 32-bit surrogate with the kit's client
  (``Surrogate.call``: encode, frame, write, read with timeout, decode);
* start-up: spawning the surrogate until its first answered call;
* throughput: ``checksum`` over a 1 MiB in-buffer through the surrogate.

Targets (issue 6): the scalar call at most 3x the ping-pong (medians of one run), start-up
under 50 ms median, at least 500 MB/s for the 1 MiB in-buffer call. Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from interopkit.samples import probe_path, sample_path
from interopkit.surrogate import Surrogate
from interopkit.wire import ArgType, Argument, Kind, frame


def ping_pong(calls: int) -> list[float]:
    """Round trips of one 16-byte frame through the echo process, in seconds."""
    echo = subprocess.Popen([str(probe_path("pipeecho-i386"))], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
    assert echo.stdin is not None and echo.stdout is not None
    out, into = echo.stdin.fileno(), echo.stdout.fileno()
    message = frame(Kind.CALL, 1)
    times = []
    try:
        for _ in range(calls + 100):
            start = time.perf_counter()
            os.write(out, message)
            got = b""
            while len(got) < len(message):
                got += os.read(into, len(message) - len(got))
            times.append(time.perf_counter() - start)
    finally:
        echo.stdin.close()
        echo.wait()
        echo.stdout.close()
    return times[100:]  # after a warm-up


def scalar_calls(calls: int) -> list[float]:
    """``add`` through the 32-bit surrogate, in seconds per call."""
    with Surrogate(sample_path("windows", "x86")) as hosted:
        for _ in range(100):
            hosted.call("add", 2, 3, returns=ArgType.INT32)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            hosted.call("add", 2, 3, returns=ArgType.INT32)
            times.append(time.perf_counter() - start)
    return times


def start_ups(count: int) -> list[float]:
    """Spawn to first answered call, in seconds."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        hosted = Surrogate(sample_path("windows", "x86"))
        hosted.call("add", 2, 3)
        times.append(time.perf_counter() - start)
        hosted.close()
    return times


def throughput(repeats: int = 20) -> float:
    """Bytes per second of a 1 MiB in-buffer call (median)."""
    data = bytes(range(256)) * 4096
    with Surrogate(sample_path("windows", "x86")) as hosted:
        hosted.call("checksum", Argument(ArgType.IN, data), len(data), returns=ArgType.INT32)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            hosted.call("checksum", Argument(ArgType.IN, data), len(data),
                        returns=ArgType.INT32)
            times.append(time.perf_counter() - start)
    return len(data) / statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--starts", type=int, default=40)
    args = parser.parse_args()
    pong = statistics.median(ping_pong(args.calls))
    call = statistics.median(scalar_calls(args.calls))
    start = statistics.median(start_ups(args.starts))
    rate = throughput()
    print(f"ping-pong with pipeecho-i386 : {pong * 1e6:7.1f} us median round trip")
    print(f"add() via 32-bit surrogate   : {call * 1e6:7.1f} us median ({call / pong:.2f}x the "
          "ping-pong)")
    print(f"start-up (spawn to 1st call) : {start * 1e3:7.1f} ms median")
    print(f"1 MiB in-buffer call         : {rate / 1e6:7.0f} MB/s")
    targets = {"scalar call <= 3x ping-pong": call <= 3 * pong,
               "start-up < 50 ms": start < 0.050, "1 MiB at >= 500 MB/s": rate >= 500e6}
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'NOT met'}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
