"""HTML tables shared by several lessons."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from interopkit.errors import InteropKitError
from interopkit.images.inspection import inspect
from interopkit.sources import SOURCES

__all__ = [
    "EXPORTS_SHOWN",
    "image_summary_html",
    "sources_html",
]


EXPORTS_SHOWN = 40
"""How many export names ``image_summary_html`` lists before it says how many more there are
(a system library has thousands: glibc's libc.so.6 exports about 2,700)."""


def _machine_text(info: Any) -> str:
    """An ELF file's machine by its ELF name and number; a PE file's by its PE name in hex."""
    if info.format == "ELF" and info.elf_machine is not None:
        return (f"{info.elf_machine.name} = {info.machine_value} (the instruction set PE calls "
                f"{info.machine_name})")
    if info.format == "ELF":
        return f"e_machine = {info.machine_value} (not one the kit knows)"
    return (f"{info.machine_name} = 0x{info.machine_value:04X}"
            + (f" ({info.machine.display_name})" if info.machine is not None else ""))


def _names(names: Any, limit: int) -> str:
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} ... and {len(names) - limit:,} more ({len(names):,} in all)"


def image_summary_html(path: str | os.PathLike[str], max_exports: int = EXPORTS_SHOWN) -> str:
    """An HTML table of what the inspector reads from ``path`` (or the kit's error).

    Long export lists show their first ``max_exports`` names and how many more there are.
    Used by the image explorer of notebooks 00 and 01.
    """
    try:
        info = inspect(path)
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    rows = [
        ("format", f"{info.format} ({info.pe_magic or info.elf_class})"),
        ("machine", _machine_text(info)),
        ("bits", f"{info.bits}-bit code: loads only into a {info.bits}-bit process of that CPU"),
        ("kind", info.kind),
    ]
    if info.format == "PE":
        rows += [("subsystem", info.subsystem or ""),
                 ("large address aware", "yes" if info.large_address_aware else "no"),
                 ("image base", f"0x{info.image_base:X}" if info.image_base is not None else "")]
    rows += [("exports", _names(info.exports, max_exports) or "none"),
             ("imports", "; ".join(f"{i.library}: {_names(i.names, max_exports)}" if i.names
                                   else i.library for i in info.imports) or "none (import-free)"),
             ("sections", " ".join(info.sections))]
    if info.clr is not None:
        rows.append((".NET", (f"{info.clr.platform} ({', '.join(info.clr.flags)}): "
                             f"{info.clr.explanation}")))
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<b>{html.escape(Path(path).name)}</b><table>{body}</table>"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def sources_html(keys: tuple[str, ...] | list[str]) -> str:
    """Source keys as links."""
    return ", ".join(f'<a href="{html.escape(SOURCES[k][1])}" target="_blank" '
                     f'title="{html.escape(SOURCES[k][0])}">{html.escape(k)}</a>'
                     for k in keys)


def _sample_export(export: str, bits: int) -> str:
    """The sample's export name on a build of ``bits``: x86 decorates stdcall names."""
    return "add_stdcall@8" if (bits, export) == (32, "add_stdcall") else export
