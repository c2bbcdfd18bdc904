"""The benchmark harness: timed batches, honest statistics, tidy records with host information.

``run()`` opens each experiment of ``interopkit.bench.experiments`` once and times its call at every
payload size of ``PAYLOADS``: a warm-up, then repeated timed batches (several calls per batch
when one call is too short to time well), stopping at ``repeats`` batches or at the point's
time cap. Each point becomes a ``Record``: the median and interquartile range of the per-call
times, and a bootstrap confidence interval of the median for error bars. Quick mode
(``INTEROPKIT_QUICK=1``, or ``quick=True``) runs the same code with fewer repeats and a
smaller time cap. An experiment whose calls another process makes and times (``real_com``: the
COM client is a Windows program) follows the same plan there, each call timed alone; how it was
timed is kept in the run's ``host["timed_inside"]``, and a failure of it is a skip with the
reason, like an experiment this machine cannot run.

All experiments run pinned to one CPU, and the processes they start inherit that: a wake-up on
the same CPU and one across CPUs differ by tens of microseconds on these machines, which would
otherwise decide the ratios (measured in issue 6). ``compare(run, a, b, payload)`` puts two
experiments side by side with their intervals, so that a lesson phrases a relation from the
run's own numbers instead of asserting it. ``targets(run)`` gives the kit's performance targets
as measured in that run: they are the benchmark command's business (``interopkit bench``), not
a learner's. ``LEARNING_DCOM`` holds the only published COM call times the kit cites, with the
table and column each comes from. Plotting is in ``interopkit.bench.plots``; taught in notebook 07.
"""

from __future__ import annotations

import csv
import datetime
import functools
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from interopkit.errors import InteropKitError, UsageError
from interopkit.kit.quick import QUICK
from interopkit.kit.samples import data_dir

__all__ = ["LEARNING_DCOM", "PAYLOADS", "REFERENCE", "Comparison", "PublishedTime", "Record",
           "Run", "Target", "compare", "load", "make_payload", "measure", "observations",
           "published_ratio", "run", "summarize", "targets"]

PAYLOADS = (0, 16, 256, 4096, 65536, 1 << 20)
"""Payload sizes in bytes (powers of 16). 0 is the scalar call ``add(2, 3)``; the others are
``checksum`` over an [in] buffer of that size."""

def make_payload(size: int) -> bytes:
    """The [in] buffer every experiment sends at ``size`` bytes: 0..255 over each whole block of
    256 bytes, zeros after (the COM client fills its buffer the same way)."""
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


REFERENCE = data_dir() / "bench" / "reference.json"
"""The kit's recorded full run, with the host it ran on."""


@dataclass(frozen=True)
class Record:
    """One experiment at one payload size: per-call times in microseconds."""

    experiment: str
    """The experiment's name (``surrogate_cross_bitness`` ...)."""
    payload_bytes: int
    """Bytes of [in] buffer; 0 for the scalar call."""
    median_us: float
    """Median per-call time."""
    p25_us: float
    """25th percentile."""
    p75_us: float
    """75th percentile."""
    n: int
    """Timed batches behind the statistics."""
    ci_low_us: float
    """Lower end of the 95% bootstrap confidence interval of the median."""
    ci_high_us: float
    """Upper end of it."""


