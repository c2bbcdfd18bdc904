"""Notebook 08 (capstone): a 64-bit application, a 32-bit plug-in it cannot load, and the whole job.

The case is ``studio.exe`` (x64) with four plug-ins, one of them ``legacy_meter.dll``, a copy of
the kit's real 32-bit sample DLL. The learner diagnoses it with the checker (which DLL, which
code, why) and sees a real 64-bit Windows process refuse it; hosts it out of process (real COM
under Wine or on Windows, the kit's surrogate on every machine); lints and mends the plug-in's
interface (``data/idl/meter_plugin.idl``); and measures a chatty against a batched version of
the same work. Every step is a checked exercise of notebook 08 whose expected answer is computed
when the check runs, from the checker, the lint, and calls to the real plug-in; ``interopkit
solutions`` prints the worked answers.
"""

from __future__ import annotations

import html
import random
import statistics
import struct
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interopkit.com.lint import IDL_DIR, lint_file
from interopkit.errors import HostError, InteropKitError
from interopkit.kit import cache
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.handle_ptr_truncation import mend_checker
from interopkit.lessons.html import _table
from interopkit.loading.appfolders import build_capstone_app

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "PLUGIN_IDL",
    "READINGS",
    "STUDIO_FOLDER",
    "com_hosting_html",
    "design_explorer",
    "draw_chatty_batched",
    "plugin_of",
    "q1_plugin",
    "q2_code",
    "q3_machine",
    "q4_checksum",
    "q5_lost",
    "q6_mend",
    "q7_speedup",
    "readings_bytes",
    "refusal_html",
    "sensor_readings",
    "time_chatty_batched",
]

STUDIO_FOLDER = cache.folder() / "capstone" / "studio"
"""Where notebook 08 builds the case: one folder per user in the kit's cache (as it was when the
kit was imported), rebuilt in place on every run."""

PLUGIN_IDL = IDL_DIR / "meter_plugin.idl"
"""The plug-in's interface as it was written for a 32-bit host."""

READINGS = 2_000
"""How many sensor readings the capstone sends to the plug-in."""

_PLUGIN = "legacy_meter.dll"


def plugin_of(app: str | Path) -> Path:
    """The 32-bit plug-in in the capstone app's ``plugins`` folder."""
    return Path(app).parent / "plugins" / _PLUGIN


def sensor_readings(count: int = READINGS) -> list[int]:
    """``count`` readings between 0 and 4095 (a 12-bit sensor), the same on every run."""
    generator = random.Random(8)
    return [generator.randrange(4096) for _ in range(count)]


def readings_bytes(readings: list[int]) -> bytes:
    """The readings as the plug-in's batched call takes them: little-endian 32-bit LONGs."""
    return struct.pack(f"<{len(readings)}l", *readings)


# --- Step 1: diagnose -------------------------------------------------------------------------


def _report() -> Any:
    from interopkit.loading.checker import check_app

    app = build_capstone_app(STUDIO_FOLDER)
    return check_app(app, dirs=(app.parent / "plugins",), host="win11-x64")


def _refused() -> Any:
    return next(d for d in _report().dlls if not d.loads)


