"""The charts draw what the run holds."""

import matplotlib
import pytest

matplotlib.use("Agg")

from interopkit.bench import PAYLOADS, Record, Run
from interopkit.benchplot import (
    breakdown,
    draw_breakdown,
    draw_latency,
    draw_overhead,
    draw_throughput,
)

TIMES = {"native_inproc": 1.0, "marshal_inproc": 5.0, "pipe_baseline": 6.0,
         "surrogate_cross_bitness": 15.0}


def _run(scale: float = 1.0) -> Run:
    return Run({"cpu_model": "test CPU"}, tuple(
        Record(name, size, t * scale * (1 + size / 1024), 0, 0, 5, t * scale * 0.9,
               t * scale * 1.1 * (1 + size / 1024))
        for name, t in TIMES.items() for size in PAYLOADS))


def test_breakdown_accounts_for_the_whole_call() -> None:
    parts = breakdown(_run(), 0)
    assert list(parts.values())[:3] == [1.0, 5.0, 6.0]
    assert sum(parts.values()) == pytest.approx(15.0)
    assert breakdown(Run({}, ()), 0) == {}


def test_latency_draws_every_experiment_and_the_reference() -> None:
    ax = draw_latency(_run(), reference=_run(2.0))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(TIMES)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == len(TIMES) and "test CPU" in ax.get_title()


def test_other_charts() -> None:
    ax = draw_breakdown(_run())
    assert len(ax.patches) == 3 * 4 and "15.0 us" in [t.get_text() for t in ax.texts]
    ax = draw_throughput(_run(), reference=_run(2.0))
    assert len(ax.patches) == len(TIMES) * 3  # 4 KiB, 64 KiB, 1 MiB
    ax = draw_overhead(_run())
    assert len(ax.get_lines()) == len(TIMES) - 1 + 1  # one per experiment and the 1x line
