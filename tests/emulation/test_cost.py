"""The emulation-cost experiments run for real, and their charts show what they measured."""

import matplotlib
import pytest

from interopkit.emulation.cost import (
    PUBLISHED,
    instructions_per_byte,
    native_vs_emulated,
    slowdown_summary,
    translation_cost,
)
from interopkit.sources import SOURCES

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def records():
    return native_vs_emulated(sizes=(1024, 16384), repeats=2)


def test_every_architecture_and_size_is_measured(records) -> None:
    assert {(r.arch, r.size) for r in records} == {
        (arch, size) for arch in ("x86", "x64", "arm64") for size in (1024, 16384)}
    for record in records:
        assert record.native_seconds > 0 and record.emulated_seconds > 0
        assert record.instructions > record.size  # a loop over every byte


def test_emulation_is_slower_than_native_for_real_work(records) -> None:
    for record in (r for r in records if r.size == 16384):
        assert record.slowdown > 1, record


def test_instructions_per_byte_is_the_loop_body(records) -> None:
    slopes = instructions_per_byte(records)
    assert set(slopes) == {"x86", "x64", "arm64"}
    assert all(2 <= slope <= 8 for slope in slopes.values()), slopes


def test_translation_cost_has_one_number_per_call() -> None:
    seconds = translation_cost("x64", calls=4, size=256)
    assert len(seconds) == 4 and all(s > 0 for s in seconds)


def test_published_figures_are_sourced_fractions() -> None:
    for published in PUBLISHED:
        assert 0 < published.low <= published.high <= 1
        assert published.source in SOURCES


def test_summary_states_this_runs_numbers(records) -> None:
    lines = slowdown_summary(records)
    assert [line.split(":")[0].strip() for line in lines] == ["arm64", "x64", "x86"]
    for line in lines:
        arch = line.split(":")[0].strip()
        mine = [r for r in records if r.arch == arch]
        assert f"{max(r.slowdown for r in mine):.1f}x" in line
        assert "at 1,024 bytes" in line and "at 16,384 bytes" in line


def test_charts_draw_the_data(records) -> None:
    import matplotlib.pyplot as plt

    from interopkit.lessons.arm64_emulation import draw_emulation_cost, draw_translation

    ax = draw_emulation_cost(records)
    lines = {line.get_label(): line for line in ax.get_lines()}
    x64 = lines["emulated x64 (measured here)"]
    assert list(x64.get_ydata()) == [r.slowdown for r in records if r.arch == "x64"]
    # Issue 15: one y tick; an x86 line on a band of its own colour; "1.3x-1.3x"; a source
    # missing. The published figures now sit in a panel of their own, one bar each.
    published = ax.child_axes[0]
    assert len(published.patches) == len(PUBLISHED) and not ax.patches
    assert len([t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]) >= 3
    labels = [t.get_text() for t in published.texts]
    assert "1.3x" in labels and not any(a == b for a, b in (t.split("-") for t in labels
                                                            if "-" in t))
    ticks = " ".join(t.get_text() for t in published.get_xticklabels())
    assert all(f"[{p.source}]" in ticks for p in PUBLISHED)
    plt.close(ax.figure)
    bars = draw_translation([3e-4, 1e-4, 1e-4])
    assert [round(p.get_height()) for p in bars.patches] == [300, 100, 100]
