"""Notebook 05 (com surrogate): its tables, diagrams, explorers and checked exercises.

Real COM (``interopkit.com.real``: the sample server in dllhost.exe under Wine or on Windows)
is shown through ``interopkit.lessons.recorded``, live where it runs and recorded, labelled as
such, where it does not; the kit's own surrogate is the look inside. Exercises of notebook 05
take their answers from the activation model, from the real COM run shown, and from calls
through the kit's surrogate."""

from __future__ import annotations

import html
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from interopkit.com.activation import SAMPLE_CLSID
from interopkit.com.registry import CLSCTX, ComClass, activate
from interopkit.errors import InteropKitError
from interopkit.kit.samples import sample_path
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.misconceptions import Choice, choice_quiz
from interopkit.surrogate.client import Surrogate
from interopkit.surrogate.wire import ArgType, Argument

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from interopkit.lessons.controls import _arguments_problem, _call_controls
from interopkit.lessons.html import _sample_export, _table, sources_html
from interopkit.lessons.recorded import cached, labels_html

__all__ = [
    "BOTH_VIEWS",
    "CANDIDATES",
    "COM_FAILURE_NOTES",
    "COM_PRIMER",
    "COM_PROGRESS",
    "FAILURES_PROGRESS",
    "FORGOTTEN",
    "WINE_BUG",
    "WINE_NOTES",
    "activations_html",
    "differences_html",
    "draw_com_primer",
    "m3_inprocserver32",
    "q1_force_32",
    "q2_missing_value",
    "q3_echo_32",
    "q4_frame_bytes",
    "q5_dllhost_image",
    "q6_wine_differs",
    "real_com_html",
    "real_com_runs",
    "real_failures",
    "real_failures_html",
    "recipe_reg_text",
    "recipe_registry_html",
    "registry_html",
    "surrogate_call_html",
    "surrogate_explorer",
    "wine_differences",
    "wire_html",
]


BOTH_VIEWS = [ComClass(SAMPLE_CLSID, str(sample_path("windows", "x86")), 32, appid=SAMPLE_CLSID),
              ComClass(SAMPLE_CLSID, str(sample_path("windows", "x64")), 64, appid=SAMPLE_CLSID)]
"""The sample class registered in both views, with an AppID and an empty DllSurrogate."""


FORGOTTEN = ComClass(SAMPLE_CLSID, str(sample_path("windows", "x86")), 32, appid=SAMPLE_CLSID,
                     dll_surrogate=None)
"""A 32-bit registration written from a how-to that left one value out."""


