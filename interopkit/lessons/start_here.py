"""Notebook 00 (start here): its tables, diagrams, explorers and checked exercises.

Exercise of notebook 00: a first, small check that shows how the kit's checkers work."""

from __future__ import annotations

from typing import Any

from interopkit.kit.host import host_info
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.html import _table

__all__ = [
    "checks_table_html",
    "q0_process_bits",
    "render_check",
    "render_status",
]


def _check_bits(answer: Any) -> tuple[bool, str]:
    bits = host_info().process_bits
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a whole number of bits, such as 16, 32 or 64."
    if answer == bits:
        return True, (f"This Python is a {bits}-bit process: its pointers are {bits // 8} "
                      "bytes wide. Everything it loads must be built for the same width.")
    if answer == bits // 8:
        return False, f"{answer} is the pointer size in bytes; the question asks for bits."
    return False, "Not this process. Look at the doctor's report above: it says how many bits."


q0_process_bits = Exercise(
    name="q0_process_bits",
    question="How many bits wide is a pointer in the Python process running this notebook?",
    checker=_check_bits,
    hint_text="The doctor report above names it; so does struct.calcsize('P') (in bytes).",
    solution_code="import struct\nanswer = struct.calcsize('P') * 8\n",
    explanation="struct.calcsize('P') is the size of a C pointer in this process, in bytes.",
)


def checks_table_html(checks: list[Any]) -> str:
    """The doctor's checks: what works here, and the remedy for what does not."""
    rows = [["yes" if c.ok else ("NO (required)" if c.required else "no"), c.name, c.detail,
             c.remedy] for c in checks]
    return _table(["works", "what", "found", "what to do"], rows)


def render_check() -> Any:
    """A slider whose front-end views are counted (display it, then call render_status)."""
    import ipywidgets as widgets

    slider = widgets.IntSlider(value=32, min=16, max=64, step=16, description="bits")
    slider._view_count = 0  # start counting views (None means "not tracked")
    return slider


def render_status(widget: Any) -> str:
    """What the view count of a displayed ``render_check()`` widget says."""
    count = widget._view_count or 0
    if count:
        return f"Widgets work: the slider above was rendered by {count} front-end view(s)."
    return ("No front end has rendered the slider yet (0 views). If you ran all cells at once, "
            "run this cell again now. If it stays 0 in JupyterLab, the widget extension is "
            "missing or does not match ipywidgets: run `interopkit doctor`. (When the notebook "
            "runs headless, as in the kit's tests, 0 is expected.)")
