"""Charts of a benchmark run (``interopkit.bench``), optionally over the kit's reference run.

Each helper takes a ``Run`` (and ``ax=None``) and returns the Axes:

* ``draw_latency``: per-call time against payload, log-log, with 95% bootstrap error bars;
  the reference run drawn faintly underneath;
* ``draw_breakdown``: one cross-bitness call split into parts measured by the other
  experiments of the same run (the call itself, encoding and decoding, the pipe trip, and the
  rest: scheduling, the surrogate's own reading and copying);
* ``draw_throughput``: effective MB/s for the larger payloads;
* ``draw_overhead``: each experiment's time over the in-process call.

Taught in notebook 07.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .bench import PAYLOADS, Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["COLOURS", "breakdown", "draw_breakdown", "draw_latency", "draw_overhead",
           "draw_throughput"]

COLOURS = {"native_inproc": "#2ca02c", "marshal_inproc": "#98df8a", "pipe_baseline": "#7f7f7f",
           "surrogate_same_bitness": "#1f77b4", "surrogate_cross_bitness": "#d62728",
           "emulated": "#9467bd", "msl_loadlib": "#ff7f0e"}
"""One colour per experiment, the same in every chart."""


def _axes(ax: Axes | None, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def _x(size: int) -> float:
    return max(size, 4)  # 0 bytes (the scalar call) sits at the left edge of a log axis


def draw_latency(run: Run, reference: Run | None = None, ax: Axes | None = None) -> Axes:
    """Median per-call time against payload, log-log, with the bootstrap interval as error
    bars; ``reference`` (another run) dashed and faint beneath."""
    ax = _axes(ax, (10, 5.5))
    for name, colour in COLOURS.items():
        if reference is not None:
            old = sorted((r for r in reference.results if r.experiment == name),
                         key=lambda r: r.payload_bytes)
            if old:
                ax.plot([_x(r.payload_bytes) for r in old], [r.median_us for r in old],
                        linestyle="--", color=colour, alpha=0.35, linewidth=1)
        mine = sorted((r for r in run.results if r.experiment == name),
                      key=lambda r: r.payload_bytes)
        if mine:
            ax.errorbar([_x(r.payload_bytes) for r in mine], [r.median_us for r in mine],
                        yerr=[[r.median_us - r.ci_low_us for r in mine],
                              [r.ci_high_us - r.median_us for r in mine]],
                        marker="o", markersize=4, capsize=3, color=colour, label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([_x(size) for size in PAYLOADS],
                  ["scalar" if size == 0 else _bytes(size) for size in PAYLOADS])
    ax.set_xlabel("payload ([in] buffer)")
    ax.set_ylabel("microseconds per call (median, 95% CI)")
    title = "Per-call time on this machine"
    if reference is not None:
        title += f"; dashed: the kit's reference run ({reference.host.get('cpu_model', '?')})"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def _bytes(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB" if size >= 1024 \
        else f"{size} B"


def breakdown(run: Run, payload_bytes: int = 0) -> dict[str, float]:
    """The cross-bitness call at one payload split into parts, in microseconds, each from
    another experiment of the same run; "the rest" is what those do not account for."""
    names = {"the call itself (native_inproc)": "native_inproc",
             "encode and decode (marshal_inproc)": "marshal_inproc",
             "pipe round trip (pipe_baseline)": "pipe_baseline"}
    total = run.record("surrogate_cross_bitness", payload_bytes)
    parts = {label: record.median_us for label, name in names.items()
             if (record := run.record(name, payload_bytes))}
    if total is None or len(parts) < len(names):
        return {}
    parts["the rest: scheduling, the surrogate's reading and copying"] = max(
        0.0, total.median_us - sum(parts.values()))
    return parts


def draw_breakdown(run: Run, payloads: tuple[int, ...] = (0, 4096, 1 << 20),
                   ax: Axes | None = None) -> Axes:
    """Stacked bars: what one cross-bitness call is made of, at a few payload sizes, as a
    share of the measured whole (in microseconds above each bar). The parts are measured
    apart, so they need not add up: a stack above 100% shows they overlap in the real call."""
    ax = _axes(ax, (9, 4.5))
    shades = ["#2ca02c", "#98df8a", "#7f7f7f", "#d62728"]
    tallest = 100.0
    for column, size in enumerate(payloads):
        whole = run.record("surrogate_cross_bitness", size)
        if whole is None:
            continue
        bottom = 0.0
        for (label, value), shade in zip(breakdown(run, size).items(), shades):
            ax.bar(column, value / whole.median_us * 100, bottom=bottom, color=shade,
                   label=label if column == 0 else None)
            bottom += value / whole.median_us * 100
        tallest = max(tallest, bottom)
        ax.text(column, bottom + 2, f"{whole.median_us:,.1f} us", ha="center", fontsize=8)
    ax.axhline(100, color="black", linewidth=0.8, linestyle=":")
    ax.set_xticks(range(len(payloads)),
                  ["scalar" if size == 0 else _bytes(size) for size in payloads])
    ax.set_ylim(0, tallest * 1.12)
    ax.set_ylabel("% of one cross-bitness call")
    ax.set_title("Where the time of one call through the 32-bit surrogate goes", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return ax


def draw_throughput(run: Run, reference: Run | None = None, ax: Axes | None = None,
                    smallest: int = 4096) -> Axes:
    """Effective MB/s (payload over per-call time) for payloads of ``smallest`` bytes up."""
    ax = _axes(ax, (9, 4.5))
    sizes = [size for size in PAYLOADS if size >= smallest]
    names = [n for n in COLOURS if any(run.record(n, s) for s in sizes)]
    width = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        rates = [size / record.median_us if (record := run.record(name, size)) else 0
                 for size in sizes]
        ax.bar([i + index * width for i in range(len(sizes))], rates, width,
               color=COLOURS[name], label=name)
        if reference is not None:
            old = [size / r.median_us if (r := reference.record(name, size)) else 0
                   for size in sizes]
            ax.scatter([i + index * width for i in range(len(sizes))], old, marker="_",
                       color="black", s=60, zorder=3,
                       label="reference run" if index == 0 else None)
    ax.axhline(500, color="#d62728", linestyle=":", linewidth=1)
    ax.text(len(sizes) - 0.5, 520, "target: 500 MB/s", fontsize=7, ha="right")
    ax.set_yscale("log")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(sizes))], [_bytes(s) for s in sizes])
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
            ax.plot([_x(s) for s, _ in points], [r for _, r in points], marker="o",
                    color=colour, label=name)
    ax.axhline(1, color="#2ca02c", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([_x(size) for size in PAYLOADS],
                  ["scalar" if size == 0 else _bytes(size) for size in PAYLOADS])
    ax.set_ylabel("times the in-process call")
    ax.set_title("Overhead against the direct in-process call", fontsize=9)
    ax.legend(fontsize=8)
    return ax