def _check_force_32(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a CLSCTX value, such as CLSCTX.INPROC_SERVER | CLSCTX.LOCAL_SERVER."
    outcome = activate(BOTH_VIEWS, SAMPLE_CLSID, answer, 64)
    if outcome.succeeded and outcome.server_bits == 32:
        return True, (f"{CLSCTX(answer)!r}: {outcome.reason} The flag overrides "
                      "PreferredServerBitness, and fails if no 32-bit server is registered.")
    if outcome.succeeded and outcome.how == "in-process":
        return False, "That loads the 64-bit DLL in-process. You need another process."
    if outcome.succeeded:
        return False, ("That starts the 64-bit surrogate: with no preference COM tries the "
                       "client's bitness first. Which flag asks for the 32-bit server?")
    return False, f"Activation fails: {outcome.reason}"


CANDIDATES = {"dllsurrogate": {"dll_surrogate": ""}, "appid": {"appid": SAMPLE_CLSID},
          "inprocserver32": {"dll": FORGOTTEN.dll}, "threadingmodel": {"threading_model": "Both"}}


def _check_missing(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the value's name, such as 'ThreadingModel'."
    # 'AppID\\DllSurrogate' (the key and the value, as regedit shows them) names the same value.
    name = answer.strip().replace("/", "\\").rsplit("\\", 1)[-1].strip().lower()
    before = activate([FORGOTTEN], SAMPLE_CLSID, CLSCTX.LOCAL_SERVER, 64)
    if name not in CANDIDATES:
        return False, f"Activation says: {before.reason}"
    fixed = replace(FORGOTTEN, **CANDIDATES[name])
    after = activate([fixed], SAMPLE_CLSID, CLSCTX.LOCAL_SERVER, 64)
    if after.succeeded and not before.succeeded:
        return True, ("DllSurrogate, under the AppID key: it must exist for surrogate activation. "
                      "Empty means the system's dllhost.exe.")
    return False, f"That value is already there. Activation says: {before.reason}"


def _echoed() -> int:
    with Surrogate(sample_path("windows", "x86")) as hosted:
        return hosted.call("echo_ptr", 0x1_0000_0001).result


def _check_echo(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a number (hex is fine: 0x...)."
    echoed = _echoed()
    if answer == echoed:
        return True, (f"0x{echoed:x}: the 32-bit surrogate keeps the low 32 bits, because its "
                      "pointers have 32. The high bit that said 'above 4 GiB' is gone.")
    if answer == 0x1_0000_0001:
        return False, "Run it: how wide is a pointer in the surrogate that receives it?"
    return False, "Which bits of 0x1_0000_0001 fit in 4 bytes?"


def _frame_bytes() -> int:
    with Surrogate(sample_path("windows", "x86")) as hosted:
        hosted.trace = []
        hosted.call("add", Argument(ArgType.INT32, 2), Argument(ArgType.INT32, 3),
                    returns=ArgType.INT32)
        return len(hosted.trace[0][1])


def _check_frame(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a number of bytes."
    size = _frame_bytes()
    if answer == size:
        return True, (f"{size} bytes: a 16-byte header, then the name (length, 'add', padding), "
                      "the return type and count, and two 8-byte arguments (type, padding, "
                      "value).")
    if answer == size - 16:
        return False, "That is the payload; the header travels too."
    return False, "Record a real call with surrogate.trace and measure what was sent."


q1_force_32 = Exercise(
    name="q1_force_32",
    question="The sample class is registered in both views (BOTH_VIEWS). Which CLSCTX value "
             "makes a 64-bit client get the 32-bit server?",
    checker=_check_force_32,
    hint_text="You need a server in another process, and one of the CLSCTX flags that pick "
              "its bitness (CLSCTX, COM-PSB).",
    solution_code=("from interopkit.com.registry import CLSCTX\n"
                   "answer = CLSCTX.LOCAL_SERVER | CLSCTX.ACTIVATE_32_BIT_SERVER\n"),
    explanation="LOCAL_SERVER allows another process; ACTIVATE_32_BIT_SERVER picks its bitness.",
)


q2_missing_value = Exercise(
    name="q2_missing_value",
    question="FORGOTTEN cannot be activated in a surrogate. Which registry value is missing?",
    checker=_check_missing,
    hint_text="Run activate([FORGOTTEN], ...) and read the reason, or compare "
              "registry_values(FORGOTTEN) with the tree above.",
    solution_code=("from interopkit.com.registry import CLSCTX, activate\n"
                   "from interopkit.lessons.com_surrogate import FORGOTTEN, CANDIDATES\n"
                   "from dataclasses import replace\n"
                   "answer = next(name for name, fix in CANDIDATES.items()\n"
                   "              if activate([replace(FORGOTTEN, **fix)], FORGOTTEN.clsid,\n"
                   "                          CLSCTX.LOCAL_SERVER, 64).succeeded)\n"),
    explanation="Each candidate value is added in turn; only one makes activation succeed.",
)


q3_echo_32 = Exercise(
    name="q3_echo_32",
    question="The 64-bit client passes 0x1_0000_0001 to echo_ptr in the 32-bit surrogate. "
             "What comes back?",
    checker=_check_echo,
    hint_text="Call it: Surrogate(sample_path('windows', 'x86')).call('echo_ptr', ...).",
    solution_code=("from interopkit.kit.samples import sample_path\n"
                   "from interopkit.surrogate.client import Surrogate\n"
                   "with Surrogate(sample_path('windows', 'x86')) as hosted:\n"
                   "    answer = hosted.call('echo_ptr', 0x1_0000_0001).result\n"),
    explanation="The value travels in 8 bytes; the 32-bit surrogate can only keep 4.",
)


q4_frame_bytes = Exercise(
    name="q4_frame_bytes",
    question="How many bytes does the client send for add(2, 3), both arguments LONG?",
    checker=_check_frame,
    hint_text="Set surrogate.trace = [] before the call and measure the frame it records.",
    solution_code=("from interopkit.kit.samples import sample_path\n"
                   "from interopkit.surrogate.client import Surrogate\n"
                   "from interopkit.surrogate.wire import ArgType, Argument\n"
                   "with Surrogate(sample_path('windows', 'x86')) as hosted:\n"
                   "    hosted.trace = []\n"
                   "    two, three = Argument(ArgType.INT32, 2), Argument(ArgType.INT32, 3)\n"
                   "    hosted.call('add', two, three)\n"
                   "    answer = len(hosted.trace[0][1])\n"),
    explanation="Header 16 + name 8 + types 4 + two arguments of 8.",
)


def registry_html(values: list[Any]) -> str:
    """Registry values (``interopkit.com.registry.registry_values``) as a tree: each key once, its
    values below."""
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
    """Activation outcomes (``interopkit.com.registry.activate``) by the CLSCTX that asked for
    them."""
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
    from interopkit.emulation.emulator import parse_argument
    from interopkit.surrogate.wire import annotate

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
        "by the proxy). Sections 4 to 6 of notebook 05 run this for real (widl's proxy and stub, "
        "COM's RPC, dllhost.exe); from section 7 the kit plays every part itself: a pipe is the "
        "channel and interopkit.surrogate.wire the byte format.", 150), fontsize=8.5,
        color="#444444")
    return ax


def surrogate_explorer() -> Any:
    """Pick a DLL, a surrogate kind, an export and arguments; call it through a surrogate
    process and see the result, where it ran, and both frames byte by byte. Each call starts
    its own surrogate and ends it, so no process outlives the call (a counter starts afresh
    each time). Taught in notebook 05."""
    import ipywidgets as widgets

    from interopkit.kit.samples import sample_path
    from interopkit.kit.wine import find_wine
    from interopkit.lessons.com_surrogate import surrogate_call_html
    from interopkit.surrogate.client import Surrogate

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


# --- real COM (Wine on Linux, Windows itself; recorded where neither runs) -------------------

COM_PROGRESS = ("Real COM: registering the sample server, activating it from a 64-bit and a "
                "32-bit client, removing the registration (under Wine each CoCreateInstance "
                "takes about a second, and Wine's first start a few more)...")
"""Printed before the live run of ``real_com_html``."""
FAILURES_PROGRESS = ("Real COM: eight registrations, each activated from a client and removed "
                     "(about a second each under Wine)...")
"""Printed before the live run of ``real_failures_html``."""


def recipe_registry_html(server_bits: int = 32, client_bits: int = 64) -> str:
    """The recipe's registration (``interopkit.com.real.recipe``) as a tree: the server's CLSID
    in its view, the AppID, and ISample's proxy/stub in both views (W64-IPC). Notebook 05."""
    from interopkit.com.real import recipe
    from interopkit.com.registry import proxy_stub_values, registry_values

    setup = recipe(server_bits, client_bits)
    return registry_html([v for c in setup.classes() for v in registry_values(c)]
                         + [v for s in setup.stubs() for v in proxy_stub_values(s)])


def recipe_reg_text(server_bits: int = 32, client_bits: int = 64) -> str:
    """The ``.reg`` file the kit imports for the recipe (per machine: HKEY_LOCAL_MACHINE, as
    under Wine; on Windows the kit writes the same keys under HKEY_CURRENT_USER)."""
    from interopkit.com.real import recipe
    from interopkit.com.registry import reg_file

    setup = recipe(server_bits, client_bits)
    return reg_file(setup.classes(), setup.stubs())


def _model_text(model: dict[str, Any]) -> str:
    from interopkit.com.real import hresult_name

    if model["succeeded"]:
        return f"succeeds: {model['how']}, {model['server_bits']}-bit"
    return (f"fails: {hresult_name(model['hresult'])}"
            f"{' (derived)' if model['derived'] else ''}")


def _real_text(run: dict[str, Any]) -> str:
    from interopkit.com.real import hresult_name

    if run["create_hr"] != 0:
        return f"fails: {hresult_name(run['create_hr'])}"
    where = run["surrogate"]
    return (f"S_OK: {where['image']} ({where['bits']}-bit)" if where
            else "S_OK (no surrogate seen)")


def real_com_runs() -> list[dict[str, Any]]:
    """The two real activations (64-bit client to 32-bit server, then 32-bit client to 64-bit
    server), each as ``ComRun``'s fields: live here, or recorded (``recorded.cached``)."""
    return cached("com_demo", progress=COM_PROGRESS).result["runs"]


def real_com_html() -> str:
    """Both real activations side by side, under the label that says live or recorded: what
    the client saw from outside (the surrogate's image and bitness), what the server measured
    inside (its pointer size), the costs, and the model's answer. Notebook 05."""
    import statistics

    got = cached("com_demo", progress=COM_PROGRESS)
    runs = got.result["runs"]
    rows: list[list[Any]] = [[what] for what in (
        "client process", "CoCreateInstance (CLSCTX_LOCAL_SERVER)",
        "surrogate process, seen from outside", "pointer size, measured inside the server",
        "add(2, 3), computed in the server", "CoCreateInstance took", "median Add call",
        "the model (section 3's rules, this client's bitness)")]
    for run in runs:
        where = run["surrogate"]
        median = (f"{statistics.median(run['call_us']):.0f} us ({len(run['call_us'])} calls)"
                  if run["call_us"] else "-")
        for row, cell in zip(rows, (
                run["platform"], _real_text(run).split(":", 1)[0],
                f"{where['image']} ({where['bits']}-bit)" if where else "(none)",
                f"{run['ptr_size']} bytes" if run["ptr_size"] else "-", run["add"],
                f"{run['create_ms']:.0f} ms", median, _model_text(run["model"])), strict=True):
            row.append(cell)
    return labels_html(got) + _table(
        [""] + [f"{r['client_bits']}-bit client, {r['setup']['server_bits']}-bit server"
                for r in runs], rows)


COM_FAILURE_NOTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CLSCTX_INPROC_SERVER from the other bitness": (
        ("Documented: a process cannot load a DLL of the other bitness. No page names this "
        "error: the model's code is derived."), ("W64-PROCINT", "W64-REGKEYS")),
    "no AppID on the CLSID": (
        ("Documented: surrogate activation needs an AppID value and its key. No page names the "
        "error: the model's code is derived, and a different code is no disagreement."),
        ("COM-SURRREG", "WINERROR-H")),
    "no DllSurrogate under the AppID": (
        ("Documented: the AppID must have a DllSurrogate value (empty: dllhost.exe). No page "
        "names the error: the model's code is derived."), ("COM-SURRREG", "COM-SURR")),
    "the 64-bit proxy/stub not registered": (
        ("Documented: 32-bit and 64-bit processes talk through COM only with the interface's "
        "proxy/stub in both views. The client cannot marshal ISample; the code is derived."),
        ("W64-IPC", "W64-REGKEYS")),
    "CLSCTX_ACTIVATE_32_BIT_SERVER, 32-bit server registered": (
        "Documented: the flag picks the 32-bit server.", ("CLSCTX", "COM-PSB")),
    "CLSCTX_ACTIVATE_64_BIT_SERVER, only a 32-bit server registered": (
        "Documented: activation fails when the bitness asked for is not registered.",
        ("CLSCTX", "COM-PSB")),
    "both ACTIVATE flags at once": (
        "Documented: both flags at once is E_INVALIDARG.", ("CLSCTX", "WINERROR-H")),
    "64-bit client, 64-bit server, empty DllSurrogate (a Wine bug)": (
        ("Documented: an empty DllSurrogate means the system's dllhost.exe, so by the "
        "documentation this works."), ("COM-SURR", "COM-SURRREG")),
}
"""What Microsoft's documentation says about each case of ``interopkit.com.real.FAILURES``,
with the sources' keys: true wherever the case runs."""

