"""Notebook 02 (wow64): its tables, diagrams, explorers and checked exercises.

Exercises of notebook 02 (WOW64 from the inside); answers come from the redirection models."""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

from interopkit.errors import InteropKitError
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.misconceptions import Choice, choice_quiz
from interopkit.wow64.redirect import (
    canonical_key,
    canonical_path,
    environment,
    redirect_key,
    redirect_path,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from interopkit.lessons.html import _table
from interopkit.lessons.recorded import cached, labels_html

__all__ = [
    "draw_address_spaces",
    "draw_address_spaces_linear",
    "draw_wow64_layers",
    "m1_system32",
    "m2_sysnative",
    "m8_x64_on_arm",
    "m10_iswow64process",
    "q1_installer_file",
    "q2_installer_key",
    "q3_program_files",
    "q4_sysnative",
    "real_redirects_html",
    "real_registry_html",
    "real_threads_html",
    "real_wow64_html",
    "redirect_explorer",
]


_LOG = "C:\\Windows\\System32\\LogFiles\\Vendor\\setup.log"


_KEY = "HKLM\\SOFTWARE\\Vendor\\Settings"


def _same(left: str, right: str) -> bool:
    """The same Windows path, in any spelling Windows accepts (case, slashes, %windir%)."""
    try:
        return canonical_path(left).lower() == canonical_path(right).lower()
    except InteropKitError:
        return False


def _same_key(left: str, right: str) -> bool:
    """The same registry key, in any spelling regedit, reg.exe or the registry API accepts."""
    try:
        return canonical_key(left).lower() == canonical_key(right).lower()
    except InteropKitError:
        return False


def _check_file(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the full path as a string."
    expected = redirect_path(_LOG, "x86").result
    if _same(answer, expected):
        return True, ("Right where it asked: System32\\LogFiles is one of the folders the "
                      "redirector leaves alone, so 32-bit and 64-bit programs share the log "
                      "(W64-FSR).")
    if any(_same(answer, folder) for folder in ("C:\\Windows\\SysWOW64",
                                                 "C:\\Windows\\System32",
                                                 "C:\\Windows\\System32\\LogFiles\\Vendor")):
        return False, "That is a folder; give the full path of setup.log."
    if "syswow64" in answer.lower():
        return False, ("Most of System32 is redirected to SysWOW64, but not all of it: look at "
                       "the exempt folders listed in section 3.")
    if "program files" in answer.lower():
        return False, "The installer named a System32 path; only folders under it may move."
    return False, "Ask the model: redirect_path(path, 'x86')."


def _check_key(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the key as a string, such as HKLM\\SOFTWARE\\Example."
    expected = redirect_key(_KEY, "x86").result
    if _same_key(answer, expected):
        return True, ("Wow6432Node: HKLM\\SOFTWARE is redirected for 32-bit processes. Read it "
                      "from 64-bit code with KEY_WOW64_32KEY, not by hard-coding Wow6432Node.")
    if _same_key(answer, _KEY):
        return False, "A 64-bit regedit shows the 64-bit view; the 32-bit app wrote elsewhere."
    if "wowaa32node" in answer.lower():
        return False, "WowAA32Node is the view of 32-bit Arm processes; this app is x86."
    if _is_parent_key(answer, expected):
        return False, ("That key is on the way, but incomplete: give the whole key, down to "
                       "Settings.")
    if "wow6432node" in answer.lower():
        return False, ("Right node, wrong place: the 32-bit view of HKLM\\SOFTWARE sits directly "
                       "under HKLM\\SOFTWARE, and the rest of the key follows it.")
    return False, "Try redirect_key(key, 'x86') and look at the result."


def _is_parent_key(answer: str, key: str) -> bool:
    """``answer`` names a key above ``key`` (in any spelling the registry accepts)."""
    try:
        parent = canonical_key(answer).lower().rstrip("\\")
        return canonical_key(key).lower().startswith(parent + "\\")
    except InteropKitError:
        return False


_APP = "%ProgramFiles%\\Vendor\\app.exe"


def _expand(answer: str) -> str:
    """Expand the two Program Files variables a learner may write; they mean fixed folders
    whatever process reads them (W64-IMPL)."""
    native = environment("x64", "win11-x64")["ProgramFiles"] or ""
    x86 = environment("x86", "win11-x64")["ProgramFiles"] or ""
    for name, folder in (("%programfiles(x86)%", x86), ("%programw6432%", native)):
        if answer.strip().lower().startswith(name):
            return folder + answer.strip()[len(name):]
    return answer


def _check_program_files(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the full path of app.exe as a string."
    installer = environment("x86", "win11-x64")["ProgramFiles"] or ""
    launcher = environment("x64", "win11-x64")["ProgramFiles"] or ""
    expected = _APP.replace("%ProgramFiles%", installer)
    answer = _expand(answer)
    if _same(answer, expected):
        return True, ("The 32-bit installer's %ProgramFiles% was the (x86) folder; the 64-bit "
                      "launcher's is the native one, so it must name the (x86) folder itself.")
    if _same(answer, launcher) or _same(answer, installer):
        return False, ("Give the full path of app.exe. (C:\\Program Files is what a 64-bit process "
                       "sees as %ProgramFiles%.)")
    if _same(answer, _APP.replace("%ProgramFiles%", launcher)):
        return False, ("That is what %ProgramFiles% means to the 64-bit launcher, which is what "
                       "a 64-bit process sees. The installer was 32-bit: what did %ProgramFiles% "
                       "mean to it?")
    return False, "Compare the x86 and x64 columns of the environment table for ProgramFiles."


_DRIVERS = "C:\\Windows\\System32\\drivers"


def _check_sysnative(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the full path as a string."
    answer = answer.strip().rstrip("\\/")
    try:
        result = redirect_path(answer, "x86")
    except InteropKitError:
        return False, "Give a full path such as C:\\Windows\\...\\drivers."
    if _same(result.result, _DRIVERS) and result.redirected:
        return True, ("Sysnative\\drivers: Sysnative is a virtual folder only 32-bit processes "
                      "see, which reaches the real System32 without turning redirection off.")
    if _same(answer, "C:\\Windows\\Sysnative"):
        return False, ("Right alias: Sysnative reaches the real System32. Now add the folder the "
                       "tool wants, drivers.")
    if _same(answer, _DRIVERS):
        return False, ("From a 32-bit process that path is redirected to SysWOW64\\drivers: only "
                       "drivers\\etc is exempt, not drivers itself.")
    if "syswow64" in answer.lower():
        return False, ("SysWOW64 holds the 32-bit files, the very ones a 32-bit process already "
                       "gets. The tool wants the 64-bit folder.")
    if answer.lower().endswith(".exe") or answer.lower().endswith("\\etc"):
        return False, "The tool wants the drivers folder itself, not a file or drivers\\etc."
    return False, ("There is a virtual alias for exactly this; section 3 names it. Try "
                   "redirect_path(your_path, 'x86') to see where a path really leads.")


q1_installer_file = Exercise(
    name="q1_installer_file",
    question=f"A 32-bit installer on 64-bit Windows writes its log to {_LOG}. Where does the "
             "file really land?",
    checker=_check_file,
    hint_text="The installer's process is x86. Is every folder under System32 redirected?",
    solution_code=("from interopkit.wow64.redirect import redirect_path\n"
                   f"answer = redirect_path({_LOG!r}, 'x86').result\n"),
    explanation="The file-system redirector sends a 32-bit process's System32 to SysWOW64, "
                "except a few shared folders, LogFiles among them (W64-FSR).",
)


q2_installer_key = Exercise(
    name="q2_installer_key",
    question=f"The same installer writes {_KEY}. Under which key does 64-bit regedit show it?",
    checker=_check_key,
    hint_text="HKLM\\SOFTWARE is a redirected key for 32-bit processes.",
    solution_code=("from interopkit.wow64.redirect import redirect_key\n"
                   f"answer = redirect_key({_KEY!r}, 'x86').result\n"),
    explanation="The 32-bit view of HKLM\\SOFTWARE lives under Wow6432Node.",
)


q3_program_files = Exercise(
    name="q3_program_files",
    question=f"A 32-bit installer put a program in {_APP}. What full path must a 64-bit "
             "launcher open to start it?",
    checker=_check_program_files,
    hint_text="%ProgramFiles% is expanded in the installer's process, not in the launcher's: "
              "compare the x86 and x64 columns of the environment table.",
    solution_code=("from interopkit.wow64.redirect import environment\n"
                   "folder = environment('x86', 'win11-x64')['ProgramFiles']\n"
                   "answer = folder + '\\\\Vendor\\\\app.exe'\n"),
    explanation="WOW64 sets ProgramFiles=%ProgramFiles(x86)% for 32-bit processes, while a "
                "64-bit process's ProgramFiles is the native folder (W64-IMPL).",
)


q4_sysnative = Exercise(
    name="q4_sysnative",
    question=f"A 32-bit tool must list the real 64-bit driver folder, {_DRIVERS}. Which path "
             "must it open?",
    checker=_check_sysnative,
    hint_text="Is drivers exempt from redirection, or only drivers\\etc? If it is redirected, "
              "how does a 32-bit process reach the real System32?",
    solution_code="answer = 'C:\\\\Windows\\\\Sysnative\\\\drivers'\n",
    explanation="Only System32\\drivers\\etc is exempt; drivers itself is redirected, and "
                "Sysnative is the documented way for 32-bit processes to reach System32 (W64-FSR).",
)


def redirections_html(results: list[Any]) -> str:
    """Redirection results: what was asked, what is really reached, and why."""
    rows = [[r.input, r.result if r.redirected else "(not redirected)", r.reason] for r in results]
    return _table(["asked for", "really reaches", "why"], rows)


def key_redirections_html(cases: list[tuple[str, int, Any]]) -> str:
    """Registry redirections with the process and the view flags that produced each result:
    (process, flags, result) rows, so that the same key asked twice reads as two questions."""
    from interopkit.wow64.redirect import KEY_WOW64_32KEY, KEY_WOW64_64KEY

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


def draw_address_spaces(spaces: list[Any], ax: Axes | None = None) -> Axes:
    """Each measured process as a bar of the address space it could reserve (log scale), with
    its code, heap and stack marked, beside Windows' documented WOW64 limits.

    ``spaces`` come from ``interopkit.wow64.measure.measure_both``; taught in notebook 02.
    """
    import matplotlib.pyplot as plt

    from interopkit.wow64.measure import WOW64_LIMITS

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 1.6 + 1.1 * len(spaces)))
    markers = {"code": ("code_address", "^", "#1f77b4"), "heap": ("heap_address", "s", "#2ca02c"),
               "stack": ("stack_address", "v", "#d62728")}
    for row, space in enumerate(spaces):
        ax.barh(row, space.reserved_bytes, height=0.5, color="#9ecae1",
                label="address space reserved" if row == 0 else None)
        ax.text(space.reserved_bytes * 1.8, row, _size(space.reserved_bytes), va="center",
                fontsize=9)
        for name, (attribute, marker, colour) in markers.items():
            ax.plot(getattr(space, attribute), row, marker=marker, color=colour, linestyle="",
                    markersize=8, label=name if row == 0 else None)
    for index, (label, limit) in enumerate(WOW64_LIMITS.items()):
        ax.axvline(limit, color="#555555", linestyle="--" if index == 0 else ":", linewidth=1)
        ax.text(limit, len(spaces) - 0.45, f" {label}: {_size(limit)} (W64-PERF)", fontsize=8,
                rotation=0, va="bottom", ha="left" if index else "right")
    ax.set_xscale("log", base=2)
    ax.set_xlim(_LOG_START, 2 ** 50)
    ax.set_ylim(-0.6, len(spaces) - 0.2)
    ax.set_yticks(range(len(spaces)), [f"{s.bits}-bit {s.arch} process" for s in spaces])
    ax.set_xlabel("address / bytes (log scale: each tick is 16 times the one before)")
    ax.set_title("Address space of real processes on this machine" + _ratio_note(spaces))
    ax.legend(loc="lower right", fontsize=8)
    return ax


_LOG_START = 2 ** 16
"""Where the log axis of ``draw_address_spaces`` starts: the bars' lengths are measured from it."""


def _ratio_note(spaces: list[Any]) -> str:
    """How many times the largest reservation is the smallest, as measured (or nothing)."""
    sizes = [s.reserved_bytes for s in spaces if s.reserved_bytes > 0]
    if len(sizes) < 2 or max(sizes) < 2 * min(sizes):
        return ""
    ratio = max(sizes) / min(sizes)
    # On a log axis a bar's length is log(size / axis start): the apparent ratio depends on
    # where the axis starts (_LOG_START), so it is computed, not asserted.
    apparent = math.log2(max(sizes) / _LOG_START) / math.log2(min(sizes) / _LOG_START)
    return (f"\non this log axis the longest bar looks {apparent:.1f} times as long as the "
            f"shortest, yet holds {ratio:,.0f} times as much")


def draw_address_spaces_linear(spaces: list[Any], ax: Axes | None = None) -> Axes:
    """The same reservations as ``draw_address_spaces`` on a linear axis, where they compare
    as they really do: a 32-bit process's 4 GiB is a sliver beside a 64-bit one's terabytes.
    Each bar is labelled with its size and its share of the longest. Taught in notebook 02."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 0.9 + 0.6 * len(spaces)))
    longest = max((s.reserved_bytes for s in spaces), default=0) or 1
    for row, space in enumerate(spaces):
        ax.barh(row, space.reserved_bytes, height=0.5, color="#9ecae1")
        share = space.reserved_bytes / longest
        note = "" if share > 0.5 else (f", 1/{longest / max(space.reserved_bytes, 1):,.0f} of the"
                                       " longest: too thin to see")
        ax.text(longest * 0.01 + space.reserved_bytes, row,
                f" {_size(space.reserved_bytes)}{note}", va="center", fontsize=9)
    ax.set_xlim(0, longest * 1.25)
    from matplotlib.ticker import MultipleLocator

    # Ticks on a power of two (16 TiB, 512 GiB ...), so that their labels are round numbers.
    ax.xaxis.set_major_locator(MultipleLocator(2 ** int(math.log2(longest * 1.25 / 6) // 1)))
    ax.xaxis.set_major_formatter(lambda value, _pos: _size(int(value)) if value else "0")
    ax.set_ylim(-0.6, len(spaces) - 0.4)
    ax.set_yticks(range(len(spaces)), [f"{s.bits}-bit {s.arch} process" for s in spaces])
    ax.set_xlabel("bytes reserved (linear scale)")
    ax.set_title("The same reservations on a linear axis")
    return ax


def _size(value: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if value >= 1 << shift:
            return f"{value / (1 << shift):.4g} {unit}"
    return f"{value} bytes"


def draw_wow64_layers(axes: list[Axes] | None = None) -> list[Axes]:
    """The layers of a 32-bit program's system call: WOW64 on x64, WOW64 plus emulation on
    Arm, and the Linux kernel's compatibility mode on this machine. 32-bit code in orange,
    64-bit in blue; data from ``interopkit.wow64.measure.LAYERS``. Taught in notebook 02."""
    import matplotlib.pyplot as plt

    from interopkit.wow64.measure import LAYERS

    if axes is None:
        _, grid = plt.subplots(1, len(LAYERS), figsize=(15, 8))
        axes = list(grid)
    colours = {32: "#fdd0a2", 64: "#c6dbef"}
    for ax, (title, layers) in zip(axes, LAYERS.items()):
        for row, layer in enumerate(layers):
            top = len(layers) - row
            ax.add_patch(plt.Rectangle((0.02, top - 0.92), 0.96, 0.84,
                                       facecolor=colours[layer.bits], edgecolor="#444444"))
            # The name sits at the top of its box and the note hangs below it, so that a
            # three-line note never runs into the name.
            ax.text(0.5, top - 0.2, layer.name, ha="center", va="center", fontsize=9,
                    weight="bold")
            ax.text(0.5, top - 0.34, textwrap.fill(layer.note, 40), ha="center", va="top",
                    fontsize=9, linespacing=1.15)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, len(layers) + 0.1)
        ax.axis("off")
        ax.set_title(textwrap.fill(title, 38), fontsize=11)
    return axes


def redirect_explorer() -> Any:
    """Type a path or a registry key, pick a process, a Windows and view flags; see where it
    really goes."""
    import ipywidgets as widgets

    from interopkit.errors import InteropKitError
    from interopkit.lessons.wow64 import redirections_html
    from interopkit.loading.kinds import Host
    from interopkit.wow64 import redirect

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


# --- real processes (Wine on Linux, labelled; recorded where Wine is absent) -----------------

def _address(value: int | None) -> str:
    return "-" if value is None else f"0x{value:x}"


def real_wow64_html() -> str:
    """WOW64 from inside a real 32-bit and 64-bit process: pointer size, IsWow64Process(2),
    GetSystemInfo against GetNativeSystemInfo, the address ceiling with and without LAA."""
    a32, a64 = cached("wow64_32"), cached("wow64_64")
    f32, f64 = a32.result["snapshot"]["facts"], a64.result["snapshot"]["facts"]
    laa = a32.result["laa"]

    def row(name: str, get: Any) -> list[Any]:
        return [name, get(f32), get(f64)]

    rows = [row("sizeof(void*)", lambda f: f["pointer_size"]),
            row("IsWow64Process", lambda f: f["is_wow64_process"]),
            row("IsWow64Process2: process machine",
                lambda f: _address(f["process_machine"])),
            row("IsWow64Process2: native machine", lambda f: _address(f["native_machine"])),
            row("GetSystemInfo: architecture", lambda f: f["process_architecture"]),
            row("GetNativeSystemInfo: architecture", lambda f: f["native_architecture"]),
            row("GetSystemWow64Directory2W(I386)", lambda f: f["wow64_directory2"]),
            row("highest address (GetSystemInfo)",
                lambda f: _address(f["max_application_address"])),
            ["highest address, built large-address-aware",
             _address(laa["max_application_address"]) if laa else "-", "(always 64-bit)"],
            row("address space it could reserve",
                lambda f: "-" if f["reserved_bytes"] is None
                else f"{f['reserved_bytes'] / 2**30:.2f} GiB"),
            ["... built large-address-aware",
             f"{laa['reserved_bytes'] / 2**30:.2f} GiB" if laa and laa["reserved_bytes"]
             else "-", "-"]]
    return labels_html(a32, a64) + _table(["asked", "32-bit process", "64-bit process"], rows)


def real_redirects_html(bits: int = 32) -> str:
    """The model's file-system cases opened for real in a ``bits``-bit process, beside the
    model, agree or differ per row; Wine's known differences named with their source."""
    from interopkit.wow64.real import WINE_DIFFERENCES

    got = cached(f"wow64_{bits}")
    process = "x86" if bits == 32 else "x64"
    rows = []
    for opened in got.result["snapshot"]["opens"]:
        model = redirect_path(opened["path"], process).result
        if opened["opened"] and opened["final"]:
            real = opened["final"]
            verdict = "agree" if _same(real, model) else "differ"
        else:
            real, verdict = f"not opened (error {opened['error']})", "cannot tell here *"
            if "\\sysnative\\" in model.lower() and bits == 64:
                verdict = "agree (no Sysnative in a 64-bit process)"
        known = WINE_DIFFERENCES.get(f"{opened['path']} ({process})", "")
        if known:
            verdict = "differ (known)"
        rows.append([opened["path"], model, real, verdict, known])
    return (labels_html(got) + _table(["asked for", "model: reaches", "real process opened", "",
                                  "known Wine difference"], rows)
            + "<p><small>* Wine's prefix has no such folder, so the open fails whether it is "
            "redirected or not (error 2: not found, 3: path not found). The kit's tests make "
            "each missing folder in the native System32 only and open it again: there Wine "
            "agrees with the model except where a known difference is named.</small></p>")


def real_threads_html() -> str:
    """Wow64DisableWow64FsRedirection in one thread of the real 32-bit process: the other
    thread stays redirected."""
    got = cached("wow64_32")
    t = got.result["snapshot"]["threads"]

    def final(o: dict) -> str:
        return o["final"] if o["opened"] else f"not opened (error {o['error']})"

    rows = [["before", final(t["before"])],
            [f"Wow64DisableWow64FsRedirection -> {t['disabled']}", ""],
            ["this thread, while disabled", final(t["this_thread"])],
            ["another thread, meanwhile", final(t["other_thread"])],
            ["after Wow64RevertWow64FsRedirection", final(t["after_revert"])]]
    return labels_html(got) + _table(["step", "System32\\kernel32.dll really opened"], rows)


def real_registry_html() -> str:
    """The registry round trip: a 32-bit process writes, the 64-bit one looks in every view."""
    from interopkit.wow64.real import WINE_DIFFERENCES

    got = cached("registry")
    r = got.result
    names = [("written", "32-bit: RegCreateKeyExW + RegSetValueExA"),
             ("default_view", "64-bit, no flag"), ("wow6432node", "64-bit, no flag"),
             ("view32", "64-bit, KEY_WOW64_32KEY"), ("view64", "64-bit, KEY_WOW64_64KEY"),
             ("both_flags", "64-bit, both flags"), ("shared_written", "32-bit, shared key"),
             ("shared_default", "64-bit, no flag, shared key")]
    rows = [[who, r[k]["key"], r[k]["status"], r[k]["writer"] or "-"] for k, who in names]
    note = WINE_DIFFERENCES["KEY_WOW64_64KEY | KEY_WOW64_32KEY"]
    return (labels_html(got) + _table(["process, flags", "key", "status", "value writer"], rows)
            + f"<p><small>Test keys removed afterwards: {r['removed']}. Known Wine difference:"
            f" {note}</small></p>")


# --- Check your understanding: the guide's misconceptions on WOW64 ----------------------------

_KERNEL32 = "C:\\Windows\\System32\\kernel32.dll"


def _folder(path: str) -> str:
    return canonical_path(path).rsplit("\\", 1)[0].lower()


m1_system32 = choice_quiz(
    "system32",
    "On 64-bit Windows, a 64-bit process loads the 64-bit kernel32.dll. In which folder is that "
    "file on disk?",
    [Choice("`C:\\Windows\\SysWOW64`", "c:\\windows\\syswow64",
            "SysWOW64 is where the redirector sends 32-bit processes."),
     Choice("`C:\\Windows\\Sysnative`", "c:\\windows\\sysnative",
            "Sysnative is no folder on disk: it is an alias that only 32-bit processes see."),
     Choice("`C:\\Windows\\System32`", "c:\\windows\\system32"),
     Choice("`C:\\Windows\\System64`", "c:\\windows\\system64",
            "Windows has no System64 folder.")],
    believed=0, model=lambda: _folder(redirect_path(_KERNEL32, "x64").result),
    right="System32 is the 64-bit folder: a 64-bit process is never redirected. The name stayed "
          "because so much code had hard-coded it (W64-FSR, CHEN-TECHNET).",
    hint="Ask the model where a 64-bit process's System32 path leads: "
         "redirect_path(path, 'x64').",
    solution_code="# redirect_path('C:\\\\Windows\\\\System32\\\\kernel32.dll', 'x64') is not "
                  "redirected:\n# the 64-bit kernel32.dll is in System32 itself.\nanswer = 'c'\n",
    explanation="System32 holds the native, 64-bit files; the 32-bit ones are in SysWOW64, "
                "where the redirector sends 32-bit processes (W64-FSR).",
)

_SYSNATIVE_CMD = "C:\\Windows\\Sysnative\\cmd.exe"

m2_sysnative = choice_quiz(
    "sysnative",
    f"A batch file starts `{_SYSNATIVE_CMD}`, to be sure of the 64-bit cmd. Started by a 32-bit "
    "program, it works. What happens when a 64-bit program starts it?",
    [Choice("It fails: nothing redirects the path for a 64-bit process, and there is no folder "
            "called Sysnative", _SYSNATIVE_CMD.lower()),
     Choice("It starts `C:\\Windows\\System32\\cmd.exe`, the 64-bit one",
            "c:\\windows\\system32\\cmd.exe"),
     Choice("It starts `C:\\Windows\\SysWOW64\\cmd.exe`, the 32-bit one",
            "c:\\windows\\syswow64\\cmd.exe",
            "Only a 32-bit process's System32 paths go to SysWOW64, and this path does not "
            "name System32.")],
    believed=1, model=lambda: canonical_path(redirect_path(_SYSNATIVE_CMD, "x64").result).lower(),
    right="Sysnative is a virtual alias that only 32-bit processes see. A 64-bit process looks "
          "for a real folder of that name, and there is none (W64-FSR). A batch file that any "
          "process may run checks which it is first, or names System32 when it is 64-bit.",
    hint="Try redirect_path(path, 'x64') and read the reason.",
    solution_code="# redirect_path('C:\\\\Windows\\\\Sysnative\\\\cmd.exe', 'x64') is not "
                  "redirected,\n# and a 64-bit process has no Sysnative folder.\nanswer = 'a'\n",
    explanation="The alias exists for 32-bit processes, to reach the real System32 without "
                "turning redirection off (W64-FSR).",
)


def _x64_on_arm() -> tuple[bool, bool, bool, bool]:
    """(runs, natively, through WOW64, System32 redirected) for an x64 app on Windows 11 on Arm,
    from the loader and redirector models."""
    from interopkit.loading.loader import start_outcome

    started = start_outcome("AMD64", "win11-arm64")
    redirected = redirect_path(_KERNEL32, "x64", "win11-arm64").redirected
    return started.runs, started.how == "native", started.how.startswith("WOW64"), redirected


m8_x64_on_arm = choice_quiz(
    "x64_on_arm",
    "On Windows 11 on Arm, how does an x64 app run?",
    [Choice("Under WOW64, like x86 apps: its System32 is redirected to a folder of x64 files",
            (True, False, True, True)),
     Choice("Natively: Arm64 processors execute x64 instructions", (True, True, False, False),
            "An Arm64 processor does not execute x64 instructions: they are emulated "
            "(ARM-EMU)."),
     Choice("Not at all: Windows on Arm runs only x86 and Arm64 apps",
            (False, False, False, False),
            "That was Windows 10 on Arm; Windows 11 on Arm emulates x64 too (ARM-EMU)."),
     Choice("Emulated, without WOW64: nothing is redirected, and the System32 DLLs it loads are "
            "ARM64X files", (True, False, False, False))],
    believed=0, model=_x64_on_arm,
    right="Only x86 apps go through WOW64 on Arm. x64 code is emulated in a process that "
          "follows x64 conventions, and System32's DLLs are ARM64X files that x64 and Arm64 "
          "processes both load, so nothing needs redirecting (ARM-EMU, ARM64X).",
    hint="The models answer it: start_outcome('AMD64', 'win11-arm64') in "
         "interopkit.loading.loader, and redirect_path(path, 'x64', 'win11-arm64').",
    solution_code="# start_outcome('AMD64', 'win11-arm64').how is 'x64 emulation (no WOW64)', "
                  "and\n# redirect_path(path, 'x64', 'win11-arm64') is not redirected.\n"
                  "answer = 'd'\n",
    explanation="On Arm, WOW64 serves x86 (and ARM32) processes only; x64 runs through "
                "emulation with ARM64X system DLLs (ARM-EMU, ARM64X).",
)

m10_iswow64process = choice_quiz(
    "iswow64process",
    "A 32-bit installer must learn whether it runs under WOW64 and whether the machine is x64 or "
    "Arm64, to install the right 64-bit build. Which call answers both?",
    [Choice("`IsWow64Process`: TRUE means a 32-bit process on 64-bit Windows, and that is all "
            "there is to know", "IsWow64Process",
            "IsWow64Process says TRUE for an x86 process on x64 and on Arm64 alike: it cannot "
            "name the native machine."),
     Choice("`sizeof(void*)`: 4 bytes means WOW64", "sizeof",
            "The pointer size tells a process its own bitness only, and a 32-bit process on "
            "32-bit Windows has 4-byte pointers too."),
     Choice("`IsWow64Process2`: it names the native machine, and whether the process runs "
            "under WOW64", "IsWow64Process2")],
    believed=0, model=lambda: "IsWow64Process2",
    right="IsWow64Process2 returns the process's machine (IMAGE_FILE_MACHINE_UNKNOWN when it is "
          "not a WOW64 process) and the native machine, I386 or ARM64 or AMD64 (ISWOW2).",
    hint="Section 6's table shows what each call told the real processes. Which call names the "
         "native machine?",
    solution_code="# IsWow64Process2 returns the process machine and the native machine "
                  "(ISWOW2).\nanswer = 'c'\n",
    explanation="IsWow64Process's one flag is TRUE for an x86 process on x64 and on Arm64 "
                "alike; IsWow64Process2 names the native machine (ISWOW2).",
)
