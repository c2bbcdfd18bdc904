"""Charts of a benchmark run (``interopkit.bench.harness``), optionally over the kit's reference
run.

Each helper takes a ``Run`` (and ``ax=None``) and returns the Axes:

* ``draw_latency``: per-call time against payload, log-log, with 95% bootstrap error bars;
  the reference run drawn faintly underneath;
* ``draw_breakdown``: one cross-bitness call split into parts measured by the other
  experiments of the same run (the call itself, encoding and decoding, the pipe trip), with
  the signed residual that reconciles parts and whole (``breakdown``): the rest when the parts
  fall short, the overlap when they exceed it;
* ``draw_throughput``: effective MB/s for the larger payloads (a target line only on request:
  targets belong to the benchmark command);
* ``draw_overhead``: each experiment's time over the in-process call;
* ``draw_real_com``: real COM beside the kit's 32-bit surrogate and msl-loadlib, from one run
  (this one, or the kit's recording, titled as such).

Taught in notebook 07.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interopkit.bench.harness import PAYLOADS, Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from interopkit.bench.realcom import Shown

__all__ = ["COLOURS", "PARTS", "Breakdown", "breakdown", "breakdowns", "draw_breakdown",
           "draw_latency", "draw_overhead", "draw_real_com", "draw_throughput"]

COLOURS = {"native_inproc": "#2ca02c", "marshal_inproc": "#8c564b", "pipe_baseline": "#7f7f7f",
           "surrogate_same_bitness": "#1f77b4", "surrogate_cross_bitness": "#d62728",
           "emulated": "#9467bd", "msl_loadlib": "#ff7f0e", "real_com": "#17becf"}
"""One colour per experiment, the same in every chart (no two alike, faded or not)."""

MARKERS = {"surrogate_same_bitness": "s", "surrogate_cross_bitness": "o", "real_com": "D"}
"""The two surrogates often lie within a marker of each other: the 64-bit one is drawn in
hollow squares, larger, so it shows around the 32-bit one's dots instead of under them."""