WINE_NOTES: dict[str, str] = {
    "CLSCTX_ACTIVATE_64_BIT_SERVER, only a 32-bit server registered": (
        "Wine does not read the CLSCTX_ACTIVATE_32/64_BIT_SERVER flags, so it started the "
        "32-bit server registered, as for CLSCTX_LOCAL_SERVER alone."),
    "both ACTIVATE flags at once": (
        "Wine does not read the CLSCTX_ACTIVATE_32/64_BIT_SERVER flags, so it never sees the "
        "pair that the documentation rejects with E_INVALIDARG."),
    "64-bit client, 64-bit server, empty DllSurrogate (a Wine bug)": (
        "With an empty DllSurrogate Wine starts the dllhost of the view opposite to the "
        "client's: syswow64's 32-bit one for any 64-bit client, whatever the server's bitness. "
        "That dllhost cannot load the 64-bit DLL and exits, and Wine answers E_NOINTERFACE. The "
        "kit's recipe names the 64-bit dllhost in DllSurrogate for this one pairing under Wine."),
}
"""Why Wine parts from the documentation in a case, from Wine's source (WINE-COMBASE): shown
only beside a run under Wine that differs from the model."""

WINE_BUG = " (a Wine bug)"
"""The end of the one ``FAILURES`` title that blames Wine: dropped unless the run shown is
Wine's and differs from the model (on Windows the row is just a case)."""


