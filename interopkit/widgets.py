"""ipywidgets explorers for the notebooks. Widgets only wire pure functions together (the
HTML they show comes from ``interopkit.tables``).

* ``render_check()`` / ``render_status(widget)``: the self-check of notebook 00. A widget's
  ``_view_count`` counts the front-end views; 0 after display means the JupyterLab widget
  extension did not render it (the classic "widgets show as text" failure).
* ``image_explorer()``: notebook 01's "try it": pick one of the kit's binaries or type the
  path of your own file, and see what its headers say.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from .errors import InteropKitError
from .samples import BIN_DIR, sample_paths
from .tables import image_summary_html, outcome_html

__all__ = ["bench_progress", "bits_explorer", "cost_explorer", "emulator_explorer",
           "explorer_choices", "image_explorer", "load_explorer", "load_matrix_explorer",
           "redirect_explorer", "render_check", "render_status", "surrogate_explorer"]


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


def load_explorer() -> Any:
    """Pick a process kind, an image kind, a Windows and a load mode; see the model's answer."""
    import ipywidgets as widgets

    from .kinds import Host, ProcessKind
    from .loader import LOAD_MODES, ImageKind, load_outcome

    process = widgets.Dropdown(options=[k.value for k in ProcessKind], value="x64",
                               description="process")
    image = widgets.Dropdown(options=[(f"{k.value}: {k.description}", k.value)
                                      for k in ImageKind], value="I386", description="image",
                             layout=widgets.Layout(width="70%"))
    host = widgets.Dropdown(options=[(h.label, h.value) for h in Host], value="win11-x64",
                            description="Windows")
    mode = widgets.Dropdown(options=LOAD_MODES, value="execute", description="load as")
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        output.value = outcome_html(load_outcome(process.value, image.value, host.value,
                                                 mode.value))

    for control in (process, image, host, mode):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([process, host, mode]), image, output])


def redirect_explorer() -> Any:
    """Type a path or a registry key, pick a process, a Windows and view flags; see where it
    really goes."""
    import ipywidgets as widgets

    from . import redirect
    from .errors import InteropKitError
    from .kinds import Host
    from .tables import redirections_html

    target = widgets.Text(value="C:\\Windows\\System32\\kernel32.dll", description="path/key",
                          layout=widgets.Layout(width="70%"))
    process = widgets.Dropdown(options=["x86", "x64", "arm32", "arm64"], value="x86",
                               description="process")
    host = widgets.Dropdown(options=[(h.label, h.value) for h in Host], value="win11-x64",
                            description="Windows")
    view64 = widgets.Checkbox(description="KEY_WOW64_64KEY", indent=False)
    view32 = widgets.Checkbox(description="KEY_WOW64_32KEY", indent=False)
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        flags = (redirect.KEY_WOW64_64KEY if view64.value else 0) | (
            redirect.KEY_WOW64_32KEY if view32.value else 0)
        text = target.value.strip()
        try:
            # A key in any spelling regedit, reg.exe or PowerShell accepts (canonical_key).
            if text.upper().lstrip("\\").startswith(("HK", "COMPUTER\\", "REGISTRY::")):
                result = redirect.redirect_key(text, process.value, flags, host.value)
            else:
                result = redirect.redirect_path(text, process.value, host.value)
            output.value = redirections_html([result])
        except InteropKitError as exc:
            output.value = f'<p style="color:#b03000">{exc}</p>'

    for control in (target, process, host, view64, view32):
        control.observe(update, names="value")
    update()
    return widgets.VBox([target, widgets.HBox([process, host]), widgets.HBox([view64, view32]),
                         output])


def _call_controls(exports: list[str] | tuple[str, ...] | None = None) -> tuple[Any, Any]:
    """The export and arguments controls both call explorers share (notebooks 04 and 05).

    The export list is capped (``callargs.EXPORT_LIMIT``; the drop-down's description says how
    many were left out), and choosing an export puts a default argument line that works into
    the arguments box. Check the argument count with ``_arguments_problem`` before a call.
    """
    import ipywidgets as widgets

    from .callargs import SIGNATURES, export_options

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
    from .callargs import check_arguments, parse_arguments

    try:
        check_arguments(export, parse_arguments(text))
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    return None


def emulator_explorer() -> Any:
    """Pick an architecture, an export and arguments; run it on the emulated CPU and see the
    registers before and after."""
    import ipywidgets as widgets

    from .tables import emulated_call_html

    arch = widgets.Dropdown(options=["x86", "x64", "arm64"], value="x64", description="CPU")
    export, arguments = _call_controls()
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        output.value = (_arguments_problem(export.value, arguments.value) or
                        emulated_call_html(arch.value, export.value, arguments.value))

    for control in (arch, export, arguments):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([arch, export]), arguments, output])


