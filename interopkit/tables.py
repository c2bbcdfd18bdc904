"""HTML tables for the notebooks: what the inspector, the header reader, the doctor, the loader
model, the real loader and the dependency checker found. Pure functions returning HTML strings;
``interopkit.widgets`` wires some of them to controls.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from .errors import InteropKitError
from .headers import DLL_CHARACTERISTICS, FILE_CHARACTERISTICS, field_values, flag_names
from .inspection import inspect
from .samples import sample_path
from .sources import SOURCES

__all__ = [
    "EXPORTS_SHOWN",
    "activations_html",
    "bench_table_html",
    "bits_html",
    "check_report_html",
    "checks_table_html",
    "comparison_table_html",
    "echoes_html",
    "error_codes_html",
    "fields_table_html",
    "findings_html",
    "handle_trip_html",
    "image_summary_html",
    "images_table_html",
    "outcome_html",
    "registry_html",
    "sources_html",
    "start_table_html",
    "surrogate_call_html",
    "wire_html",
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


def sources_html(keys: tuple[str, ...] | list[str]) -> str:
    """Source keys as links."""
    return ", ".join(f'<a href="{html.escape(SOURCES[k][1])}" target="_blank" '
                     f'title="{html.escape(SOURCES[k][0])}">{html.escape(k)}</a>'
                     for k in keys)


def outcome_html(outcome: Any) -> str:
    """One loader-model outcome: verdict, error and message, why, remedy, certainty, sources."""
    if not outcome.possible:
        verdict, colour = "no such process on this Windows", "#777777"
    elif outcome.loads:
        verdict, colour = "loads", "#1a7f37"
    else:
        verdict, colour = f"fails: {outcome.error.describe()}", "#b03000"
    rows = [f'<p><b style="color:{colour}">{html.escape(verdict)}</b></p>']
    if outcome.error is not None:
        rows.append(f"<p>Windows says: <i>{html.escape(outcome.message('the DLL'))}</i></p>")
    rows.append(f"<p>{html.escape(outcome.explanation)}</p>")
    if outcome.remedy:
        rows.append(f"<p><b>Remedy:</b> {html.escape(outcome.remedy)}</p>")
    if outcome.alternatives:
        rows.append("<p>Windows may report " + html.escape(", ".join(
            a.describe() for a in outcome.alternatives)) + " instead: which code appears when "
            "is not documented.</p>")
    rows.append(f"<p><small>Model: {html.escape(outcome.certainty.value)}; sources "
                f"{sources_html(outcome.sources)}</small></p>")
    return "".join(rows)


def comparison_table_html(comparisons: list[Any]) -> str:
    """The sample DLLs: the model's answer for this process beside this machine's loader."""
    rows = []
    for c in comparisons:
        model = "loads" if c.model.loads else c.model.error.describe()
        real = "loaded" if c.real.loaded else (f"error {c.real.code}: " if c.real.code else
                                                "refused: ") + c.real.message.split(": ")[-1]
        rows.append([c.dll, f"{c.model.process.value} on {c.model.host.label}", model,
                     Path(c.real.path).name, real])
    return _table(["DLL", "model: process", "model: LoadLibrary", "really loaded here",
                   "this machine's loader said"], rows)


def start_table_html(exes: list[Any], hosts: list[Any]) -> str:
    """How each EXE kind starts on each Windows (CreateProcess), from the loader model.

    A refusal shows every code Windows may give (``no (193 or 216) *``): which one appears when
    is not documented (ERR0-499), so such a cell always carries the mark.
    """
    from .loader import start_outcome

    rows = []
    for exe in exes:
        cells = []
        for host in hosts:
            outcome = start_outcome(exe, host)
            if outcome.runs:
                text, sure = outcome.how, outcome.certainty.value == "documented"
            else:
                codes = sorted({outcome.error.value, *(a.value for a in outcome.alternatives)})
                text = f"no ({' or '.join(str(c) for c in codes)})"
                sure = outcome.certainty.value == "documented" and len(codes) == 1
            cells.append(text + ("" if sure else " *"))
        rows.append([exe.value, *cells])
    return _table(["EXE", *[h.label for h in hosts]], rows) + (
        "<p><small>* not documented: derived, reported or unverified. For a refusal: which of "
        "the codes Windows reports is not documented (Wine reports 193).</small></p>")


def check_report_html(report: Any) -> str:
    """The dependency checker's report: one row per DLL, the failures explained below."""
    rows = [[d.name, d.machine or "-", "yes" if d.loads else "NO",
             d.error.describe() if d.error else "-", ", ".join(d.imported_by) or "(in folder)"]
            for d in report.dlls]
    head = (f"<p><b>{html.escape(Path(report.app).name)}</b> runs as an "
            f"{html.escape(report.process.value)} process on {html.escape(report.host.label)} "
            f"({html.escape(report.start)})</p>")
    notes = "".join(f"<p><b>{html.escape(d.name)}</b>: {html.escape(d.reason)}<br>"
                    f"&rarr; {html.escape(d.remedy)}</p>" for d in report.dlls if not d.loads)
    return head + _table(["DLL", "machine", "loads", "error", "imported by"], rows) + notes