def _on_wine(run: dict[str, Any]) -> bool:
    return str(run.get("platform", "")).startswith("Wine")


def _wine_note(case: str, run: dict[str, Any]) -> str | None:
    """Wine's reason for a case (``WINE_NOTES``), when the run is Wine's and differs."""
    if not _on_wine(run) or not _agreement(run).startswith("differ"):
        return None
    return WINE_NOTES.get(case)


def _case_title(case: str, run: dict[str, Any]) -> str:
    return case if _wine_note(case, run) else case.removesuffix(WINE_BUG)


def _agreement(run: dict[str, Any]) -> str:
    model, real_ok = run["model"], run["create_hr"] == 0
    if real_ok != model["succeeded"]:
        return "differ"
    if real_ok and run["surrogate"] and run["surrogate"]["bits"] != model["server_bits"]:
        return "differ (bitness)"
    if not real_ok and run["create_hr"] != model["hresult"]:
        return "agree (other code)"
    return "agree"


def real_failures() -> list[dict[str, Any]]:
    """Every case of ``interopkit.com.real.FAILURES`` run for real (or recorded), in order:
    ``{"case": title, "run": ComRun's fields}``."""
    return cached("com_failures", progress=FAILURES_PROGRESS).result["cases"]


def real_failures_html() -> str:
    """The recipe's failures, for real, each beside the model's answer: case, the real
    HRESULT by name, the model's, whether they agree, and what the sources say (with their
    keys). Notebook 05."""
    got = cached("com_failures", progress=FAILURES_PROGRESS)
    rows = []
    for number, item in enumerate(got.result["cases"], 1):
        run = item["run"]
        note, keys = COM_FAILURE_NOTES.get(item["case"], ("", ()))
        wine_note = _wine_note(item["case"], run)
        if wine_note:
            note, keys = f"{note} Under Wine: {wine_note}", (*keys, "WINE-COMBASE")
        agree = _agreement(run)
        colour = "#b03000" if agree.startswith("differ") else "#1a7f37"
        cells = [str(number), _case_title(item["case"], run), _real_text(run),
                 _model_text(run["model"])]
        rows.append("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>"
                                     for c in cells)
                    + f"<td style='text-align:left; color:{colour}'><b>{html.escape(agree)}"
                    f"</b></td><td style='text-align:left'>{html.escape(note)} "
                    f"<small>[{sources_html(keys)}]</small></td></tr>")
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                   ("#", "case (64-bit client unless named)", "real CoCreateInstance",
                    "the model (the documentation)", "agree?",
                    ("<span style='display:inline-block; min-width:16em'>what the sources say"
                    "</span>")))
    return labels_html(got) + f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def differences_html() -> str:
    """Section 6's notice, computed from the run shown (live or recorded), so that it cannot
    contradict the table: which rows differ from the documentation, what the real run did
    there, and, for a run under Wine, why, from Wine's source (WINE-COMBASE). Notebook 05."""
    cases = real_failures()
    differ = [(number, item) for number, item in enumerate(cases, 1)
              if _agreement(item["run"]).startswith("differ")]
    where = cases[0]["run"]["platform"] if cases else "no run"
    if not differ:
        return (f"<p><b>In the run shown ({html.escape(where)}), every row agrees with the "
                "documentation</b> on whether the client got an object.</p>")
    numbers = [str(number) for number, _ in differ]
    listed = (", ".join(numbers[:-1]) + " and " + numbers[-1]) if len(numbers) > 1 \
        else numbers[0]
    wine = _on_wine(differ[0][1]["run"])
    head = (f"<p><b>{'Wine is not Windows. ' if wine else ''}In the run shown "
            f"({html.escape(where)}), row{'s' if len(differ) > 1 else ''} {listed} "
            f"differ{'' if len(differ) > 1 else 's'} from the documentation:</b></p>")
    items = []
    for number, item in differ:
        run = item["run"]
        did = (f"created the object, in {_real_text(run).removeprefix('S_OK: ')}, where "
               "the documentation says activation fails" if run["create_hr"] == 0 else
               f"failed with {_real_text(run).removeprefix('fails: ')}, where the "
               "documentation says it works")
        why, cite = _wine_note(item["case"], run), ""
        if why:
            cite = f" [{sources_html(('WINE-COMBASE',))}]"
        elif wine:
            why = "The kit has not traced this case in Wine's source."
        else:
            why = ("This is Windows itself: where it differs, the model (the kit's reading of "
                   "the documentation) is what to question.")
        items.append(f"<li>Row {number} ({html.escape(_case_title(item['case'], run))}) "
                     f"{html.escape(did)}. {html.escape(why)}{cite}</li>")
    return head + "<ul>" + "".join(items) + "</ul>"