def _check_plugin(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the DLL's file name as a string, such as 'charts.dll'."
    report = _report()
    refused = next(d for d in report.dlls if not d.loads)
    named = Path(answer.strip()).name.lower()
    if named == refused.name.lower():
        return True, (f"{refused.name} is the one DLL studio's {report.process.value} process "
                      "cannot load; every other DLL loads.")
    if any(d.name.lower() == named for d in report.dlls):
        return False, (f"{answer} loads into studio.exe's process: the checker's loads column "
                       "says so. Did you give the checker the plugins folder (dirs=)?")
    return False, (f"There is no {answer} in studio's folders: the checker lists every DLL it "
                   "found.")


def _check_code(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, bool) or not isinstance(answer, int):
        return False, "Give the error code as an int, such as 126."
    expected = _refused().error
    if answer == expected:
        return True, (f"{int(expected)}, {expected.name}: LoadLibraryW's answer for an image of "
                      "the wrong machine. The app loads plug-ins while it runs, so it gets this "
                      "code back and can carry on without the plug-in.")
    if answer == 0xC000007B:
        return False, ("0xC000007B is what a process gets at start for a wrong-bitness DLL it "
                       "imports. studio.exe does not import its plug-ins: it loads them while it "
                       "runs, with LoadLibraryW.")
    if answer == 126:
        return False, ("126 means that the DLL, or a DLL it needs, was not found. This plug-in "
                       "is there, and it imports nothing.")
    if answer == 216:
        return False, ("216 is the code lesson 03 found for starting an EXE of the wrong machine "
                       "(CreateProcess). A DLL loaded with LoadLibraryW gets the other code.")
    return False, "Read the checker's error column for the plug-in that does not load."


def _check_machine(answer: Any) -> tuple[bool, str]:
    from interopkit.images.inspection import inspect

    info = inspect(plugin_of(build_capstone_app(STUDIO_FOLDER)))
    if isinstance(answer, str):
        if answer.strip().upper() in (info.machine_name, "X86", "I386", "IA32"):
            return False, (f"{info.machine_name} is the name the kit gives it (x86 the "
                           "architecture). The header stores a number: give it, as an int.")
        return False, "The header stores a number: give it as an int, such as 0xAA64."
    if isinstance(answer, bool) or not isinstance(answer, int):
        return False, "Give the Machine field's value as an int, such as 0xAA64."
    if answer == info.machine:
        return True, (f"0x{answer:X}, {info.machine_name}: 32-bit x86 code, which only a 32-bit "
                      "process can run; studio.exe's header says 0x8664 (AMD64, x64).")
    if answer == 0x8664:
        return False, ("0x8664 is AMD64: studio.exe's own Machine. Read the plug-in's header, "
                       "not the app's.")
    if answer in (0x10B, 0x20B):
        return False, ("That is the optional header's Magic (PE32 or PE32+). The question asks "
                       "for the COFF header's Machine.")
    return False, "inspect(path).machine reads the COFF header's Machine field (lesson 01)."


q1_plugin = Exercise(
    name="q1_plugin",
    question="Which of studio.exe's DLLs cannot load into its process? (its file name)",
    checker=_check_plugin,
    hint_text="Plug-ins are not imports: give check_app the plugins folder too, with "
              "dirs=(app.parent / 'plugins',), and read the loads column.",
    solution_code=("from interopkit.lessons.capstone import STUDIO_FOLDER\n"
                   "from interopkit.loading.appfolders import build_capstone_app\n"
                   "from interopkit.loading.checker import check_app\n"
                   "app = build_capstone_app(STUDIO_FOLDER)\n"
                   "report = check_app(app, dirs=(app.parent / 'plugins',), host='win11-x64')\n"
                   "answer = next(d.name for d in report.dlls if not d.loads)\n"),
    explanation="The checker compares every DLL's Machine with the app's process, imported or "
                "found in a plug-in folder.",
)

q2_code = Exercise(
    name="q2_code",
    question="studio.exe calls LoadLibraryW on that plug-in. Which error code does it get back? "
             "(an int)",
    checker=_check_code,
    hint_text="Is the plug-in imported (loaded at process start) or loaded while the app runs? "
              "The checker's error column answers for the way it is loaded.",
    solution_code=("from interopkit.lessons.capstone import STUDIO_FOLDER\n"
                   "from interopkit.loading.appfolders import build_capstone_app\n"
                   "from interopkit.loading.checker import check_app\n"
                   "app = build_capstone_app(STUDIO_FOLDER)\n"
                   "report = check_app(app, dirs=(app.parent / 'plugins',), host='win11-x64')\n"
                   "answer = int(next(d.error for d in report.dlls if not d.loads))\n"),
    explanation="193, ERROR_BAD_EXE_FORMAT: the loader reads the image's Machine and refuses it "
                "before any of its code runs (notebook 03).",
)

q3_machine = Exercise(
    name="q3_machine",
    question="Why: what value does the plug-in's COFF header hold in its Machine field? (an "
             "int, such as 0xAA64)",
    checker=_check_machine,
    hint_text="interopkit.inspect(path) reads a PE file's headers (notebook 01); its machine "
              "is the field's value, machine_name the kit's name for it.",
    solution_code=("from interopkit import inspect\n"
                   "from interopkit.lessons.capstone import STUDIO_FOLDER, plugin_of\n"
                   "from interopkit.loading.appfolders import build_capstone_app\n"
                   "answer = inspect(plugin_of(build_capstone_app(STUDIO_FOLDER))).machine\n"),
    explanation="0x14C, IMAGE_FILE_MACHINE_I386: 32-bit x86 code, so it needs a 32-bit process; "
                "an x64 process (0x8664) refuses it before any of its code runs (PE-FMT).",
)


def refusal_html(plugin: str | Path) -> str:
    """The plug-in loaded for real with LoadLibraryW in a 64-bit and in a 32-bit Windows process
    (under Wine on Linux, labelled as Wine; natively on Windows), or why that cannot run here."""
    from interopkit.loading.winload import load_one

    rows = []
    for bits in (64, 32):
        try:
            attempt = load_one(bits, str(plugin))
        except HostError as error:
            return (f"<p>No {bits}-bit Windows process can start on this machine, so the "
                    f"checker's answer (a model of the documented loader) stands alone here: "
                    f"{html.escape(str(error))}</p>")
        rows.append([attempt.platform, "loaded" if attempt.loaded else "refused",
                     "0" if attempt.loaded else _code_text(attempt.code)])
    return _table(["process", "LoadLibraryW", "GetLastError"], rows)


def _code_text(code: int) -> str:
    from interopkit.winerror import WinError

    try:
        return WinError(code).describe()
    except ValueError:
        return str(code)


# --- Step 2: host it out of process ----------------------------------------------------------


def com_hosting_html() -> str:
    """Real COM for the same library: its registration (the server in the 32-bit view, an AppID
    with an empty DllSurrogate, the proxy/stub in both views) and a 64-bit client's activation,
    live under Wine or on Windows, else recorded and labelled so (notebook 05 shows both ways)."""
    from interopkit.lessons.com_surrogate import COM_PROGRESS, recipe_registry_html
    from interopkit.lessons.recorded import cached, labels_html

    got = cached("com_demo", progress=COM_PROGRESS)
    run = next(r for r in got.result["runs"] if r["client_bits"] == 64)
    where = run["surrogate"]
    if run["create_hr"] != 0:
        from interopkit.com.real import hresult_name

        outcome = f"CoCreateInstance failed: {hresult_name(run['create_hr'])}"
    else:
        outcome = (f"CoCreateInstance S_OK in {run['create_ms']:,.0f} ms; the server runs in "
                   f"{where['image'] if where else 'a surrogate'} "
                   f"({where['bits'] if where else '?'}-bit), measures a pointer of "
                   f"{run['ptr_size']} bytes, and computed add(2, 3) = {run['add']}")
    return (recipe_registry_html(32, 64) + labels_html(got)
            + f"<p><b>{html.escape(run['platform'])}</b>: {html.escape(outcome)}.</p>")


def _plugin_checksums(*blocks: bytes) -> list[int]:
    """The plug-in's checksum of each block, all computed in one surrogate."""
    from interopkit.emulation.emulator import Buffer
    from interopkit.surrogate.client import Surrogate

    with Surrogate(plugin_of(build_capstone_app(STUDIO_FOLDER))) as meter:
        return [meter.call("checksum", Buffer(block), len(block)).result & 0xFFFF_FFFF
                for block in blocks]


def _check_checksum(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, bool) or not isinstance(answer, int):
        return False, "Give the value the plug-in returned, as an int."
    readings = sensor_readings()
    data = readings_bytes(readings)
    # The whole data, and the parts a length in readings (not bytes) would check.
    expected, *parts = _plugin_checksums(data, data[:len(readings)], data[:1])
    if answer == expected:
        return True, (f"{expected:#010x}, computed by the 32-bit plug-in in its own process "
                      f"from the {len(data):,} bytes you sent.")
    if answer == sum(readings) & 0xFFFF_FFFF:
        return False, "That is the readings' sum. The question asks for the plug-in's checksum."
    if answer in parts:
        return False, ("That is the checksum of part of the data: checksum's second argument is "
                       "a length in bytes, len(data), not the number of readings.")
    return False, ("Give the .result of the checksum call through meter, with all the bytes "
                   "of data in a Buffer and their length.")


q4_checksum = Exercise(
    name="q4_checksum",
    question=f"Send the {READINGS:,} readings (readings_bytes(sensor_readings())) to the plug-in's "
             "checksum(buffer, length) through its surrogate. What does it return? (an int)",
    checker=_check_checksum,
    hint_text="Bytes travel to the surrogate in a Buffer (they go in and come back); "
              "checksum's second argument is their length in bytes; the value is the call "
              "result's .result.",
    solution_code=("from interopkit.emulation.emulator import Buffer\n"
                   "from interopkit.lessons.capstone import (STUDIO_FOLDER, plugin_of,\n"
                   "                                         readings_bytes, sensor_readings)\n"
                   "from interopkit.loading.appfolders import build_capstone_app\n"
                   "from interopkit.surrogate.client import Surrogate\n"
                   "data = readings_bytes(sensor_readings())\n"
                   "with Surrogate(plugin_of(build_capstone_app(STUDIO_FOLDER))) as meter:\n"
                   "    answer = meter.call('checksum', Buffer(data), len(data)).result\n"),
    explanation="The 64-bit client sends the bytes, the 32-bit surrogate calls the plug-in "
                "with a pointer of its own to them, and the result comes back: nothing the "
                "client holds needs to fit in 32 bits.",
)


# --- Step 3: the interface --------------------------------------------------------------------


def _lost() -> set[str]:
    return {f.parameter for f in lint_file(PLUGIN_IDL) if f.rule.severity == "error"}


def _check_lost(answer: Any) -> tuple[bool, str]:
    if isinstance(answer, str) or not isinstance(answer, (set, frozenset, list, tuple)):
        return False, "Give a set of parameter names, such as {'channel', 'value'}."
    given = {str(name) for name in answer}
    findings = {f.parameter: f for f in lint_file(PLUGIN_IDL)}
    expected = _lost()
    if given == expected:
        return True, (f"{', '.join(sorted(expected))}: each carries an address in a type that "
                      "holds 32 bits on the wire, so a 64-bit caller's value arrives cut, and "
                      "would mean nothing in the plug-in's process anyway.")
    extra = sorted(given - expected)
    if "hMeter" in extra or "phMeter" in extra:
        return False, ("HMETER values are made by the 32-bit plug-in itself and handed back to "
                       "it: they fit in 32 bits and arrive intact. The lint warns because a "
                       "handle in a DWORD is fragile, not because this value arrives wrong.")
    for name in extra:
        finding = findings.get(name)
        if finding is not None:
            return False, (f"{name} is a {finding.rule.severity} ({finding.rule.name}), not a "
                           "value that arrives wrong: read that rule's risk. Keep only the "
                           "errors.")
    if extra:
        return False, f"The lint says nothing about {', '.join(extra)}."
    return False, (f"{len(expected - given)} missing: the lint marks every such parameter as an "
                   "error.")


q5_lost = Exercise(
    name="q5_lost",
    question="Which parameters of meter_plugin.idl carry a value that arrives wrong when the "
             "64-bit studio calls the 32-bit plug-in? (a set of names)",
    checker=_check_lost,
    hint_text="lint_file(PLUGIN_IDL) gives every finding with its rule's severity: errors are "
              "values that arrive wrong, warnings are risks that need care.",
    solution_code=("from interopkit.com.lint import lint_file\n"
                   "from interopkit.lessons.capstone import PLUGIN_IDL\n"
                   "answer = {f.parameter for f in lint_file(PLUGIN_IDL)\n"
                   "          if f.rule.severity == 'error'}\n"),
    explanation="pValues is an address in a DWORD and pvContext one in a DWORD_PTR "
                "(__int3264): 4 bytes on the wire either way. The HMETER handles are the "
                "plug-in's own values handed back (a warning), SetNotifyWindow's HANDLE_PTR may "
                "be laid out differently by the two stubs (a warning), and a SIZE_T count is cut "
                "only above 4 GiB (a note).",
)

_MEND = '''\
from interopkit.lessons.capstone import PLUGIN_IDL
text = PLUGIN_IDL.read_text()
for old, new in [
    # the plug-in's state: an object the client holds a proxy to, not a DWORD (W64-HIDE)
    ("typedef DWORD HMETER;",
     "[object, uuid(7D3A1F52-0C4B-4E6D-9A81-2B5C6D7E8F91), pointer_default(unique)]\\n"
     "interface IMeter : IUnknown { HRESULT GetChannel([out] ULONG *pChannel); }\\n"
     "typedef IMeter *HMETER;"),
    # the readings themselves, not their address: NDR copies count LONGs
    ("[in] DWORD pValues", "[in, size_is(count)] const LONG *pValues"),
    # a count of bytes that may pass 4 GiB: a number, so ULONG64
    ("[out] SIZE_T *pcbSeen", "[out] ULONG64 *pcbSeen"),
    # the caller's context: an object of the caller's, which the plug-in can hand back
    ("[in] DWORD_PTR pvContext", "[in, unique] IUnknown *pvContext"),
    # a window: HWND travels as a 32-bit remotable handle
    ("[in] HANDLE_PTR hwndNotify", "[in] HWND hwndNotify"),
]:
    text = text.replace(old, new)
answer = text
'''

q6_mend = Exercise(
    name="q6_mend",
    question="Mend meter_plugin.idl so that the lint finds nothing, keeping every method and "
             "parameter under its name (change types and attributes; you may add interfaces "
             "and typedefs).",
    checker=mend_checker(PLUGIN_IDL),
    hint_text="Each finding names its fix. Data travels as data ([in, size_is(count)]), the "
              "plug-in's state as an interface pointer, a count that may pass 4 GiB as ULONG64, "
              "and a window as HWND.",
    solution_code=_MEND,
    explanation="Types changed, names kept: AddReadings now carries the readings themselves, "
                "which is also what makes the batched call of step 4 possible across bitness.",
)


# --- Step 4: chatty against batched -----------------------------------------------------------


def time_chatty_batched(meter: Any, readings: list[int], repeats: int = 15) -> dict[str, Any]:
    """Time both designs on a running ``Surrogate`` of the plug-in, after a warm-up call of each:
    one ``add`` call per reading (the caller keeps the running total and the plug-in adds each
    reading to it, as ``AddReading`` would hand readings over one by one), timed 3 times, then
    one ``checksum`` call with every reading's bytes (as the mended ``AddReadings`` would),
    timed ``repeats`` times; each design's median, the sum and the checksum."""
    from interopkit.emulation.emulator import Buffer

    data = readings_bytes(readings)
    meter.call("add", 0, 0)
    meter.call("checksum", Buffer(data), len(data))
    chatty = []
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for value in readings:
            total = meter.call("add", total, value).result
        chatty.append(time.perf_counter() - start)
    batched = []
    for _ in range(repeats):
        start = time.perf_counter()
        checksum = meter.call("checksum", Buffer(data), len(data)).result
        batched.append(time.perf_counter() - start)
    return {"calls": len(readings), "chatty_s": statistics.median(chatty),
            "batched_s": statistics.median(batched), "sum": total, "checksum": checksum}


def _check_speedup(answer: Any) -> tuple[bool, str]:
    from interopkit.surrogate.client import Surrogate

    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or answer <= 0:
        return False, "Give how many times faster the batched design is, as a positive number."
    readings = sensor_readings()
    try:
        with Surrogate(plugin_of(build_capstone_app(STUDIO_FOLDER))) as meter:
            times = time_chatty_batched(meter, readings)
    except InteropKitError as error:
        return False, f"The checker could not measure again: {error}"
    expected = times["chatty_s"] / times["batched_s"]
    if expected / 3 <= answer <= expected * 3:
        return True, (f"About {expected:,.0f}x in the checker's run: {len(readings):,} trips "
                      f"took {times['chatty_s'] * 1e3:,.1f} ms, one trip with all "
                      f"{4 * len(readings):,} bytes {times['batched_s'] * 1e6:,.0f} us.")
    if answer < 1:
        return False, "That says the chatty design is faster: divide chatty by batched."
    return False, (f"Not within a factor of 3 of the checker's run ({expected:,.0f}x). Divide "
                   "your chatty time by your batched time.")


q7_speedup = Exercise(
    name="q7_speedup",
    question=f"How many times faster is one batched call than {READINGS:,} chatty calls, on "
             "this machine? (a number; the checker measures again and accepts a factor of 3)",
    checker=_check_speedup,
    hint_text="times['chatty_s'] / times['batched_s'].",
    solution_code=("from interopkit.lessons.capstone import (STUDIO_FOLDER, plugin_of,\n"
                   "                                         sensor_readings,\n"
                   "                                         time_chatty_batched)\n"
                   "from interopkit.loading.appfolders import build_capstone_app\n"
                   "from interopkit.surrogate.client import Surrogate\n"
                   "with Surrogate(plugin_of(build_capstone_app(STUDIO_FOLDER))) as meter:\n"
                   "    times = time_chatty_batched(meter, sensor_readings())\n"
                   "answer = times['chatty_s'] / times['batched_s']\n"),
    explanation="Each chatty call pays the whole trip (two pipe writes, two wake-ups, the "
                "marshaling) for 4 bytes of work; the batched call pays it once.",
)


def draw_chatty_batched(times: dict[str, Any], ax: Axes | None = None) -> Axes:
    """The two designs' times as bars, on a log scale (they differ by orders of magnitude),
    each labelled with its time and its number of trips."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
    labels = [f"chatty: {times['calls']:,} add calls", "batched: 1 checksum call"]
    seconds = [times["chatty_s"], times["batched_s"]]
    bars = ax.barh(labels, [s * 1e3 for s in seconds], color=["#d9822b", "#2b6cb0"])
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds, measured on this machine (log scale; bars start at 1 us)")
    ax.invert_yaxis()
    for bar, value in zip(bars, seconds, strict=True):
        text = f"{value * 1e3:,.1f} ms" if value >= 1e-3 else f"{value * 1e6:,.0f} us"
        ax.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_xlim(1e-3, max(seconds) * 1e3 * 8)  # 1 us: a bar's length is orders of magnitude
    ax.set_title(f"Every one of {times['calls']:,} readings handed to the 32-bit plug-in")
    return ax


def design_explorer(meter: Any) -> Any:
    """Try it: choose how many readings to send and time both designs on the running plug-in
    ``meter``; the bars are on a log scale, like section 5's chart."""
    import math

    import ipywidgets as widgets

    count = widgets.IntSlider(value=500, min=100, max=5_000, step=100, description="readings",
                              continuous_update=False)
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        try:
            times = time_chatty_batched(meter, sensor_readings(count.value), repeats=5)
        except InteropKitError as error:
            output.value = f"<p style='color:#b03000'>{html.escape(str(error))}</p>"
            return
        rows = []
        for label, seconds, colour in (
                (f"chatty, {times['calls']:,} calls", times["chatty_s"], "#d9822b"),
                ("batched, 1 call", times["batched_s"], "#2b6cb0")):
            width = max(2.0, 60 * (math.log10(seconds * 1e6) / 6))  # 1 us .. 1 s on 60% width
            rows.append(f"<div>{html.escape(label)}: <b>{seconds * 1e3:,.2f} ms</b>"
                        f"<div style='background:{colour};height:12px;width:{width:.0f}%'></div>"
                        "</div>")
        ratio = times["chatty_s"] / times["batched_s"]
        output.value = ("".join(rows) + f"<p>batched is <b>{ratio:,.0f}x</b> faster for "
                        f"{4 * times['calls']:,} bytes of readings (log-scale bars)</p>")

    count.observe(update, names="value")
    update()
    return widgets.VBox([count, output])
