"""Pictures of real files: where each header, table and section of an image sits.

``file_regions(path)`` is the data (pure, testable); ``draw_file_map(paths, ax=None)`` draws
one row per file and returns the Axes. Regions come from the same declared layouts the
inspector reads with, so the picture is of the actual bytes. Used in notebook 01.
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import elf
from .headers import (
    COFF_HEADER,
    DOS_HEADER,
    ELF32_HEADER,
    ELF64_HEADER,
    ELF_IDENT,
    OPTIONAL_HEADER32,
    OPTIONAL_HEADER64,
    SECTION_HEADER,
    read_headers,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BIT_COLOURS", "COM_PRIMER", "Region", "draw_address_spaces",
           "draw_address_spaces_linear", "draw_bits", "draw_com_primer", "draw_emulation_cost",
           "draw_file_map",
           "draw_load_matrix", "draw_translation", "draw_wow64_layers", "file_regions"]

BIT_COLOURS = {"sent": "#9ecae1", "arrived": "#9ecae1", "held back": "#fdae6b",
               "extended": "#a1d99b", "wrong": "#fb6a4a", "lost": "#fcbba1",
               "undefined": "#d9d9d9", "none": "#ffffff"}
"""Colours of the bit states of ``interopkit.ndr.bit_rows`` (the HTML table uses them too)."""

_HEADER_KINDS = ("DOS header", "DOS stub", "PE signature", "COFF header", "optional header",
                 "data directories", "section table", "ELF identification", "ELF header",
                 "program headers", "section header table")


@dataclass(frozen=True)
class Region:
    """A byte range of a file and what it holds."""

    name: str
    """What is there (``COFF header``, ``.text`` ...)."""
    start: int
    """First byte offset."""
    end: int
    """One past the last byte."""
    kind: str
    """``header`` or ``section``."""


def file_regions(path: str | os.PathLike[str]) -> list[Region]:
    """The headers and sections of a PE or ELF file, by file offset."""
    headers = read_headers(path)
    data = Path(path).read_bytes()
    if headers.format == "PE":
        return _pe_regions(data, headers.pe_magic == "PE32+")
    return _elf_regions(data, headers.bits)


def _pe_regions(data: bytes, plus: bool) -> list[Region]:
    pe = DOS_HEADER.unpack(data)["e_lfanew"]
    coff = COFF_HEADER.unpack(data, pe + 4)
    optional = OPTIONAL_HEADER64 if plus else OPTIONAL_HEADER32
    opt_at = pe + 4 + COFF_HEADER.size
    dirs_at = opt_at + optional.size
    table_at = opt_at + coff["SizeOfOptionalHeader"]
    out = [
        Region("DOS header", 0, DOS_HEADER.size, "header"),
        Region("DOS stub", DOS_HEADER.size, pe, "header"),
        Region("PE signature", pe, pe + 4, "header"),
        Region("COFF header", pe + 4, opt_at, "header"),
        Region("optional header", opt_at, dirs_at, "header"),
        Region("data directories", dirs_at, table_at, "header"),
        Region("section table", table_at, table_at + coff["NumberOfSections"] * SECTION_HEADER.size,
               "header"),
    ]
    for index in range(coff["NumberOfSections"]):
        section = SECTION_HEADER.unpack(data, table_at + index * SECTION_HEADER.size)
        if section["SizeOfRawData"]:
            start = section["PointerToRawData"]
            out.append(Region(section["Name"].rstrip(b"\0").decode("ascii", "replace"), start,
                              start + section["SizeOfRawData"], "section"))
    return [r for r in out if r.end > r.start]


def _elf_regions(data: bytes, bits: int) -> list[Region]:
    layout = ELF32_HEADER if bits == 32 else ELF64_HEADER
    top = layout.unpack(data, ELF_IDENT.size)
    out = [
        Region("ELF identification", 0, ELF_IDENT.size, "header"),
        Region("ELF header", ELF_IDENT.size, top["e_ehsize"], "header"),
        Region("program headers", top["e_phoff"],
               top["e_phoff"] + top["e_phnum"] * top["e_phentsize"], "header"),
    ]
    section = elf.SECTION[bits]
    sections = [section.unpack(data, top["e_shoff"] + i * section.size)
                for i in range(top["e_shnum"])]
    names = b""
    if sections and top["e_shstrndx"] < len(sections):
        table = sections[top["e_shstrndx"]]
        names = data[table["sh_offset"]:table["sh_offset"] + table["sh_size"]]
    for header in sections[1:]:
        if header["sh_type"] != 8 and header["sh_size"]:  # SHT_NOBITS takes no file space
            name = elf._string(names, header["sh_name"]) or "(unnamed)"
            out.append(Region(name, header["sh_offset"], header["sh_offset"] + header["sh_size"],
                              "section"))
    out.append(Region("section header table", top["e_shoff"],
                      top["e_shoff"] + top["e_shnum"] * top["e_shentsize"], "header"))
    return [r for r in out if r.end > r.start]


_CALLOUTS_PER_ROW = 4
"""Narrow headers get a label of their own above the bar up to this many per row; beyond it
(a whole file drawn at once) they share one label naming the first and the last."""


def draw_file_map(paths: list[str | os.PathLike[str]], ax: Axes | None = None,
                  limit: int | None = None) -> Axes:
    """Draw one row per file: its headers (warm colours) and sections (cool colours).

    ``limit`` cuts the x axis at that many bytes (default: the largest file). Every header is
    named: inside its bar when it is wide enough, otherwise by a label above the bar with a
    line to it (the 4-byte PE signature and the 20-byte COFF header always need one).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 1.0 + 1.0 * len(paths)))
    header_colours = plt.get_cmap("Oranges")
    section_colours = plt.get_cmap("Blues")
    rows = [file_regions(path) for path in paths]
    widest = max(r.end for regions in rows for r in regions)
    span = limit or widest
    for row, regions in enumerate(rows):
        narrow = []
        before = min((r.start for r in regions if r.kind == "section"), default=span)
        # The whole file drawn: every header before the first section shares one label, the
        # same way in each row, PE or ELF.
        grouped = limit is None
        for index, region in enumerate(regions):
            # Light to mid orange only: the text calls headers orange, and the dark end of the
            # map reads as red.
            colour = (header_colours(0.25 + 0.35 * _HEADER_KINDS.index(region.name) /
                                     len(_HEADER_KINDS))
                      if region.kind == "header" else section_colours(0.35 + 0.1 * (index % 5)))
            ax.broken_barh([(region.start, region.end - region.start)], (row - 0.28, 0.56),
                           facecolors=colour, edgecolor="white", linewidth=0.5,
                           label=region.name)
            shared = grouped and region.kind == "header" and region.start < before
            named = not shared and _label(ax, region, row, span)
            if region.kind == "header" and not named and region.start < span:
                narrow.append(region)
        _callouts(ax, narrow, row, span, whole_before=before if grouped else None)
    ax.set_yticks(range(len(paths)), [Path(p).name for p in paths], fontsize=9)
    ax.set_ylim(len(paths) - 0.5, -0.7)
    # A little room on the right, so that the last section's bar ends inside the axes.
    ax.set_xlim(0, span if limit else span * 1.03)
    ax.set_xlabel("file offset (bytes)")
    if limit and limit < widest:
        ax.set_title(f"The headers at the start of each file (its first {limit} bytes)")
    else:
        ax.set_title("Where the headers and sections sit in each file")
    return ax