def wine_differences() -> set[int]:
    """The numbers of the failure cases where the real run and the model disagree on success
    (or on the server's bitness): q6's answer, from the run shown (live or recorded)."""
    return {number for number, item in enumerate(real_failures(), 1)
            if _agreement(item["run"]).startswith("differ")}


def _check_dllhost(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, r"Give the path as a string, such as r'C:\Windows\...\something.exe'."
    run = real_com_runs()[0]
    if not run["surrogate"]:
        from interopkit.com.real import hresult_name

        return False, (f"The run of section 5 made no object here (CoCreateInstance: "
                       f"{hresult_name(run['create_hr'])}), so there is no process to name: "
                       "run interopkit doctor, then section 5 again.")
    image = run["surrogate"]["image"]
    given = answer.strip().replace("/", "\\").lower()
    if given == image.lower():
        return True, (f"{image}: the 32-bit dllhost. A 32-bit program's System32 is "
                      "SysWOW64 on disk (lesson 02), and COM starts the surrogate of the "
                      "server's bitness, whatever the client's.")
    if given.endswith("system32\\dllhost.exe"):
        return False, ("That is the 64-bit dllhost, the client's bitness. Which bitness must a "
                       "process have to load the 32-bit DLL, and where do 32-bit system "
                       "programs live?")
    if not given.endswith("dllhost.exe"):
        return False, "Which process does COM start for a DLL server? Its name is in section 0."
    return False, "Right program, wrong folder: read the surrogate's image in the table."


def _check_differences(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, set | frozenset | list | tuple) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in answer):
        return False, "Give the case numbers as a set, such as {1, 2}."
    given, expected = set(answer), wine_differences()
    if given == expected:
        cases = ", ".join(str(n) for n in sorted(expected)) or "none"
        return True, (f"Cases {cases}: there the platform shown did not do what the "
                      "documentation says Windows does. Cases that fail on both sides with "
                      "another code are no disagreement: no page names that code.")
    others = {n for n, item in enumerate(real_failures(), 1)
              if _agreement(item["run"]) == "agree (other code)"}
    if given & others:
        return False, (f"Case {min(given & others)} fails on both sides; only the code differs, "
                       "and the model's code there is derived, not documented.")
    if given < expected:
        return False, "Some are missing: read every row whose 'agree?' is not 'agree'."
    return False, "Compare the real column with the model's, row by row."


