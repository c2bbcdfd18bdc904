"""What emulation costs, measured: the same work natively and on the emulated CPUs.

Data functions only (plots are in ``interopkit.lessons.arm64_emulation``). Every figure is measured
when the function runs; quick mode (``INTEROPKIT_QUICK``) only takes fewer repetitions. Timed runs
use an emulator without the per-instruction counting hook, which would time Python, not the CPU
emulator; instruction counts come from a separate counted run. The published figures of other
emulators (keys ROSETTA-MR and BOX86-2022 in ``interopkit.sources``) are kept apart and always
labelled as others' numbers on other hardware. Taught in notebook 04.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from interopkit.emulation.emulator import ARCHES, Buffer, Emulator
from interopkit.emulation.native import NativeLibrary
from interopkit.kit.quick import is_quick
from interopkit.kit.samples import sample_path
from interopkit.kit.timing import median_seconds

__all__ = [
    "PUBLISHED",
    "SIZES",
    "CostRecord",
    "Published",
    "instructions_per_byte",
    "native_vs_emulated",
    "slowdown_summary",
    "translation_cost",
]

SIZES = (64, 1024, 16384, 65536)
"""Buffer sizes (bytes) for checksum, the kit's measurable unit of work."""


@dataclass(frozen=True)
class CostRecord:
    """One architecture at one size: native and emulated time for checksum(buffer)."""

    arch: str
    """Emulated architecture."""
    size: int
    """Bytes checksummed."""
    native_seconds: float
    """Median time of the native call through ctypes."""
    emulated_seconds: float
    """Median time of the emulated call (translation cache warm)."""
    instructions: int
    """Instructions the emulated call executed."""

    @property
    def slowdown(self) -> float:
        """How many times slower the emulated call was."""
        return self.emulated_seconds / self.native_seconds


@dataclass(frozen=True)
class Published:
    """Another emulator's speed as published: a fraction of native speed, with its source."""

    name: str
    """Emulator and workload."""
    low: float
    """Lowest reported fraction of native speed."""
    high: float
    """Highest reported fraction."""
    source: str
    """Source key (``interopkit.sources``)."""


PUBLISHED = (
    Published("Rosetta 2 (Apple M1, Geekbench)", 0.78, 0.79, "ROSETTA-MR"),
    Published("Box64 (7-zip, dav1d)", 0.27, 0.53, "BOX86-2022"),
    Published("FEX (7-zip, dav1d)", 0.13, 0.26, "BOX86-2022"),
    Published("QEMU user mode (7-zip, dav1d)", 0.05, 0.16, "BOX86-2022"),
)
"""Others' numbers (ROSETTA-MR, BOX86-2022): other hardware and work; context, not a ranking."""


def native_vs_emulated(sizes: tuple[int, ...] = SIZES,
                       repeats: int | None = None) -> list[CostRecord]:
    """checksum over each size, natively and on each emulated architecture."""
    repeats = repeats or (3 if is_quick() else 15)
    native = NativeLibrary()
    records = []
    for arch in ARCHES.values():
        timed = Emulator(sample_path("windows", arch), limit=50_000_000, count_instructions=False)
        counted = Emulator(sample_path("windows", arch), limit=50_000_000)
        for size in sizes:
            data = Buffer(bytes(range(256)) * (size // 256) + bytes(size % 256))
            native_time = median_seconds(lambda d=data, n=size: native.call("checksum", d, n),
                                       repeats)
            emulated_time = median_seconds(
                lambda d=data, n=size, e=timed: e.call("checksum", d, n), repeats)
            instructions = counted.call("checksum", data, size).instructions or 0
            records.append(CostRecord(arch, size, native_time, emulated_time, instructions))
    return records


def translation_cost(arch: str, calls: int = 12, size: int = 4096) -> list[float]:
    """Seconds for each of ``calls`` calls on one fresh emulator: the first translates."""
    emulator = Emulator(sample_path("windows", arch), count_instructions=False)
    data = Buffer(bytes(size))
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        emulator.call("checksum", data, size)
        out.append(time.perf_counter() - start)
    return out


def instructions_per_byte(records: list[CostRecord]) -> dict[str, float]:
    """The slope of instructions against bytes, per architecture (from the two largest sizes)."""
    slopes = {}
    for arch in {r.arch for r in records}:
        mine = sorted((r for r in records if r.arch == arch), key=lambda r: r.size)[-2:]
        slopes[arch] = (mine[1].instructions - mine[0].instructions) / (mine[1].size -
                                                                         mine[0].size)
    return dict(sorted(slopes.items()))


def slowdown_summary(records: list[CostRecord]) -> list[str]:
    """One line per architecture, from this run's own numbers: the slowdown at the smallest and
    the largest size, its range, and the emulated time per byte at the largest size beside the
    instructions per byte. The lesson states no relation the run itself does not show."""
    per_byte = instructions_per_byte(records)
    lines = []
    for arch in sorted({r.arch for r in records}):
        mine = sorted((r for r in records if r.arch == arch), key=lambda r: r.size)
        low, high = min(r.slowdown for r in mine), max(r.slowdown for r in mine)
        first, last = mine[0], mine[-1]
        lines.append(f"{arch:5}: {first.slowdown:.1f}x at {first.size:,} bytes, "
                     f"{last.slowdown:.1f}x at {last.size:,} bytes (range {low:.1f}x-{high:.1f}x); "
                     f"at {last.size:,} bytes {last.emulated_seconds / last.size * 1e9:.1f} ns "
                     f"per byte emulated, {per_byte[arch]:g} instructions per byte")
    return lines