def _label(ax: Any, region: Region, row: int, span: int) -> bool:
    """Name the region inside its bar if it is wide enough; True when it was named."""
    width = min(region.end, span) - region.start  # only the part inside the axes
    if width / span > 0.045:
        ax.text(region.start + width / 2, row, region.name, ha="center", va="center",
                fontsize=8.5, rotation=0 if width / span > 0.09 else 90, clip_on=True)
        return True
    return False


def _callouts(ax: Any, narrow: list[Region], row: int, span: int,
              whole_before: int | None = None) -> None:
    """Labels above the bar, on two alternating heights, each with a line to its region.

    ``whole_before``: the whole file is drawn, so the narrow headers before this offset (the
    first section) share one label, PE or ELF alike, instead of labels stacked at offset 0."""
    start = [r for r in narrow if whole_before is not None and r.start < whole_before]
    if len(narrow) > _CALLOUTS_PER_ROW or len(start) > 1:
        group = start if len(start) > 1 else narrow
        first, last = group[0], group[-1]
        shared = Region(f"headers: {first.name} ... {last.name}", first.start, last.end,
                        "header")
        narrow = [shared, *(r for r in narrow if r not in group)]
    for index, region in enumerate(narrow):
        middle = (region.start + min(region.end, span)) / 2
        ax.annotate(region.name, xy=(middle, row - 0.28),
                    xytext=(middle, row - 0.37 - 0.13 * (index % 2)), fontsize=8.5,
                    ha="left" if middle < span * 0.85 else "right", va="bottom",
                    arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.6})