def load_matrix_explorer(host: str = "win11-arm64") -> Any:
    """Notebook 03's load matrix, one Windows at a time: buttons pick the Windows."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    from .diagrams import draw_load_matrix
    from .kinds import Host

    picker = widgets.ToggleButtons(options=[(h.label, h.value) for h in Host], value=host,
                                   style={"button_width": "auto"})
    output = widgets.Output()

    def update(_change: object = None) -> None:
        with output:
            output.clear_output(wait=True)
            ax = draw_load_matrix(picker.value)
            display(ax.figure)
            plt.close(ax.figure)

    picker.observe(update, names="value")
    update()
    return widgets.VBox([picker, output])


def surrogate_explorer() -> Any:
    """Pick a DLL, a surrogate kind, an export and arguments; call it through a surrogate
    process and see the result, where it ran, and both frames byte by byte. Each call starts
    its own surrogate and ends it, so no process outlives the call (a counter starts afresh
    each time). Taught in notebook 05."""
    import ipywidgets as widgets

    from .samples import sample_path
    from .surrogate import Surrogate
    from .tables import surrogate_call_html
    from .wine import find_wine

    kinds = ["auto", "emulated"] + (["wine"] if find_wine() else [])
    dll = widgets.Dropdown(options={"sample_x86.dll (32-bit)": "x86",
                                    "sample_x64.dll (64-bit)": "x64"}, value="x86",
                           description="DLL")
    kind = widgets.Dropdown(options=kinds, value="auto", description="surrogate")
    export, arguments = _call_controls()
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        problem = _arguments_problem(export.value, arguments.value)
        if problem is not None:
            output.value = problem
            return
        hosted = None
        try:
            hosted = Surrogate(sample_path("windows", dll.value), kind=kind.value)
            output.value = surrogate_call_html(hosted, export.value, arguments.value)
        except InteropKitError as exc:
            output.value = f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
        finally:
            if hosted is not None:
                hosted.close()

    for control in (dll, kind, export, arguments):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([dll, kind]), widgets.HBox([export, arguments]), output])


def bits_explorer(type_name: str = "DWORD_PTR", value: str = "0x123456789") -> Any:
    """Pick a type, a value, the two stubs' bitness and a transfer syntax; see the 64 bits of
    the sender's variable, the wire and the receiver's variable."""
    import ipywidgets as widgets

    from .ndr import TYPES
    from .tables import bits_html

    kind = widgets.Dropdown(options=list(TYPES), value=type_name, description="type")
    number = widgets.Text(value=value, description="value",
                          placeholder="0x123456789, -1, 42")
    narrow = widgets.Layout(width="190px")
    sender = widgets.Dropdown(options=[("32-bit", 32), ("64-bit", 64)], value=64,
                              description="sender", layout=narrow)
    receiver = widgets.Dropdown(options=[("32-bit", 32), ("64-bit", 64)], value=32,
                                description="receiver", layout=narrow)
    syntax = widgets.Dropdown(options=[("NDR20", "ndr20"), ("NDR64", "ndr64")], value="ndr20",
                              description="syntax", layout=narrow)
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        output.value = bits_html(kind.value, number.value, sender.value, receiver.value,
                                 syntax.value)

    for control in (kind, number, sender, receiver, syntax):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([kind, number]), widgets.HBox([sender, receiver, syntax]),
                         output])


def bench_progress() -> tuple[Any, Any]:
    """A progress bar and the ``progress`` callback for ``interopkit.bench.run``."""
    import ipywidgets as widgets

    bar = widgets.IntProgress(value=0, min=0, max=1, description="measuring",
                              layout=widgets.Layout(width="60%"))
    label = widgets.Label()

    def progress(done: int, total: int, text: str) -> None:
        bar.max, bar.value, label.value = max(total, 1), done, text

    return widgets.HBox([bar, label]), progress


def cost_explorer() -> Any:
    """Pick an experiment and a payload; the call is timed on this machine (quick settings)
    and compared with the in-process call at the same payload."""
    import ipywidgets as widgets

    from .bench import PAYLOADS, run
    from .experiments import EXPERIMENTS, available

    names = [name for name in EXPERIMENTS if available(name) is None]
    experiment = widgets.Dropdown(options=names, value="surrogate_cross_bitness",
                                  description="experiment")
    payload = widgets.Dropdown(options=[("scalar add(2, 3)", 0)] + [
        (f"checksum of {size:,} bytes", size) for size in PAYLOADS[1:]], value=0,
        description="payload")
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        chosen = [experiment.value] + (["native_inproc"] if experiment.value != "native_inproc"
                                       and "native_inproc" in names else [])
        measured = run(chosen, quick=True, payloads=(payload.value,))
        record = measured.record(experiment.value, payload.value)
        base = measured.record("native_inproc", payload.value)
        assert record is not None
        ratio = f", {record.median_us / base.median_us:,.1f}x the in-process call" if base \
            and base is not record else ""
        output.value = (f"<p><b>{html.escape(experiment.value)}</b>: median "
                        f"<b>{record.median_us:,.2f} us</b> per call (25-75%: "
                        f"{record.p25_us:,.2f}-{record.p75_us:,.2f} us, {record.n} batches)"
                        f"{ratio}.</p>")

    for control in (experiment, payload):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([experiment, payload]), output])