@dataclass(frozen=True)
class Run:
    """A whole benchmark run."""

    host: dict[str, Any]
    """Where and how it ran (OS, CPU, Python, quick mode, pinning, date)."""
    results: tuple[Record, ...]
    """Every point measured."""

    def record(self, experiment: str, payload_bytes: int) -> Record | None:
        """The point for ``experiment`` at ``payload_bytes``, if measured."""
        return next((r for r in self.results if r.experiment == experiment
                     and r.payload_bytes == payload_bytes), None)

    def where(self) -> str:
        """Where the run was measured, in words: OS, CPU and what hosted each surrogate."""
        host = self.host
        labels = {"surrogate_same_bitness": "64-bit surrogate",
                  "surrogate_cross_bitness": "32-bit surrogate"}
        # A run saved before the kind was recorded (the shipped reference) says so: the kit does
        # not guess what hosted its surrogates.
        hosted = ", ".join(f"{labels.get(name, name)} {kind}"
                           for name, kind in host.get("surrogate_kind", {}).items()) \
            or "surrogate hosts not recorded"
        com = host.get("timed_inside", {}).get("real_com")
        hosted += f"; real_com {com['where']}" if com and "where" in com else ""
        return (f"{host.get('os', '?')} on {host.get('cpu', '?')} ({host.get('cpu_model') or '?'})"
                f"; {hosted}")

    def as_json(self) -> dict[str, Any]:
        """``{"host": {...}, "results": [{"experiment", "payload_bytes", "median_us", ...}]}``."""
        return {"host": self.host, "results": [asdict(r) for r in self.results]}

    def save(self, path: str | Path) -> Path:
        """Write JSON (``.json``) or CSV (``.csv``, one row per record, host in a comment)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            with path.open("w", newline="", encoding="utf-8") as out:
                out.write(f"# host: {json.dumps(self.host, sort_keys=True)}\n")
                writer = csv.writer(out)
                writer.writerow([f.name for f in fields(Record)])
                writer.writerows([list(asdict(r).values()) for r in self.results])
        else:
            path.write_text(json.dumps(self.as_json(), indent=1) + "\n", encoding="utf-8")
        return path


@dataclass(frozen=True)
class Target:
    """One performance target, as measured in one run."""

    name: str
    """What is promised."""
    value: float | None
    """The measured figure (None when the run lacks what it needs)."""
    limit: float
    """The promise."""
    met: bool | None
    """Met, missed, or None when it could not be measured in this run."""
    detail: str
    """The figures behind it, in words."""


@dataclass(frozen=True)
class Comparison:
    """Two experiments of one run at one payload size, side by side."""

    first: Record
    """The experiment compared."""
    second: Record
    """The one it is compared with."""

    @property
    def ratio(self) -> float:
        """First median over second median."""
        return self.first.median_us / self.second.median_us

    @property
    def ratio_range(self) -> tuple[float, float]:
        """The ratio's widest range the two 95% intervals allow."""
        return (self.first.ci_low_us / self.second.ci_high_us,
                self.first.ci_high_us / self.second.ci_low_us)

    @property
    def resolved(self) -> bool:
        """Whether the two 95% intervals are apart: False means the run cannot tell the two
        experiments apart at this payload."""
        return (self.first.ci_low_us > self.second.ci_high_us
                or self.second.ci_low_us > self.first.ci_high_us)

    def __str__(self) -> str:
        first, second = self.first, self.second
        size = _size(first.payload_bytes)
        head = (f"{size}: {first.experiment} {_us(first.median_us)} us (95% CI "
                f"{_us(first.ci_low_us)}-{_us(first.ci_high_us)}), {second.experiment} "
                f"{_us(second.median_us)} us ({_us(second.ci_low_us)}-{_us(second.ci_high_us)})"
                f": ratio {self.ratio:.2f}")
        if not self.resolved:
            return head + "; the intervals overlap: no difference this run can resolve"
        low, high = self.ratio_range
        return head + f"; the intervals are apart: between {low:.3f}x and {high:.3f}x"


def _size(payload_bytes: int) -> str:
    """A payload in words: the scalar call, or bytes in the largest binary unit that fits."""
    for shift, unit in ((20, "MiB"), (10, "KiB")):
        if payload_bytes >= 1 << shift and payload_bytes % (1 << shift) == 0:
            return f"{payload_bytes >> shift} {unit}"
    return "scalar call" if payload_bytes == 0 else f"{payload_bytes:,} bytes"


def _us(value: float) -> str:
    """Microseconds to two decimals when small, so that a narrow interval stays visible."""
    return f"{value:,.2f}" if value < 100 else f"{value:,.1f}"


def compare(measured: Run, first: str, second: str, payload_bytes: int = 0) -> Comparison:
    """``first`` against ``second`` at ``payload_bytes``, both from ``measured``."""
    records = []
    for name in (first, second):
        record = measured.record(name, payload_bytes)
        if record is None:
            why = measured.host.get("skipped", {}).get(name, "not measured at that payload")
            raise UsageError(f"{name} at {payload_bytes} bytes", f"is not in this run ({why})",
                             "Compare experiments the run measured (see its table)")
        records.append(record)
    return Comparison(*records)