def draw_load_matrix(host: str = "win11-arm64", ax: Axes | None = None,
                     mode: str = "execute") -> Axes:
    """One Windows: the process kinds that exist there (rows) against image kinds (columns).

    Green loads, red fails (193, or BIF for .NET's BadImageFormatException). Hatched cells are
    not documented (derived, reported or unverified). Drawn large enough to read on a projector;
    ``interopkit.widgets.load_matrix_explorer`` switches between the Windows. Data from
    ``interopkit.loader.matrix``; taught in notebook 03.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from .loader import Certainty, Host, ImageKind, ProcessKind, matrix

    chosen = Host(host)
    rows = [(process, outcomes) for process, outcomes in zip(ProcessKind, matrix(chosen, mode))
            if outcomes[0].possible]
    absent = [p.value for p in ProcessKind if p not in {process for process, _ in rows}]
    if ax is None:
        _figure, ax = plt.subplots(figsize=(13, 1.0 * len(rows) + 2.6))
    colours = {"yes": "#7cc47c", "fail": "#e06c5c"}
    for row, (_process, outcomes) in enumerate(rows):
        for column, outcome in enumerate(outcomes):
            state = "yes" if outcome.loads else "fail"
            hatch = "" if outcome.certainty is Certainty.DOCUMENTED else "///"
            ax.add_patch(Rectangle((column, row), 1, 1, facecolor=colours[state],
                                   edgecolor="white", hatch=hatch, linewidth=2))
            text = "yes" if outcome.loads else (
                "BIF" if outcome.error is not None and outcome.error.value == 0x8007000B
                else str(outcome.error.value if outcome.error else ""))
            ax.text(column + 0.5, row + 0.5, text, ha="center", va="center", fontsize=13,
                    fontweight="bold", bbox={"facecolor": "white", "edgecolor": "none",
                                             "alpha": 0.75, "pad": 1.5})
    ax.set_xlim(0, len(ImageKind))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([i + 0.5 for i in range(len(ImageKind))], [k.value for k in ImageKind],
                  rotation=35, ha="right", fontsize=12)
    ax.set_yticks([i + 0.5 for i in range(len(rows))],
                  [f"{process.value} process" for process, _ in rows], fontsize=13)
    title = f"{chosen.label}: LoadLibrary ({mode})"
    if absent:
        title += f"\nno {', '.join(absent)} processes on this Windows"
    ax.set_title(title, fontsize=14)
    ax.tick_params(length=0)
    ax.figure.legend(handles=[
        Patch(facecolor=colours["yes"], label="loads"),
        Patch(facecolor=colours["fail"], label="fails: 193 (216 possible); BIF: .NET "
              "BadImageFormatException"),
        Patch(facecolor="white", edgecolor="black", hatch="///",
              label="not documented: derived, reported or unverified"),
    ], loc="lower center", ncol=3, fontsize=11, frameon=False)
    ax.figure.tight_layout(rect=(0, 0.07, 1, 1))
    return ax


def draw_address_spaces(spaces: list[Any], ax: Axes | None = None) -> Axes:
    """Each measured process as a bar of the address space it could reserve (log scale), with
    its code, heap and stack marked, beside Windows' documented WOW64 limits.

    ``spaces`` come from ``interopkit.wow64.measure_both``; taught in notebook 02.
    """
    import matplotlib.pyplot as plt

    from .wow64 import WOW64_LIMITS

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 1.6 + 1.1 * len(spaces)))
    markers = {"code": ("code_address", "^", "#1f77b4"), "heap": ("heap_address", "s", "#2ca02c"),
               "stack": ("stack_address", "v", "#d62728")}
    for row, space in enumerate(spaces):
        ax.barh(row, space.reserved_bytes, height=0.5, color="#9ecae1",
                label="address space reserved" if row == 0 else None)
        ax.text(space.reserved_bytes * 1.8, row, _size(space.reserved_bytes), va="center",
                fontsize=9)
        for name, (attribute, marker, colour) in markers.items():
            ax.plot(getattr(space, attribute), row, marker=marker, color=colour, linestyle="",
                    markersize=8, label=name if row == 0 else None)
    for index, (label, limit) in enumerate(WOW64_LIMITS.items()):
        ax.axvline(limit, color="#555555", linestyle="--" if index == 0 else ":", linewidth=1)
        ax.text(limit, len(spaces) - 0.45, f" {label}: {_size(limit)} (W64-PERF)", fontsize=8,
                rotation=0, va="bottom", ha="left" if index else "right")
    ax.set_xscale("log", base=2)
    ax.set_xlim(_LOG_START, 2 ** 50)
    ax.set_ylim(-0.6, len(spaces) - 0.2)
    ax.set_yticks(range(len(spaces)), [f"{s.bits}-bit {s.arch} process" for s in spaces])
    ax.set_xlabel("address / bytes (log scale: each tick is 16 times the one before)")
    ax.set_title("Address space of real processes on this machine" + _ratio_note(spaces))
    ax.legend(loc="lower right", fontsize=8)
    return ax


_LOG_START = 2 ** 16
"""Where the log axis of ``draw_address_spaces`` starts: the bars' lengths are measured from it."""