def error_codes_html(codes: list[Any]) -> str:
    """Windows error codes with Microsoft's message and the source."""
    return _table(["code", "name", "message", "source"],
                  [[c.describe().split(" ")[-1].strip("()"), c.name, c.phrase, c.source]
                   for c in codes])


def redirections_html(results: list[Any]) -> str:
    """Redirection results: what was asked, what is really reached, and why."""
    rows = [[r.input, r.result if r.redirected else "(not redirected)", r.reason] for r in results]
    return _table(["asked for", "really reaches", "why"], rows)


def key_redirections_html(cases: list[tuple[str, int, Any]]) -> str:
    """Registry redirections with the process and the view flags that produced each result:
    (process, flags, result) rows, so that the same key asked twice reads as two questions."""
    from .redirect import KEY_WOW64_32KEY, KEY_WOW64_64KEY

    def flag_names(flags: int) -> str:
        names = [name for name, bit in (("KEY_WOW64_64KEY", KEY_WOW64_64KEY),
                                        ("KEY_WOW64_32KEY", KEY_WOW64_32KEY)) if flags & bit]
        return " | ".join(names) or "none"

    rows = [[process, flag_names(flags), r.input,
             r.result if r.redirected else "(not redirected)", r.reason]
            for process, flags, r in cases]
    return _table(["process", "view flags", "asked for", "really reaches", "why"], rows)


def spaces_table_html(spaces: list[Any]) -> str:
    """What each probe process reported about its address space."""
    rows = [[f"{s.bits}-bit {s.arch}", s.pointer_size, f"0x{s.code_address:x}",
             f"0x{s.stack_address:x}", f"0x{s.heap_address:x}", f"{s.reserved_bytes:,}",
             f"{s.reserved_bytes / 2**30:,.3f} GiB", f"0x{s.highest_address:x}", s.syscall_abi]
            for s in spaces]
    return _table(["process", "pointer", "code", "stack", "heap", "reserved bytes", "= GiB",
                   "highest address", "system calls"], rows)


def environment_html(columns: dict[str, dict[str, str | None]]) -> str:
    """Environment variables side by side, one column per process (None: not in the sources)."""
    names = list(next(iter(columns.values())))
    rows = [[name, *[(values[name] if values[name] is not None else "(not in the sources)")
                     for values in columns.values()]] for name in names]
    return _table(["variable", *columns], rows)


def _sample_export(export: str, bits: int) -> str:
    """The sample's export name on a build of ``bits``: x86 decorates stdcall names."""
    return "add_stdcall@8" if (bits, export) == (32, "add_stdcall") else export


def emulated_call_html(arch: str, export: str, arguments: str) -> str:
    """Run ``export`` of the sample built for ``arch`` on the emulator; registers before/after."""
    from .callargs import check_arguments, parse_arguments
    from .emulation import Emulator

    name = _sample_export(export, 32 if arch == "x86" else 64)
    try:
        values = parse_arguments(arguments)
        check_arguments(name, values)
        call = Emulator(sample_path("windows", arch)).call(name, *values)
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    rows = [[register, f"0x{call.registers_before[register]:x}",
             f"0x{call.registers_after[register]:x}"]
            for register in call.registers_before if register != "pc"]
    head = (f"<p><b>{html.escape(name)}</b> on an emulated {arch} CPU returned "
            f"<b>{call.result}</b> (0x{call.result:x}) after {call.instructions} instructions"
            f" ({call.seconds * 1e6:.0f} us).</p>")
    buffers = "".join(f"<p>buffer {i}: {data[:32].hex()}</p>" for i, data in
                      enumerate(call.buffers))
    return head + _table(["register", "at entry", "at return"], rows) + buffers


def disassembly_html(listings: dict[str, list[Any]]) -> str:
    """Disassembled exports side by side, one column per build."""
    depth = max(len(v) for v in listings.values())
    rows = [[(listing[i].text if i < len(listing) else "") for listing in listings.values()]
            for i in range(depth)]
    return _table(list(listings), rows)


