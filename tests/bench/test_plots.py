"""The charts draw what the run holds."""

import matplotlib
import pytest

matplotlib.use("Agg")

from interopkit.bench.harness import PAYLOADS, Record, Run
from interopkit.bench.plots import (
    COLOURS,
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
    split = breakdown(_run(), 0)
    assert [us for _, us in split.parts] == [1.0, 5.0, 6.0]
    assert split.residual_us == pytest.approx(3.0) and "rest (not in any part) 3.00 us" in \
        str(split)
    assert sum(us for _, us in split.parts) + split.residual_us == pytest.approx(split.whole_us)
    assert breakdown(Run({}, ()), 0) is None


def _overlapping() -> Run:
    """Parts that exceed the whole, as they do at 1 MiB: 1 + 5 + 6 = 12 against 8."""
    times = dict(TIMES, surrogate_cross_bitness=8.0)
    return Run({}, tuple(Record(name, 0, t, t, t, 5, t, t) for name, t in times.items()))


def test_breakdown_shows_the_overlap_when_the_parts_exceed_the_whole() -> None:
    split = breakdown(_overlapping(), 0)
    assert split.residual_us == pytest.approx(-4.0) and "overlap" in str(split)
    ax = draw_breakdown(_overlapping(), payloads=(0,))
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_y() == pytest.approx(100)
    assert hatched[0].get_height() == pytest.approx(4 / 8 * 100)
    assert "overlap -4.00 us" in ax.texts[0].get_text()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-1].startswith("overlap") and not any(lab.startswith("rest") for lab in labels)


def test_latency_draws_every_experiment_and_the_reference() -> None:
    ax = draw_latency(_run(), reference=_run(2.0))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        *TIMES, "reference run (same colour)"]
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == len(TIMES) and "test CPU" in ax.get_title()


def test_latency_keeps_the_64_bit_surrogate_visible_on_the_32_bit_one() -> None:
    # A fresh reader saw one red line: the blue same-bitness line lay hidden under it.
    both = Run({}, _run().results + tuple(
        Record("surrogate_same_bitness", r.payload_bytes, *[getattr(r, f) for f in (
            "median_us", "p25_us", "p75_us", "n", "ci_low_us", "ci_high_us")])
        for r in _run().results if r.experiment == "surrogate_cross_bitness"))
    ax = draw_latency(both, reference=_run(2.0))
    same = [line for line in ax.get_lines()
            if line.get_color() == COLOURS["surrogate_same_bitness"] and line.get_marker() == "s"]
    assert same and same[0].get_markerfacecolor() == "none"
    assert "narrower than the marker" in " ".join(t.get_text() for t in ax.texts)
    # No two experiments share a colour (marshal_inproc was a pale green, like a faded
    # native_inproc reference line).
    assert len(set(COLOURS.values())) == len(COLOURS)


def test_latency_draws_no_line_for_an_experiment_this_run_skipped() -> None:
    """msl-loadlib did not run here: its reference line was drawn without a legend entry."""
    reference = Run({"cpu_model": "ref"}, _run().results + tuple(
        Record("msl_loadlib", size, 800.0, 0, 0, 5, 790.0, 810.0) for size in PAYLOADS))
    skipped = Run({"skipped": {"msl_loadlib": "not installed"}}, _run().results)
    ax = draw_latency(skipped, reference=reference)
    orange = [line for line in ax.get_lines() if line.get_color() == COLOURS["msl_loadlib"]]
    assert orange == [] and "not measured here: msl_loadlib" in [t.get_text() for t in ax.texts]
    assert "msl_loadlib" not in [t.get_text() for t in ax.get_legend().get_texts()]


def test_other_charts() -> None:
    ax = draw_breakdown(_run())
    assert len(ax.patches) == 3 * 4 and "whole 15.00 us\nrest +3.00 us" in [
        t.get_text() for t in ax.texts]
    ax = draw_throughput(_run(), reference=_run(2.0))
    # Points, not bars: a bar on a log axis starts at an arbitrary floor.
    assert not ax.patches and len(ax.get_lines()) == len(TIMES)
    assert all(len(line.get_xdata()) == 3 for line in ax.get_lines())  # 4 KiB, 64 KiB, 1 MiB
    assert not ax.texts  # no target line: targets are the command's
    ax = draw_throughput(_run(), target=500)
    assert ax.get_lines()[-1].get_ydata()[0] == 500
    ax = draw_overhead(_run())
    assert len(ax.get_lines()) == len(TIMES) - 1 + 1  # one per experiment and the 1x line
    # The 1x line has a legend entry, and the log axis labels its minor ticks (2, 3, 5 ...).
    assert "1x: the in-process call (native_inproc)" in [
        t.get_text() for t in ax.get_legend().get_texts()]
    ax.figure.canvas.draw()
    low, high = ax.get_ylim()
    shown = {t.get_text() for t in ax.yaxis.get_ticklabels(which="both")
             if t.get_text() and low <= t.get_position()[1] <= high}
    assert shown - {"1", "10", "100"}, shown  # not only the powers of ten


def test_latency_legend_is_clear_of_the_points_and_names_what_the_reference_lacks() -> None:
    """real_com is newer than the reference run: no dotted line, and the legend says why; the
    legend sat over msl_loadlib's scalar point in the upper left."""
    newer = Run({}, _run().results + tuple(
        Record("real_com", size, 300.0, 0, 0, 5, 290.0, 310.0) for size in PAYLOADS))
    ax = draw_latency(newer, reference=_run(2.0))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [*TIMES, "real_com (not in the reference run)", "reference run (same colour)"]
    dotted = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == len(TIMES)
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 >= ax.get_window_extent().x1  # outside the axes, right of them