def _ratio_note(spaces: list[Any]) -> str:
    """How many times the largest reservation is the smallest, as measured (or nothing)."""
    sizes = [s.reserved_bytes for s in spaces if s.reserved_bytes > 0]
    if len(sizes) < 2 or max(sizes) < 2 * min(sizes):
        return ""
    ratio = max(sizes) / min(sizes)
    # On a log axis a bar's length is log(size / axis start): the apparent ratio depends on
    # where the axis starts (_LOG_START), so it is computed, not asserted.
    apparent = math.log2(max(sizes) / _LOG_START) / math.log2(min(sizes) / _LOG_START)
    return (f"\non this log axis the longest bar looks {apparent:.1f} times as long as the "
            f"shortest, yet holds {ratio:,.0f} times as much")


def draw_address_spaces_linear(spaces: list[Any], ax: Axes | None = None) -> Axes:
    """The same reservations as ``draw_address_spaces`` on a linear axis, where they compare
    as they really do: a 32-bit process's 4 GiB is a sliver beside a 64-bit one's terabytes.
    Each bar is labelled with its size and its share of the longest. Taught in notebook 02."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.9 + 0.6 * len(spaces)))
    longest = max((s.reserved_bytes for s in spaces), default=0) or 1
    for row, space in enumerate(spaces):
        ax.barh(row, space.reserved_bytes, height=0.5, color="#9ecae1")
        share = space.reserved_bytes / longest
        note = "" if share > 0.5 else (f", 1/{longest / max(space.reserved_bytes, 1):,.0f} of the"
                                       " longest: too thin to see")
        ax.text(longest * 0.01 + space.reserved_bytes, row,
                f" {_size(space.reserved_bytes)}{note}", va="center", fontsize=9)
    ax.set_xlim(0, longest * 1.25)
    from matplotlib.ticker import MultipleLocator

    # Ticks on a power of two (16 TiB, 512 GiB ...), so that their labels are round numbers.
    ax.xaxis.set_major_locator(MultipleLocator(2 ** int(math.log2(longest * 1.25 / 6) // 1)))
    ax.xaxis.set_major_formatter(lambda value, _pos: _size(int(value)) if value else "0")
    ax.set_ylim(-0.6, len(spaces) - 0.4)
    ax.set_yticks(range(len(spaces)), [f"{s.bits}-bit {s.arch} process" for s in spaces])
    ax.set_xlabel("bytes reserved (linear scale)")
    ax.set_title("The same reservations on a linear axis")
    return ax


def _size(value: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.4g} {unit}"
    return f"{value} bytes"


def draw_wow64_layers(axes: list[Axes] | None = None) -> list[Axes]:
    """The layers of a 32-bit program's system call: WOW64 on x64, WOW64 plus emulation on
    Arm, and the Linux kernel's compatibility mode on this machine. 32-bit code in orange,
    64-bit in blue; data from ``interopkit.wow64.LAYERS``. Taught in notebook 02."""
    import matplotlib.pyplot as plt

    from .wow64 import LAYERS

    if axes is None:
        _, grid = plt.subplots(1, len(LAYERS), figsize=(15, 8))
        axes = list(grid)
    colours = {32: "#fdd0a2", 64: "#c6dbef"}
    for ax, (title, layers) in zip(axes, LAYERS.items()):
        for row, layer in enumerate(layers):
            top = len(layers) - row
            ax.add_patch(plt.Rectangle((0.02, top - 0.92), 0.96, 0.84,
                                       facecolor=colours[layer.bits], edgecolor="#444444"))
            # The name sits at the top of its box and the note hangs below it, so that a
            # three-line note never runs into the name.
            ax.text(0.5, top - 0.2, layer.name, ha="center", va="center", fontsize=9,
                    weight="bold")
            ax.text(0.5, top - 0.34, textwrap.fill(layer.note, 40), ha="center", va="top",
                    fontsize=9, linespacing=1.15)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, len(layers) + 0.1)
        ax.axis("off")
        ax.set_title(textwrap.fill(title, 38), fontsize=11)
    return axes


def _times(value: float) -> str:
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def draw_emulation_cost(records: list[Any], ax: Axes | None = None) -> Axes:
    """Measured slowdown of the emulated checksum against native, per architecture and size;
    beside it, in a panel of its own, the slowdowns other emulators published (other hardware,
    other work: context, not a ranking), each with its source key.

    ``records`` come from ``interopkit.emucost.native_vs_emulated``; taught in notebook 04.
    Returns the measured Axes; the published panel is ``ax.child_axes[0]``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from .emucost import PUBLISHED

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5.5))
        ax.figure.subplots_adjust(left=0.08, right=0.62, bottom=0.24, top=0.9)
    colours = {"x86": "#1f4e9e", "x64": "#d9730d", "arm64": "#7b2d8e"}
    markers = {"x86": "o", "x64": "s", "arm64": "^"}
    for arch in sorted({r.arch for r in records}):
        mine = sorted((r for r in records if r.arch == arch), key=lambda r: r.size)
        ax.plot([r.size for r in mine], [r.slowdown for r in mine], marker=markers.get(arch, "o"),
                color=colours.get(arch), linewidth=2, label=f"emulated {arch} (measured here)")
    side = ax.inset_axes([1.04, 0.0, 0.55, 1.0])
    for index, published in enumerate(PUBLISHED):
        low, high = 1 / published.high, 1 / published.low
        side.bar(index, high - low, bottom=low, width=0.6, color="#bbbbbb", edgecolor="#555555")
        side.text(index, high * 1.08, _times(low) if _times(low) == _times(high) else
                  f"{_times(low)}-{_times(high)}", ha="center", va="bottom", fontsize=9)
    side.set_xticks(range(len(PUBLISHED)), [f"{p.name.split(' (')[0]}\n[{p.source}]"
                                            for p in PUBLISHED], rotation=40, ha="right",
                    rotation_mode="anchor", fontsize=8)
    side.yaxis.tick_right()
    side.set_title("published elsewhere\n(other hardware, other work)", fontsize=9)
    side.set_xlim(-0.6, len(PUBLISHED) - 0.4)
    measured = [r.slowdown for r in records]
    top = max([*measured, *(1 / p.low for p in PUBLISHED)]) * 1.6
    bottom = min([1.0, *measured]) / 1.3
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if bottom <= t <= top]
    for axes in (ax, side):
        axes.set_yscale("log")
        axes.set_ylim(bottom, top)
        axes.yaxis.set_major_locator(FixedLocator(ticks))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
        axes.yaxis.set_minor_locator(NullLocator())
        axes.axhline(1, color="#333333", linestyle="--", linewidth=1,
                     label="native speed (1x)" if axes is ax else None)
        axes.grid(axis="y", color="#dddddd")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bytes checksummed")
    ax.set_ylabel("times slower than native")
    ax.set_title("checksum on this machine's emulator (Unicorn)", fontsize=10)
    # Just above the 1x line, where no emulator's slowdown falls: "upper left" hid the points.
    ax.legend(fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 0.08))
    return ax