def observations(measured: Run) -> list[str]:
    """What a reader should notice in ``measured``, phrased from its own numbers: the cost of
    a trip against the bytes, the work's share at the largest payload, the two surrogates side
    by side, the emulator, the pipe's rate, msl-loadlib and real COM. Lines whose experiments
    the run lacks are left out."""
    def us(name: str, size: int) -> float | None:
        record = measured.record(name, size)
        return None if record is None else record.median_us

    big, lines = PAYLOADS[-1], []
    scalar, mid, top = (us("surrogate_cross_bitness", size) for size in (0, 4096, big))
    if scalar and mid:
        lines.append(f"32-bit surrogate: scalar call {scalar:,.1f} us, 4 KiB call {mid:,.1f} us:"
                     f" 4,096 bytes more cost {mid - scalar:,.1f} us "
                     f"({(mid - scalar) / scalar:.0%} of the scalar call)")
    for size, whole in ((0, scalar), (big, top)):
        work = us("native_inproc", size)
        if work and whole:
            lines.append(f"{_size(size)}: the work itself (in "
                         f"process) {work:,.1f} us is {work / whole:.0%} of the 32-bit "
                         f"surrogate's {whole:,.1f} us")
    for size in (0, big):
        with_both = all(measured.record(n, size) for n in ("surrogate_cross_bitness",
                                                           "surrogate_same_bitness"))
        if with_both:
            lines.append("bitness, " + str(compare(measured, "surrogate_cross_bitness",
                                                   "surrogate_same_bitness", size)))
    for size in (0, big):
        emulated, native = us("emulated", size), us("native_inproc", size)
        if emulated and native:
            lines.append(f"emulated, {_size(size)}: "
                         f"{emulated:,.1f} us, {emulated / native:,.1f}x the in-process call")
    pipe = us("pipe_baseline", big)
    if pipe:
        lines.append(f"raw pipe round trip of {_size(big)}: {pipe:,.0f} us, "
                     f"{big / pipe:,.0f} MB/s")
    peer = us("msl_loadlib", 0)
    if peer and scalar:
        lines.append(f"msl-loadlib scalar call: {peer:,.1f} us, {peer / scalar:,.0f}x the "
                     "kit's 32-bit surrogate")
    for size, kit in ((0, scalar), (big, top)):
        com = us("real_com", size)
        if com and kit:
            lines.append(f"real COM (timed inside its client), {_size(size)}: {com:,.1f} us, "
                         f"{com / kit:,.1f}x the kit's 32-bit surrogate")
    return lines


def summarize(samples: Sequence[float], resamples: int = 1000,
              seed: int = 0) -> tuple[float, float, float, float, float]:
    """Median, 25th and 75th percentiles, and the 95% bootstrap interval of the median.

    The bootstrap resamples with a fixed seed, so the same samples give the same interval.
    """
    if not samples:
        raise UsageError("summarize", "was given no samples", "Time at least one batch")
    ordered = sorted(samples)
    median = statistics.median(ordered)
    if len(ordered) == 1:
        return median, median, median, median, median
    p25, _, p75 = statistics.quantiles(ordered, n=4, method="inclusive")
    chooser = random.Random(seed)
    medians = sorted(statistics.median(chooser.choices(ordered, k=len(ordered)))
                     for _ in range(resamples))
    return median, p25, p75, medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def measure(action: Callable[[], object], repeats: int, cap_seconds: float,
            min_batch_seconds: float = 2e-4) -> list[float]:
    """Per-call seconds, one number per timed batch: a short warm-up, then up to ``repeats``
    batches (at least 5, unless one call outlasts the cap), stopping once ``cap_seconds`` have
    been spent. A batch holds as many calls as fill ``min_batch_seconds``."""
    start = time.perf_counter()
    action()
    first = time.perf_counter() - start
    warm = time.perf_counter()  # a short warm-up: caches, the other process's first pages
    for _ in range(20):
        if time.perf_counter() - warm > min(0.02, cap_seconds / 10):
            break
        action()
    batch = max(1, int(min_batch_seconds / max(first, 1e-9)))
    times: list[float] = []
    began = time.perf_counter()
    while len(times) < repeats:
        if len(times) >= 5 and time.perf_counter() - began > cap_seconds:
            break
        start = time.perf_counter()
        for _ in range(batch):
            action()
        times.append((time.perf_counter() - start) / batch)
        if first > cap_seconds:
            break
    return times


