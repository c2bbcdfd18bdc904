"""Notebook display helpers and ipywidgets explorers. Widgets only wire pure functions together.

* ``images_table_html(paths)``, ``fields_table_html(path, region)``, ``checks_table_html``:
  HTML tables of what the inspector, the header reader and the doctor found.

* ``render_check()`` / ``render_status(widget)``: the self-check of notebook 00. A widget's
  ``_view_count`` counts the front-end views; 0 after display means the JupyterLab widget
  extension did not render it (the classic "widgets show as text" failure).
* ``image_explorer()``: notebook 01's "try it": pick one of the kit's binaries or type the
  path of your own file, and see what its headers say.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from .errors import InteropKitError
from .headers import DLL_CHARACTERISTICS, FILE_CHARACTERISTICS, field_values, flag_names
from .inspection import inspect
from .samples import BIN_DIR, sample_paths

__all__ = [
    "checks_table_html",
    "explorer_choices",
    "fields_table_html",
    "image_explorer",
    "image_summary_html",
    "images_table_html",
    "render_check",
    "render_status",
]


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


def image_summary_html(path: str | os.PathLike[str]) -> str:
    """An HTML table of what the inspector reads from ``path`` (or the kit's error)."""
    try:
        info = inspect(path)
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    rows = [
        ("format", f"{info.format} ({info.pe_magic or info.elf_class})"),
        ("machine", f"{info.machine_name} = 0x{info.machine_value:04X}"
                    + (f" ({info.machine.display_name})" if info.machine is not None else "")),
        ("bits", f"{info.bits}-bit code: loads only into a {info.bits}-bit process of that CPU"),
        ("kind", info.kind),
    ]
    if info.format == "PE":
        rows += [("subsystem", info.subsystem or ""),
                 ("large address aware", "yes" if info.large_address_aware else "no"),
                 ("image base", f"0x{info.image_base:X}" if info.image_base is not None else "")]
    rows += [("exports", ", ".join(info.exports) or "none"),
             ("imports", "; ".join(f"{i.library}: {', '.join(i.names)}" if i.names else
                                   i.library for i in info.imports) or "none (import-free)"),
             ("sections", " ".join(info.sections))]
    if info.clr is not None:
        rows.append((".NET", (f"{info.clr.platform} ({', '.join(info.clr.flags)}): "
                             f"{info.clr.explanation}")))
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<b>{html.escape(Path(path).name)}</b><table>{body}</table>"


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


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def images_table_html(paths: list[str | os.PathLike[str]]) -> str:
    """One row per image: format, machine, bits, kind, PE32/PE32+ or ELF class, exports."""
    rows = []
    for path in paths:
        info = inspect(path)
        if info.format == "ELF" and info.elf_machine is not None:
            machine = (f"{info.elf_machine.name} = {info.machine_value} "
                       f"(like PE {info.machine_name})")
            kind = "shared object" if info.kind == "dll" else info.kind
        else:
            machine, kind = f"{info.machine_name} = 0x{info.machine_value:04X}", info.kind
        rows.append([Path(path).name, info.format, machine,
                     info.bits, kind, info.pe_magic or info.elf_class,
                     ", ".join(i.library for i in info.imports) or "none", len(info.exports)])
    return _table(["file", "format", "machine", "bits", "kind", "PE32/PE32+ or class",
                   "imports", "exports"], rows)


def fields_table_html(path: str | os.PathLike[str], region: str) -> str:
    """The fields of one header structure (``DOS header``, ``COFF file header`` ...) of a file."""
    rows = []
    for field in field_values(path):
        if field.region.startswith(region):
            shown = _shown(field.value)
            if field.name in _FLAG_FIELDS:
                names = flag_names(field.value, _FLAG_FIELDS[field.name])
                shown = f"0x{field.value:04X} = {' | '.join(names) or 'no flags'}"
            rows.append([f"0x{field.offset:03X}", field.size, field.name, shown, field.doc])
    return _table(["offset", "bytes", "field", "value", "meaning"], rows)


_FLAG_FIELDS = {"Characteristics": FILE_CHARACTERISTICS,
                "DllCharacteristics": DLL_CHARACTERISTICS}


def _shown(value: Any) -> str:
    if isinstance(value, int):
        return f"0x{value:X} ({value})"
    if isinstance(value, tuple):
        return f"RVA 0x{value[0]:X}, {value[1]} bytes" if any(value) else "empty"
    if isinstance(value, bytes) and not any(value):
        return f"{len(value)} zero bytes"
    if isinstance(value, bytes) and len(value) > 4:
        return value.hex(" ")
    return repr(value)


def checks_table_html(checks: list[Any]) -> str:
    """The doctor's checks: what works here, and the remedy for what does not."""
    rows = [["yes" if c.ok else ("NO (required)" if c.required else "no"), c.name, c.detail,
             c.remedy] for c in checks]
    return _table(["works", "what", "found", "what to do"], rows)