def draw_translation(seconds: list[float], ax: Axes | None = None) -> Axes:
    """Time of each call on one fresh emulator: the first pays for translating the code."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    colours = ["#d62728"] + ["#1f77b4"] * (len(seconds) - 1)
    ax.bar(range(1, len(seconds) + 1), [s * 1e6 for s in seconds], color=colours)
    ax.set_xlabel("call number on the same emulator")
    ax.set_ylabel("microseconds")
    ax.set_title("Call 1 on a fresh emulator includes translating the code (red); later calls "
                 "reuse the translation", fontsize=9)
    return ax


def draw_bits(moved: Any, ax: Axes | None = None) -> Axes:
    """The 64 bits of one value before, on the wire and after, most significant on the left.

    ``moved`` is an ``interopkit.ndr.transfer`` result. Blue bits travel; orange ones stay in
    the sender; green ones the receiver made by extension; red ones differ from what was sent
    (pale red: a bit the receiver does not have). Taught in notebook 06.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from .ndr import bit_rows, show

    if ax is None:
        _, ax = plt.subplots(figsize=(14, 2.9))
    rows = bit_rows(moved)
    for row, line in enumerate(rows):
        for index in range(64):
            x = 63 - index
            state = line.states[index]
            ax.add_patch(Rectangle((x, row), 1, 0.8, facecolor=BIT_COLOURS[state],
                                   edgecolor="#cccccc" if state == "none" else "white",
                                   linewidth=0.6, hatch="///" if state == "lost" else ""))
            digit = line.bits[index]
            text = "?" if state == "undefined" else "" if digit is None else str(digit)
            ax.text(x + 0.5, row + 0.42, text, ha="center", va="center", fontsize=9)
    for byte in range(1, 8):
        ax.axvline(byte * 8, color="#555555", linewidth=0.8)
    ax.set_xlim(0, 64)
    ax.set_ylim(len(rows) - 0.1, -0.1)
    ax.set_yticks([row + 0.4 for row in range(len(rows))], [line.label for line in rows],
                  fontsize=9)
    # One label per byte, centred between the byte lines (a label on a line reads as either).
    ax.set_xticks([x + 4 for x in range(0, 64, 8)],
                  [f"bits {63 - x}-{56 - x}" for x in range(0, 64, 8)], fontsize=9)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    received = "undefined" if moved.received is None else show(moved.received)
    ax.set_title(f"{moved.type.name} {show(moved.value)}, {moved.sender_bits}-bit to "
                 f"{moved.receiver_bits}-bit over {moved.syntax.upper()}: receiver holds "
                 f"{received}{' (lossy)' if moved.lossy else ''} [{moved.certainty}]",
                 fontsize=9)
    # "sent" and "arrived" share a colour: one legend entry for both
    states = {state for line in rows for state in line.states} - {"none", "arrived"}
    shown = sorted(states | {"sent"}, key=list(BIT_COLOURS).index)
    labels = {"sent": "travels", "lost": "meant, but no such bit"}
    ax.legend(handles=[Patch(facecolor=BIT_COLOURS[s], hatch="///" if s == "lost" else "",
                             label=labels.get(s, s)) for s in shown],
              loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(shown), fontsize=8,
              frameon=False)
    return ax