def _axes(ax: Axes | None, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def _x(size: int) -> float:
    return max(size, 4)  # 0 bytes (the scalar call) sits at the left edge of a log axis


def draw_latency(run: Run, reference: Run | None = None, ax: Axes | None = None) -> Axes:
    """Median per-call time against payload, log-log, with the bootstrap interval as error
    bars; ``reference`` (another run) dashed and faint beneath, for the experiments this run
    measured only (a line without a label is a legend nobody can read), and an experiment the
    reference lacks says so in the legend; the experiments this run skipped are named under the
    chart. The legend sits outside the axes, clear of every point."""
    from matplotlib.lines import Line2D

    ax = _axes(ax, (10, 5.5))
    for name, colour in COLOURS.items():
        mine = sorted((r for r in run.results if r.experiment == name),
                      key=lambda r: r.payload_bytes)
        if not mine:
            continue
        label = name
        if reference is not None:
            old = sorted((r for r in reference.results if r.experiment == name),
                         key=lambda r: r.payload_bytes)
            if old:
                ax.plot([_x(r.payload_bytes) for r in old], [r.median_us for r in old],
                        linestyle=":", color=colour, alpha=0.6, linewidth=1.2)
            else:  # the reference run predates this experiment (real_com): say why no line
                label = f"{name} (not in the reference run)"
        hollow = MARKERS.get(name) == "s"
        ax.errorbar([_x(r.payload_bytes) for r in mine], [r.median_us for r in mine],
                    yerr=[[r.median_us - r.ci_low_us for r in mine],
                          [r.ci_high_us - r.median_us for r in mine]],
                    marker=MARKERS.get(name, "o"), markersize=9 if hollow else 4,
                    markerfacecolor="none" if hollow else colour, markeredgewidth=1.5,
                    linestyle="--" if hollow else "-", capsize=3, color=colour, label=label,
                    zorder=3 if hollow else 2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([_x(size) for size in PAYLOADS],
                  ["scalar" if size == 0 else _bytes(size) for size in PAYLOADS])
    ax.set_xlabel("payload ([in] buffer)")
    ax.set_ylabel("microseconds per call (median, 95% CI)")
    handles, labels = ax.get_legend_handles_labels()
    title = "Per-call time on this machine"
    if reference is not None:
        title += f"; dotted: the kit's reference run ({reference.host.get('cpu_model', '?')})"
        handles.append(Line2D([], [], linestyle=":", color="black", alpha=0.6, linewidth=1.2))
        labels.append("reference run (same colour)")
    ax.set_title(title, fontsize=9)
    # Outside the axes: in the upper left it hid the scalar points (msl_loadlib's, highest).
    ax.legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    # The bootstrap intervals are drawn, but on a log axis most are narrower than a marker.
    ax.text(0.99, 0.06, "error bars: 95% CI of the median, often narrower than the marker",
            fontsize=7, ha="right", va="bottom", transform=ax.transAxes, color="#555555")
    skipped = run.host.get("skipped", {})
    if skipped:
        ax.text(0.99, 0.01, "not measured here: " + ", ".join(skipped), fontsize=7,
                ha="right", va="bottom", transform=ax.transAxes, color="#555555")
    return ax


def draw_real_com(view: Shown, ax: Axes | None = None) -> Axes:
    """The latency chart of ``view`` (``interopkit.bench.realcom.shown``: real COM, the kit's
    32-bit surrogate, msl-loadlib and the in-process call, all from one run), titled with
    whether that run is this one or a recording, and saying under it how each was timed."""
    ax = draw_latency(view.run, ax=ax)
    ax.set_title(view.title, fontsize=9)
    ax.set_xlabel("payload ([in] buffer). real_com: each call timed inside its COM client "
                  "(QueryPerformanceCounter); the others timed from Python", fontsize=8)
    return ax


def _bytes(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB" if size >= 1024 \
        else f"{size} B"


def _us(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


PARTS = {"the call itself (native_inproc)": "native_inproc",
         "encode and decode (marshal_inproc)": "marshal_inproc",
         "pipe round trip (pipe_baseline)": "pipe_baseline"}
"""The parts of one surrogate call, each measured by another experiment."""


@dataclass(frozen=True)
class Breakdown:
    """One cross-bitness call and the parts measured apart, reconciled by a signed residual."""

    payload_bytes: int
    """The payload of the call."""
    whole_us: float
    """The whole call's median (``surrogate_cross_bitness``)."""
    parts: tuple[tuple[str, float], ...]
    """(label, median microseconds) of each part, from the other experiments."""

    @property
    def residual_us(self) -> float:
        """The whole minus the parts. Positive: time the parts do not account for (scheduling,
        the surrogate's own reading and copying). Negative: measured apart, the parts do more
        than the real call (the echo program of ``pipe_baseline`` sends the whole frame back
        where the real reply is a few bytes; ``marshal_inproc`` decodes in Python, with copies
        the surrogate, reading into one buffer, does not make)."""
        return self.whole_us - sum(us for _, us in self.parts)

    def __str__(self) -> str:
        size = "scalar call" if self.payload_bytes == 0 else _bytes(self.payload_bytes)
        total = sum(us for _, us in self.parts)
        head = (f"{size}: parts {' + '.join(_us(us) for _, us in self.parts)} = {_us(total)} us"
                f"; whole call {_us(self.whole_us)} us; ")
        share = abs(self.residual_us) / self.whole_us * 100
        if self.residual_us >= 0:
            return head + f"rest (not in any part) {_us(self.residual_us)} us = {share:.0f}%"
        return head + (f"overlap (the parts exceed the whole by) {_us(-self.residual_us)} us = "
                       f"{share:.0f}%")


def breakdown(run: Run, payload_bytes: int = 0) -> Breakdown | None:
    """The cross-bitness call at one payload split into parts, each from another experiment of
    the same run; None when the run lacks the call or one of its parts."""
    whole = run.record("surrogate_cross_bitness", payload_bytes)
    parts = tuple((label, record.median_us) for label, name in PARTS.items()
                  if (record := run.record(name, payload_bytes)))
    if whole is None or len(parts) < len(PARTS):
        return None
    return Breakdown(payload_bytes, whole.median_us, parts)


def breakdowns(run: Run, payloads: tuple[int, ...] = (0, 4096, 1 << 20)) -> list[Breakdown]:
    """``breakdown`` at each of ``payloads`` the run has all the parts of."""
    return [split for size in payloads if (split := breakdown(run, size)) is not None]


_REST, _OVERLAP = "rest: in no part (scheduling, the surrogate's own work)", \
    "overlap: the parts exceed the whole"


def draw_breakdown(run: Run, payloads: tuple[int, ...] = (0, 4096, 1 << 20),
                   ax: Axes | None = None) -> Axes:
    """Stacked bars: what one cross-bitness call is made of, at a few payload sizes, as a
    share of the measured whole (the dotted line at 100%). The parts are measured apart, so
    they need not add up to the whole: the rest is stacked on top up to 100% when they fall
    short, and the overlap is hatched above 100% when they exceed it. Each bar is labelled
    with the whole and the signed residual in microseconds."""
    ax = _axes(ax, (9, 4.5))
    shades = [COLOURS[name] for name in PARTS.values()]  # the parts' colours in every chart
    tallest, seen = 100.0, set()

    def label(text: str) -> str | None:
        if text in seen:
            return None
        seen.add(text)
        return text

    for column, size in enumerate(payloads):
        split = breakdown(run, size)
        if split is None:
            continue
        bottom = 0.0
        for (name, value), shade in zip(split.parts, shades):
            ax.bar(column, value / split.whole_us * 100, bottom=bottom, color=shade,
                   label=label(name))
            bottom += value / split.whole_us * 100
        if split.residual_us >= 0:
            ax.bar(column, 100 - bottom, bottom=bottom, color="#d62728", label=label(_REST))
            top, sign = 100.0, "+"
        else:
            ax.bar(column, bottom - 100, bottom=100, color="none", edgecolor="black",
                   hatch="//", linewidth=0.8, label=label(_OVERLAP))
            top, sign = bottom, "-"
        tallest = max(tallest, top)
        ax.text(column, top + 2, f"whole {_us(split.whole_us)} us\n"
                f"{'rest' if sign == '+' else 'overlap'} {sign}{_us(abs(split.residual_us))} us",
                ha="center", va="bottom", fontsize=8)
    ax.axhline(100, color="black", linewidth=0.8, linestyle=":")
    ax.set_xticks(range(len(payloads)),
                  ["scalar" if size == 0 else _bytes(size) for size in payloads])
    ax.set_ylim(0, tallest * 1.2)
    ax.set_ylabel("% of one cross-bitness call (dotted: 100%)")
    ax.set_title("Where the time of one call through the 32-bit surrogate goes", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return ax


def draw_throughput(run: Run, reference: Run | None = None, ax: Axes | None = None,
                    smallest: int = 4096, target: float | None = None) -> Axes:
    """Effective MB/s (payload over per-call time) for payloads of ``smallest`` bytes up, as
    points joined per experiment on a log axis (points, not bars: a bar on a log axis starts at
    an arbitrary floor); the reference run as black crosses. ``target`` (MB/s) draws the benchmark
    command's target as a dotted line."""
    ax = _axes(ax, (9, 4.5))
    sizes = [size for size in PAYLOADS if size >= smallest]
    names = [n for n in COLOURS if any(run.record(n, s) for s in sizes)]
    for index, name in enumerate(names):
        points = [(i, size / record.median_us) for i, size in enumerate(sizes)
                  if (record := run.record(name, size))]
        hollow = MARKERS.get(name) == "s"
        ax.plot([i for i, _ in points], [rate for _, rate in points],
                marker=MARKERS.get(name, "o"), markersize=9 if hollow else 5,
                markerfacecolor="none" if hollow else COLOURS[name],
                linestyle="--" if hollow else "-", color=COLOURS[name], label=name)
        if reference is not None:
            old = [(i, size / r.median_us) for i, size in enumerate(sizes)
                   if (r := reference.record(name, size))]
            ax.scatter([i for i, _ in old], [rate for _, rate in old], marker="x",
                       color="black", s=25, zorder=3,
                       label="reference run" if index == 0 else None)
    if target is not None:
        ax.axhline(target, color="#d62728", linestyle=":", linewidth=1)
        ax.text(len(sizes) - 1, target * 1.02, f"target: {target:,.0f} MB/s", fontsize=7,
                ha="right", va="bottom")
    ax.set_yscale("log")
    ax.set_xticks(range(len(sizes)), [_bytes(s) for s in sizes])
    ax.set_xlabel("payload")
    ax.set_ylabel("MB/s (payload / time per call)")
    ax.set_title("Effective throughput of larger payloads", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def draw_overhead(run: Run, ax: Axes | None = None) -> Axes:
    """Each experiment's time over the in-process ctypes call, per payload (log scale)."""
    ax = _axes(ax, (10, 4.5))
    for name, colour in COLOURS.items():
        points = [(size, record.median_us / base.median_us) for size in PAYLOADS
                  if (record := run.record(name, size)) and (base := run.record(
                      "native_inproc", size))]
        if points and name != "native_inproc":
            hollow = MARKERS.get(name) == "s"
            ax.plot([_x(s) for s, _ in points], [r for _, r in points],
                    marker=MARKERS.get(name, "o"), markersize=9 if hollow else 5,
                    markerfacecolor="none" if hollow else colour,
                    linestyle="--" if hollow else "-", color=colour, label=name)
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.axhline(1, color=COLOURS["native_inproc"], linewidth=1,
               label="1x: the in-process call (native_inproc)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    # Label the minor ticks too (2, 3, 5 ... 20, 30): with only 10^0 and 10^1 labelled the
    # ratios cannot be read.
    for axis_ticks in (ax.yaxis.set_major_locator, ax.yaxis.set_minor_locator):
        axis_ticks(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xticks([_x(size) for size in PAYLOADS],
                  ["scalar" if size == 0 else _bytes(size) for size in PAYLOADS])
    ax.set_ylabel("times the in-process call")
    ax.set_title("Overhead against the direct in-process call", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # clear of the lines
    return ax