def cost_table_html(records: list[Any]) -> str:
    """Measured native and emulated times, instructions and slowdown per arch and size."""
    rows = [[r.arch, f"{r.size:,}", f"{r.native_seconds * 1e6:,.1f}",
             f"{r.emulated_seconds * 1e6:,.1f}", f"{r.instructions:,}", f"{r.slowdown:.1f}x"]
            for r in records]
    return _table(["CPU", "bytes", "native (us)", "emulated (us)", "instructions", "slowdown"],
                  rows)


def registry_html(values: list[Any]) -> str:
    """Registry values (``comreg.registry_values``) as a tree: each key once, its values below."""
    rows, last = [], None
    for value in values:
        if value.key != last:
            rows.append(f"<tr><td colspan='3' style='text-align:left'><code>"
                        f"{html.escape(value.key)}</code></td></tr>")
            last = value.key
        name = value.name or "(Default)"
        data = f"0x{value.data:x}" if value.kind == "REG_DWORD" else f'"{value.data}"' 
        rows.append(f"<tr><td style='text-align:left; padding-left:2em'>{html.escape(name)}"
                    f"</td><td style='text-align:left'>{value.kind}</td>"
                    f"<td style='text-align:left'><code>{html.escape(data)}</code></td></tr>")
    return ("<table><tr><th style='text-align:left'>key / value</th><th style='text-align:left'>"
            "type</th><th style='text-align:left'>data</th></tr>" + "".join(rows) + "</table>")


def activations_html(outcomes: dict[str, Any]) -> str:
    """Activation outcomes (``comreg.activate``) by the CLSCTX that asked for them."""
    rows = []
    for clsctx, outcome in outcomes.items():
        result = (f"{outcome.how}, {outcome.server_bits}-bit" if outcome.succeeded
                  else f"fails: 0x{outcome.hresult:08X}")
        rows.append(f"<tr><td style='text-align:left'><code>{html.escape(clsctx)}</code></td>"
                    f"<td style='text-align:left'><b>{html.escape(result)}</b></td>"
                    f"<td style='text-align:left'>{html.escape(outcome.reason)}"
                    f"{' (derived)' if outcome.derived else ''} "
                    f"<small>[{sources_html(outcome.sources)}]</small></td></tr>")
    return ("<table><tr><th style='text-align:left'>CLSCTX</th><th style='text-align:left'>"
            "result</th><th style='text-align:left'>why</th></tr>" + "".join(rows) + "</table>")


def wire_html(direction: str, pieces: list[Any]) -> str:
    """One frame cut into its fields (``wire.annotate``): offset, bytes, field, meaning."""
    return f"<b>{html.escape(direction)}</b>" + _table(
        ["offset", "bytes", "field", "means"],
        [[p.offset, p.data.hex(" ") if len(p.data) <= 16 else p.data[:16].hex(" ") + " ...",
          p.field, p.value] for p in pieces])


def surrogate_call_html(surrogate: Any, export: str, arguments: str) -> str:
    """One call through a running ``Surrogate``: the result, where it ran, and both frames."""
    from .emulation import parse_argument
    from .wire import annotate

    name = _sample_export(export, surrogate.bits)
    try:
        values = [parse_argument(text) for text in arguments.split()]
        surrogate.start()  # before the trace: it records the call's frames only
        surrogate.trace = []
        call = surrogate.call(name, *values)
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    finally:
        frames, surrogate.trace = surrogate.trace, None
    info = surrogate.info
    head = (f"<p><b>{html.escape(name)}</b> returned <b>{call.result}</b> (0x{call.result:x}) "
            f"in the <b>{html.escape(info.kind)}</b> surrogate: pid {info.pid}, "
            f"{info.pointer_size}-byte pointers, round trip {call.seconds * 1e6:.0f} us.</p>")
    return head + "".join(wire_html(f"{direction}: {len(data)} bytes", annotate(data))
                          for direction, data in frames)


