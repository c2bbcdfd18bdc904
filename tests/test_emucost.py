"""The emulation-cost experiments run for real, and their charts show what they measured."""

import matplotlib
import pytest

from interopkit.emucost import (
    PUBLISHED,
    instructions_per_byte,
    native_vs_emulated,
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


def test_charts_draw_the_data(records) -> None:
    from interopkit.diagrams import draw_emulation_cost, draw_translation

    ax = draw_emulation_cost(records)
    lines = {line.get_label(): line for line in ax.get_lines()}
    x64 = lines["emulated x64 (measured here)"]
    assert list(x64.get_ydata()) == [r.slowdown for r in records if r.arch == "x64"]
    assert len(ax.patches) == len(PUBLISHED)  # one shaded band per published figure
    bars = draw_translation([3e-4, 1e-4, 1e-4])
    assert [round(p.get_height()) for p in bars.patches] == [300, 100, 100]