COM_PRIMER = (
    ("client", "client code", "calls obj->add(2, 3) as if the object were here"),
    ("proxy", "proxy", ("MARSHALS: packs the method's number and its arguments into bytes "
                        "(NDR)")),
    ("channel", "channel", ("RPC carries the bytes to the other process (on one machine: "
                            "LRPC, over the kernel's ALPC)")),
    ("stub", "stub", "UNMARSHALS: unpacks the bytes into real arguments and calls the object"),
    ("object", "object", "the class's code, in the DLL loaded by the surrogate"),
)
"""The parts of an out-of-process COM call, left to right: (key, label, what it does)."""


def draw_com_primer(ax: Axes | None = None, client_bits: int = 64,
                    server_bits: int = 32) -> Axes:
    """One picture of a COM call out of process: the client process (client code, proxy), the
    channel, the surrogate process (stub, the object in its DLL), and where marshaling
    happens. The reply travels back the same way, marshaled by the stub and unmarshaled by
    the proxy. Data from ``COM_PRIMER``; taught in notebook 05."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(13, 5))
    ax.set_xlim(0, 13)
    ax.set_ylim(0, 5.4)
    ax.axis("off")
    processes = ((0.1, 5.3, f"client process ({client_bits}-bit)", "#deebf7"),
                 (7.6, 5.3, f"surrogate process: dllhost.exe ({server_bits}-bit)", "#fee6ce"))
    for x, width, title, colour in processes:
        ax.add_patch(FancyBboxPatch((x, 1.4), width, 3.4, boxstyle="round,pad=0.05",
                                    facecolor=colour, edgecolor="#555555", gid="process"))
        ax.text(x + width / 2, 4.55, title, ha="center", fontsize=11, weight="bold")
    centres = {"client": 1.4, "proxy": 4.2, "channel": 6.5, "stub": 8.9, "object": 11.7}
    for key, label, note in COM_PRIMER:
        x = centres[key]
        plain = {"bbox": {"facecolor": "white", "edgecolor": "none"}} if key == "channel" else {}
        if key == "channel":
            ax.text(x, 3.55, label, ha="center", fontsize=11, weight="bold", gid="part", **plain)
        else:
            ax.add_patch(FancyBboxPatch((x - 1.05, 3.05), 2.1, 0.9, boxstyle="round,pad=0.04",
                                        facecolor="white", edgecolor="#333333"))
            ax.text(x, 3.5, label, ha="center", va="center", fontsize=11, weight="bold",
                    gid="part")
        ax.text(x, 2.85, textwrap.fill(note, 24), ha="center", va="top", fontsize=8.5,
                color="#b03000" if "MARSHALS" in note else "#222222", **plain)
    pairs = list(zip(list(centres)[:-1], list(centres)[1:]))
    for left, right in pairs:  # the call goes right, the reply comes back below it
        start, end = centres[left] + (1.05 if left != "channel" else 0.6), \
            centres[right] - (1.05 if right != "channel" else 0.6)
        ax.add_patch(FancyArrowPatch((start, 3.62), (end, 3.62), arrowstyle="-|>",
                                     mutation_scale=14, color="#1f77b4", gid="call"))
        ax.add_patch(FancyArrowPatch((end, 3.3), (start, 3.3), arrowstyle="-|>",
                                     mutation_scale=10, color="#9a6700", linestyle="--",
                                     gid="reply"))
    ax.plot([6.5, 6.5], [1.2, 4.9], color="#555555", linestyle=":", linewidth=1, zorder=0)
    ax.text(6.5, 0.95, "process boundary: only bytes cross it, never a pointer",
            ha="center", fontsize=9, style="italic")
    ax.text(0.1, 0.05, textwrap.fill(
        "Blue: the call. Brown, dashed: the reply (results marshaled by the stub, unmarshaled "
        "by the proxy). In notebook 05 the kit plays every part itself: a pipe is the channel "
        "and interopkit.wire is the byte format.", 150), fontsize=8.5, color="#444444")
    return ax
