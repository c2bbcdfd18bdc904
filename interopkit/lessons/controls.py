"""Widget controls shared by several lessons' explorers."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from interopkit.errors import InteropKitError
from interopkit.kit.samples import BIN_DIR, sample_paths
from interopkit.lessons.html import image_summary_html

__all__ = [
    "explorer_choices",
    "image_explorer",
]


def explorer_choices() -> dict[str, Path]:
    """The kit's binaries offered by the explorer: samples, then probes."""
    probes = {p.name: p for p in sorted(BIN_DIR.iterdir()) if p.name.startswith("probe")}
    return {**sample_paths(), **probes}


def image_explorer() -> Any:
    """Pick a kit binary or type a path; the table below follows."""
    import ipywidgets as widgets

    choices = explorer_choices()
    picker = widgets.Dropdown(options=list(choices), description="kit file")
    own = widgets.Text(placeholder="or type the path of your own .dll/.exe/.so",
                       description="your file", layout=widgets.Layout(width="60%"))
    output = widgets.HTML(value=image_summary_html(choices[picker.value]))

    def show_pick(change: dict[str, Any]) -> None:
        output.value = image_summary_html(choices[change["new"]])

    def show_own(change: dict[str, Any]) -> None:
        if change["new"].strip():
            output.value = image_summary_html(change["new"].strip())

    picker.observe(show_pick, names="value")
    own.observe(show_own, names="value")
    return widgets.VBox([widgets.HBox([picker]), own, output])


def _call_controls(exports: list[str] | tuple[str, ...] | None = None) -> tuple[Any, Any]:
    """The export and arguments controls both call explorers share (notebooks 04 and 05).

    The export list is capped (``callargs.EXPORT_LIMIT``; the drop-down's description says how
    many were left out), and choosing an export puts a default argument line that works into
    the arguments box. Check the argument count with ``_arguments_problem`` before a call.
    """
    import ipywidgets as widgets

    from interopkit.lessons.callargs import SIGNATURES, export_options

    offered, hidden = export_options(list(exports) if exports is not None else list(SIGNATURES))
    export = widgets.Dropdown(options=offered, value=offered[0] if offered else None,
                              description="export" if not hidden else
                              f"export ({len(offered)} of {len(offered) + hidden:,})")
    first = SIGNATURES.get(export.value or "")
    arguments = widgets.Text(value=first.default if first else "", description="arguments",
                             placeholder="ints, or text:hello / zeros:8 for buffers")

    def default_arguments(change: dict[str, Any]) -> None:
        signature = SIGNATURES.get(change["new"] or "")
        if signature is not None:
            arguments.value = signature.default

    # Registered before the explorer's own observer, so the call sees the new default.
    export.observe(default_arguments, names="value")
    return export, arguments


def _arguments_problem(export: str, text: str) -> str | None:
    """The kit's error (as red HTML) when ``text`` is not a good argument line for
    ``export``; None when the call may go ahead."""
    from interopkit.lessons.callargs import check_arguments, parse_arguments

    try:
        check_arguments(export, parse_arguments(text))
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    return None