def bits_html(type_name: str, value_text: str, sender: int, receiver: int, syntax: str) -> str:
    """One value through NDR as 64 coloured bits per row (sender, wire, receiver), then the
    steps, the certainty and the sources; the kit's error in red for a bad value or type."""
    from .diagrams import BIT_COLOURS
    from .ndr import bit_rows, transfer

    try:
        value = int(value_text.replace("_", ""), 0)
        moved = transfer(type_name, value, sender, receiver, syntax)
    except ValueError:
        return (f'<p style="color:#b03000">{html.escape(value_text)} is not an integer: '
                "write 42, 0x123456789 or -1.</p>")
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    rows = []
    for line in bit_rows(moved):
        cells = "".join(
            f"<td title='bit {i}: {state}' style='background:{BIT_COLOURS[state]};"
            f"padding:0;width:9px;text-align:center;border:1px solid #ddd;"
            f"{'border-left:2px solid #555;' if i % 8 == 7 and i < 63 else ''}'>"
            f"{'?' if state == 'undefined' else '' if bit is None else bit}</td>"
            for i, bit, state in ((i, line.bits[i], line.states[i]) for i in range(63, -1, -1)))
        rows.append(f"<tr><th style='text-align:right;white-space:nowrap'>"
                    f"{html.escape(line.label)}</th>{cells}</tr>")
    received = "undefined" if moved.received is None else (
        f"{moved.received} (0x{moved.received & (2**64 - 1):x})")
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in moved.steps)
    return (f"<div style='overflow-x:auto'><table style='font-family:monospace;font-size:10px;"
            f"border-collapse:collapse;table-layout:fixed'>{''.join(rows)}</table></div>"
            f"<p>Wire: <code>{moved.wire.hex(' ')}</code> "
            f"({len(moved.wire)} bytes); the receiver holds <b>{html.escape(received)}</b>: "
            f"<b>{'information lost' if moved.lossy else 'nothing lost'}</b>.</p>"
            f"<ol>{steps}</ol>"
            f"<p><small>{moved.certainty}; sources: {sources_html(moved.sources) or 'none needed'}"
            f"</small></p>")


def findings_html(findings: list[Any]) -> str:
    """The lint's findings: line, where, parameter, type, rule, severity, fix and sources."""
    if not findings:
        return "<p><b>No findings.</b></p>"
    colours = {"error": "#b03000", "warning": "#9a6700", "note": "#555555"}
    rows = "".join(
        f"<tr><td>{f.line}</td><td style='text-align:left'>{html.escape(f.where)}</td>"
        f"<td style='text-align:left'><code>{html.escape(f.parameter)}</code></td>"
        f"<td style='text-align:left'><code>{html.escape(f.type)}</code></td>"
        f"<td style='text-align:left;color:{colours[f.rule.severity]}'><b>"
        f"{f.rule.severity}</b> {html.escape(f.rule.name)}</td>"
        f"<td style='text-align:left'>{html.escape(f.rule.risk)}. <i>Fix:</i> "
        f"{html.escape(f.rule.fix)}. <small>[{f.rule.certainty}; "
        f"{sources_html(f.rule.sources)}]</small></td></tr>" for f in findings)
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                   ("line", "where", "parameter", "type", "rule", "risk, fix and sources"))
    return f"<table><tr>{head}</tr>{rows}</table>"


def echoes_html(echoes: list[Any]) -> str:
    """Values sent for real to a surrogate (``interopkit.crossing.send_address``), beside what
    NDR20 stubs of the same bitness would deliver (``interopkit.ndr.transfer``)."""
    from .ndr import transfer

    rows = []
    for echo in echoes:
        model = transfer(echo.declared, echo.sent, 64, echo.surrogate_bits).received
        rows.append([echo.declared, f"0x{echo.sent:x}", echo.wire_bytes,
                     f"{echo.surrogate_bits}-bit", f"0x{echo.held:x}",
                     "LOST the upper half" if echo.lossy else "all 64 bits kept",
                     "undefined" if model is None else f"0x{model & (2**64 - 1):x}"])
    return _table(["declared", "sent", "bytes in the kit's frame", "surrogate",
                   "surrogate's variable held", "", "NDR20 stubs would deliver"], rows)


def handle_trip_html(trip: dict[str, int]) -> str:
    """A handle's round trip (``interopkit.crossing.send_handle``): each stage's 64 bits."""
    return _table(["stage", "value"], [[stage, f"0x{value & (2**64 - 1):016x}"]
                                       for stage, value in trip.items()])


def bench_table_html(run: Any) -> str:
    """A benchmark run as a table: experiments down, payloads across, median microseconds
    (interquartile range underneath), and the runs skipped here with the reason."""
    from .bench import PAYLOADS

    names = list(dict.fromkeys(r.experiment for r in run.results))
    head = "".join(f"<th>{'scalar' if size == 0 else f'{size:,} B'}</th>" for size in PAYLOADS)
    rows = []
    for name in names:
        cells = []
        for size in PAYLOADS:
            record = run.record(name, size)
            cells.append("<td></td>" if record is None else
                         f"<td>{record.median_us:,.1f}<br><small>{record.p25_us:,.1f}-"
                         f"{record.p75_us:,.1f}</small></td>")
        rows.append(f"<tr><th style='text-align:left'>{html.escape(name)}</th>{''.join(cells)}"
                    "</tr>")
    skipped = "".join(f"<p><small>skipped {html.escape(name)}: {html.escape(why)}</small></p>"
                      for name, why in run.host.get("skipped", {}).items())
    return (f"<table><tr><th>microseconds per call</th>{head}</tr>{''.join(rows)}</table>"
            f"{skipped}")
