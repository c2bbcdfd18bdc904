"""interopkit.lessons.start_here: its tables, diagrams, explorers and exercises."""

from interopkit.lessons.start_here import render_check, render_status


def test_render_check_counts_views() -> None:
    slider = render_check()
    assert slider._view_count == 0
    assert "0 views" in render_status(slider)
    slider._view_count = 1
    assert render_status(slider).startswith("Widgets work")
