"""Benchmark: a call through the 32-bit surrogate against the floor of any pipe protocol.

    python benchmarks/bench_surrogate.py [--calls 3000] [--starts 40]

In one run, on this machine (the first two in alternating batches):

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

from interopkit.kit.samples import probe_path, sample_path
from interopkit.surrogate.client import Surrogate
from interopkit.surrogate.wire import ArgType, Argument, Kind, frame


def round_trips(calls: int, client_cpu: int | None = None, child_cpu: int | None = None,
                rounds: int = 20) -> tuple[list[float], list[float]]:
    """Seconds per round trip of the ping-pong and of ``add`` through the 32-bit surrogate,
    measured in alternating batches so that both see the same machine (these machines are
    noisy: a median taken a minute later can differ several-fold). With CPUs given, this
    process runs on ``client_cpu`` and the echo and the surrogate on ``child_cpu``: a wake-up
    on the same CPU and one across CPUs differ by tens of microseconds, so a fair comparison
    puts both programs in the same place."""
    echo = subprocess.Popen([str(probe_path("pipeecho-i386"))], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
    assert echo.stdin is not None and echo.stdout is not None
    out, into = echo.stdin.fileno(), echo.stdout.fileno()
    message = frame(Kind.CALL, 1)

    def pong() -> None:
        os.write(out, message)
        got = b""
        while len(got) < len(message):
            got += os.read(into, len(message) - len(got))

    pongs: list[float] = []
    adds: list[float] = []
    try:
        with Surrogate(sample_path("windows", "x86")) as hosted:
            if client_cpu is not None and child_cpu is not None and hosted.info:
                os.sched_setaffinity(0, {client_cpu})
                for pid in (echo.pid, hosted.info.pid):
                    os.sched_setaffinity(pid, {child_cpu})

            def add() -> None:
                hosted.call("add", 2, 3, returns=ArgType.INT32)

            for action in (pong, add):  # warm-up
                for _ in range(100):
                    action()
            for _ in range(rounds):
                for action, times in ((pong, pongs), (add, adds)):
                    for _ in range(max(1, calls // rounds)):
                        start = time.perf_counter()
                        action()
                        times.append(time.perf_counter() - start)
    finally:
        if client_cpu is not None:
            os.sched_setaffinity(0, range(os.cpu_count() or 1))
        echo.stdin.close()
        echo.wait(5)
        echo.stdout.close()
    return pongs, adds


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
    placements: dict[str, tuple[int | None, int | None]] = {"as scheduled": (None, None)}
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        placements = {"same CPU": (0, 0), "different CPUs": (0, 1)}
    ratios = {}
    for placement, (client_cpu, child_cpu) in placements.items():
        pongs, adds = round_trips(args.calls, client_cpu, child_cpu)
        pong, call = statistics.median(pongs), statistics.median(adds)
        ratios[placement] = call / pong
        print(f"{placement:15}: ping-pong with pipeecho-i386 {pong * 1e6:6.1f} us, add() via "
              f"the 32-bit surrogate {call * 1e6:6.1f} us ({call / pong:.2f}x)")
    start = statistics.median(start_ups(args.starts))
    rate = throughput()
    print(f"start-up (spawn to 1st call) : {start * 1e3:7.1f} ms median")
    print(f"1 MiB in-buffer call         : {rate / 1e6:7.0f} MB/s")
    targets = {f"scalar call <= 3x ping-pong ({placement})": ratio <= 3
               for placement, ratio in ratios.items()}
    targets |= {"start-up < 50 ms": start < 0.050, "1 MiB at >= 500 MB/s": rate >= 500e6}
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'NOT met'}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