q5_dllhost_image = Exercise(
    name="q5_dllhost_image",
    question="The 64-bit client activated the 32-bit server. Which program hosts the server? "
             "Give its path as Windows names it.",
    checker=_check_dllhost,
    hint_text="COM's surrogate is dllhost.exe. There are two on 64-bit Windows, one per "
              "bitness: in which folder is the 32-bit one?",
    solution_code=("from interopkit.lessons.com_surrogate import real_com_runs\n"
                   "answer = real_com_runs()[0]['surrogate']['image']\n"),
    explanation="The client reads the server's image from outside (QueryFullProcessImageNameW).",
)


q6_wine_differs = Exercise(
    name="q6_wine_differs",
    question="In the table of failures, which cases (by number) did the real run answer "
             "differently from the documentation?",
    checker=_check_differences,
    hint_text="A case differs when one side creates the object and the other does not; two "
              "failures with different codes do not differ (the model's code is derived).",
    solution_code=("from interopkit.lessons.com_surrogate import wine_differences\n"
                   "answer = wine_differences()\n"),
    explanation="Every case whose real outcome (object or no object) is not the model's.",
)


# --- Check your understanding: the guide's misconception on InprocServer32 --------------------

def _server_keys() -> dict[int, tuple[str, bool]]:
    """For a 32-bit and a 64-bit registration of one class: the name of the key that holds the
    DLL's path, and whether it lies under Wow6432Node (the registration model)."""
    from interopkit.com.registry import registry_values

    keys = {}
    for bits in (32, 64):
        cls = ComClass(SAMPLE_CLSID, f"C:\\Vendor\\sample{bits}.dll", bits)
        path = next(v for v in registry_values(cls) if v.name == "" and v.data == cls.dll)
        keys[bits] = (path.key.rsplit("\\", 1)[1], "\\wow6432node\\" in path.key.lower())
    return keys