def _host() -> dict[str, Any]:
    """Where a run happens: what a reader needs to compare two runs."""
    from interopkit import __version__
    from interopkit.kit.host import host_info

    info = host_info()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass  # not Linux: platform.processor() below
    return {"os": info.os, "cpu": info.cpu, "cpu_model": model or platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "process_bits": info.process_bits, "interopkit": __version__,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _pinned() -> int | None:
    """Pin this process (and what it starts) to one CPU; the CPU, or None where impossible.

    The CPU is picked by process id among those allowed, so that learners benchmarking at the
    same moment on a shared server spread over the cores instead of all landing on the first.
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[os.getpid() % len(allowed)]
    os.sched_setaffinity(0, {cpu})
    return cpu


_LATEST: dict[tuple[str, int], Record] = {}


def latest(experiment: str, payload_bytes: int) -> Record | None:
    """The most recent point this process measured for ``experiment`` at ``payload_bytes``
    (by any ``run``), or None: the figure a learner's answer was read from."""
    return _LATEST.get((experiment, payload_bytes))


def run(names: Sequence[str] | None = None, quick: bool | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        payloads: Sequence[int] = PAYLOADS) -> Run:
    """Run the experiments (all available ones, or ``names``) over ``payloads``.

    ``progress(done, total, label)`` is called before each point and once at the end.
    """
    from interopkit.bench.experiments import EXPERIMENTS, available

    quick = QUICK if quick is None else quick
    unknown = sorted(set(names or ()) - set(EXPERIMENTS))
    if unknown:
        raise UsageError(", ".join(unknown), "is not an experiment",
                         f"Choose from {', '.join(EXPERIMENTS)}")
    chosen = [EXPERIMENTS[n] for n in (names or EXPERIMENTS)]
    skipped = {e.name: why for e in chosen if (why := available(e.name))}
    chosen = [e for e in chosen if e.name not in skipped]
    repeats, cap = (15, 0.25) if quick else (200, 2.0)
    total, done = len(chosen) * len(payloads), 0
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    began, started = time.perf_counter(), time.time()
    records: list[Record] = []
    inside: dict[str, dict[str, Any]] = {}
    cpu = None
    try:
        cpu = _pinned()
        for experiment in chosen:
            if experiment.inside is not None:
                if progress:
                    progress(done, total, f"{experiment.name}, every payload in one run")
                try:
                    timed = experiment.inside(tuple(payloads), repeats, cap)
                except InteropKitError as exc:  # Wine is there but this run failed: say why
                    skipped[experiment.name] = f"did not run here ({exc})"
                    done += len(payloads)
                    continue
                inside[experiment.name] = dict(timed.about)
                records += [_record(experiment.name, size, timed.samples[size])
                            for size in payloads]
                done += len(payloads)
                continue
            assert experiment.open is not None
            with experiment.open() as call:
                for size in payloads:
                    if progress:
                        progress(done, total, f"{experiment.name}, {size} bytes")
                    samples = measure(functools.partial(call, make_payload(size)), repeats,
                                      cap)
                    records.append(_record(experiment.name, size, samples))
                    done += 1
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    if progress:
        progress(done, total, "done")
    _LATEST.update({(r.experiment, r.payload_bytes): r for r in records})
    host = _host() | {"quick": quick, "pinned_cpu": cpu, "skipped": skipped,
                      "seconds": round(time.perf_counter() - began, 1), "started": started,
                      "surrogate_kind": _surrogate_kinds([e.name for e in chosen]),
                      "timed_inside": inside}
    return Run(host, tuple(records))


def _record(name: str, size: int, samples: Sequence[float]) -> Record:
    """One point from its per-call seconds."""
    median, p25, p75, low, high = summarize(samples)
    return Record(name, size, median * 1e6, p25 * 1e6, p75 * 1e6, len(samples), low * 1e6,
                  high * 1e6)


def _surrogate_kinds(names: Sequence[str]) -> dict[str, str]:
    """What hosts each surrogate experiment here (``native``, ``emulated``: see
    ``interopkit.surrogate.client``): on Linux a native 32-bit surrogate is a plain 32-bit process,
    on x64 Windows it runs under WOW64, on Windows on Arm it runs emulated (ARM-EMU)."""
    from interopkit.surrogate.client import choose_kind

    bits = {"surrogate_same_bitness": 64, "surrogate_cross_bitness": 32}
    return {name: choose_kind(bits[name]) for name in names if name in bits}


def load(path: str | Path = REFERENCE) -> Run:
    """A run saved as JSON (the kit's reference run by default)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Run(data["host"], tuple(Record(**r) for r in data["results"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(str(path), f"is not a saved benchmark run ({exc})",
                         "Save one with interopkit bench --json > FILE, or run.save()") from exc


def targets(measured: Run) -> list[Target]:
    """The kit's performance targets (issue 8), each from figures of this one run."""
    out = []
    cross, pipe = (measured.record(n, 0) for n in ("surrogate_cross_bitness", "pipe_baseline"))
    if cross and pipe:
        ratio = cross.median_us / pipe.median_us
        out.append(Target("cross-bitness scalar call <= 3x the pipe ping-pong", ratio, 3.0,
                          ratio <= 3.0, f"{cross.median_us:.1f} us vs {pipe.median_us:.1f} us: "
                          f"{ratio:.2f}x"))
    big = measured.record("surrogate_cross_bitness", PAYLOADS[-1])
    if big:
        rate = PAYLOADS[-1] / big.median_us  # bytes per microsecond = MB/s
        out.append(Target("cross-bitness 1 MiB call >= 500 MB/s", rate, 500.0, rate >= 500,
                          f"{PAYLOADS[-1]} bytes in {big.median_us:.0f} us: {rate:.0f} MB/s"))
    peer = measured.record("msl_loadlib", 0)
    if cross and peer:
        speedup = peer.median_us / cross.median_us
        out.append(Target("cross-bitness scalar call >= 30x faster than msl-loadlib", speedup,
                          30.0, speedup >= 30, f"{peer.median_us:.0f} us vs "
                          f"{cross.median_us:.1f} us: {speedup:.0f}x"))
    elif cross:
        why = measured.host.get("skipped", {}).get("msl_loadlib", "not in this run")
        out.append(Target("cross-bitness scalar call >= 30x faster than msl-loadlib", None,
                          30.0, None, f"msl-loadlib did not run: {why}"))
    if measured.host.get("quick"):
        seconds = float(measured.host.get("seconds", 0))
        out.append(Target("quick mode under 60 s", seconds, 60.0, seconds < 60,
                          f"{seconds:.1f} s"))
    return out


@dataclass(frozen=True)
class PublishedTime:
    """A per-call time a source published: quoted by the kit, never measured by it."""

    source: str
    """The source's key in ``interopkit.sources``."""
    table: str
    """Where in the source it is printed."""
    row: str
    """The path the call took."""
    column: str
    """The source's column: ``VoidCall`` (a call without arguments, repeated) or
    ``FirstCall`` (the first call on a new object)."""
    seconds: float
    """The figure as printed (seconds per call, to the microsecond)."""


# Learning DCOM, appendix B (DCOM-THAI): ThreadingModel=Apartment. Table B-4 has the client in
# an STA, so its in-process call is direct; Table B-5 has it in the MTA (its in-process row is a
# cross-apartment call, marshaled, so only its out-of-process row is used here).
_B4 = "Table B-4 (client in an STA)"
_B5 = "Table B-5 (client in the MTA)"
LEARNING_DCOM = (
    PublishedTime("DCOM-THAI", _B4, "in-process", "VoidCall", 0.000006),
    PublishedTime("DCOM-THAI", _B4, "local out-of-process", "VoidCall", 0.000172),
    PublishedTime("DCOM-THAI", _B5, "local out-of-process", "VoidCall", 0.000091),
    PublishedTime("DCOM-THAI", _B4, "in-process", "FirstCall", 0.000005),
    PublishedTime("DCOM-THAI", _B4, "local out-of-process", "FirstCall", 0.000812),
)
"""The book's direct in-process and local out-of-process times (1999 hardware)."""


def published_ratio(column: str, figures: Sequence[PublishedTime] = LEARNING_DCOM
                    ) -> tuple[float, float]:
    """The lowest and highest ratio of a local out-of-process time to an in-process one, among
    ``figures`` in ``column``: what the printed figures themselves give."""
    inside = [f.seconds for f in figures if f.column == column and f.row == "in-process"]
    outside = [f.seconds for f in figures if f.column == column and f.row != "in-process"]
    if not inside or not outside:
        raise UsageError(column, "has no in-process and out-of-process figures to divide",
                         "Use the VoidCall or FirstCall column")
    ratios = [out / into for out in outside for into in inside]
    return min(ratios), max(ratios)