m3_inprocserver32 = choice_quiz(
    "inprocserver32",
    "A vendor ships one COM class as two DLLs, a 32-bit and a 64-bit build, and registers both "
    "on 64-bit Windows. Where does each DLL's path go?",
    [Choice("The 32-bit DLL under `InprocServer32`, the 64-bit one under `InprocServer64`",
            {32: ("InprocServer32", False), 64: ("InprocServer64", False)}),
     Choice("Both under `InprocServer32`, the 64-bit one under `Wow6432Node`",
            {32: ("InprocServer32", False), 64: ("InprocServer32", True)},
            "Wow6432Node holds the 32-bit view: it is where a 32-bit registration lands."),
     Choice("Only the 32-bit one: a 64-bit DLL cannot be an in-process COM server",
            {32: ("InprocServer32", True)},
            "64-bit in-process servers exist, under the same key name."),
     Choice("Both under a key named `InprocServer32`: the 64-bit one in the 64-bit view, the "
            "32-bit one under `Wow6432Node` (the 32-bit view)",
            {32: ("InprocServer32", True), 64: ("InprocServer32", False)})],
    believed=0, model=_server_keys,
    right="One key name for both: InprocServer32 says in-process, not 32-bit. The registry view "
          "tells the bitness: CLSID is redirected, so the 32-bit registration lands under "
          "Wow6432Node (W64-PROCINT, W64-REGKEYS).",
    hint="registry_values(ComClass(clsid, dll, bits)) in interopkit.com.registry shows the keys "
         "for bits=32 and bits=64.",
    solution_code="# registry_values(ComClass(SAMPLE_CLSID, dll, bits)) for bits 32 and 64: the "
                  "same key name,\n# the 32-bit registration under Wow6432Node.\nanswer = 'd'\n",
    explanation="The 32 in InprocServer32 is historical; 64-bit servers use the same name, in "
                "the 64-bit view (W64-PROCINT).",
)
