"""Notebook 03 (cross bitness loading): its tables, diagrams, explorers and checked exercises.

Exercises of notebook 03 (cross-bitness loading failures).

Expected answers come from the loader model and from running the checker on the exercise's
app folder when the check runs.

q1 is a prediction: the learner writes it before the matrix shows the answers and locks it in
with ``lock_prediction``; the first complete prediction is kept for the rest of the session, so
that q1 checks what was predicted, not what was read off the matrix afterwards."""

from __future__ import annotations

import html
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interopkit.lessons.exercise import NOT_ATTEMPTED, Exercise, Note
from interopkit.lessons.misconceptions import Choice, choice_quiz
from interopkit.loading.appfolders import build_demo_app, build_exercise_app
from interopkit.loading.checker import check_app
from interopkit.loading.loader import load_outcome

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from interopkit.lessons.html import _table, sources_html
from interopkit.lessons.recorded import cached, labels_html

__all__ = [
    "PAIRS",
    "check_report_html",
    "comparison_table_html",
    "draw_load_matrix",
    "error_codes_html",
    "load_explorer",
    "load_matrix_explorer",
    "lock_prediction",
    "locked_prediction",
    "m9_x64_plugin",
    "m11_error_codes",
    "m12_load_as_data",
    "m17_arm32_removal",
    "outcome_html",
    "q1_predict",
    "q2_find_dll",
    "q3_start_code",
    "q4_remedy",
    "real_loader_cases_html",
    "real_loads_html",
    "start_table_html",
]


PAIRS = {
    1: ("x64", "ARM64EC", "win11-arm64"),
    2: ("x86", "I386", "win11-arm64"),
    3: ("arm64", "AMD64", "win11-arm64"),
    4: ("x64", "ARM64X", "win11-arm64"),
    5: ("arm32", "ARMNT", "win11-arm64-no-arm32"),
    6: ("x64", "ARM64", "win11-arm64"),
}
"""Numbered (process, image, Windows[, load mode]) cases for q1: none of them is answered in
the notebook before the prediction (sections 1 to 3 teach x86 against x64 only)."""


_LOCKED: dict[str, Any] = {}


def lock_prediction(prediction: Any) -> Note:
    """Keep the first complete prediction for q1; later ones are shown, not recorded."""
    if not isinstance(prediction, dict) or set(prediction) != set(PAIRS):
        return Note(f"Not locked: give a dict with keys {sorted(PAIRS)}.")
    missing = sorted(n for n, v in prediction.items()
                     if v is NOT_ATTEMPTED or v is None or not isinstance(v, bool))
    if missing:
        return Note(f"Not locked yet: cases {missing} still need True or False. Fill them in "
                    "and run this cell again.")
    if "prediction" not in _LOCKED:
        _LOCKED["prediction"] = dict(prediction)
        _LOCKED["at"] = time.strftime("%H:%M:%S")
        return Note(f"Locked in at {_LOCKED['at']}: {_LOCKED['prediction']}. The matrix below "
                    "shows the answers; q1 in the exercises checks this prediction.")
    if prediction == _LOCKED["prediction"]:
        return Note(f"Already locked in at {_LOCKED['at']}: {_LOCKED['prediction']}.")
    return Note(f"Your prediction was locked in at {_LOCKED['at']} and stays as it was: "
                f"{_LOCKED['prediction']}. This one is not recorded (restart the kernel to "
                "predict again).")


def locked_prediction() -> dict[int, bool] | None:
    """The prediction ``lock_prediction`` kept (None before one was locked in)."""
    locked = _LOCKED.get("prediction")
    return dict(locked) if locked is not None else None


def _check_predict(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, dict) or set(answer) != set(PAIRS):
        return False, f"Give a dict with keys {sorted(PAIRS)} and True/False values."
    wrong = []
    for number, case in PAIRS.items():
        outcome = load_outcome(*case)
        if bool(answer[number]) != outcome.loads:
            wrong.append(f"case {number}: {outcome.explanation}")
    if not wrong:
        return True, "All six right: bitness, architecture and the Windows decide, case by case."
    return False, f"{len(wrong)} wrong. " + " | ".join(wrong[:2])


def _exercise_folder() -> tuple[set[str], set[str]]:
    """The exercise folder's file names and the DLLs in it that do not load (lower case)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = build_exercise_app(Path(tmp))
        report = check_app(app, host="win11-x64")
        names = {p.name.lower() for p in app.parent.iterdir()}
        return names, {d.name.lower() for d in report.dlls if not d.loads}


def _demo_files() -> set[str]:
    """The file names of section 8's demo app, plug-ins included (lower case)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = build_demo_app(Path(tmp))
        return {p.name.lower() for p in app.parent.rglob("*") if p.is_file()}


def _check_find(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the DLL's file name as a string, such as 'name.dll'."
    # A learner may paste the full path check_app printed: the file name is what counts.
    name = Path(answer.strip().replace("\\", "/")).name.lower()
    names, culprits = _exercise_folder()
    if name in culprits:
        return True, (f"{Path(answer.strip()).name}: the x86 build in an x64 app, so it cannot "
                      "load into the app's process.")
    if name == "kernel32.dll":
        return False, "KERNEL32.dll is a Windows system DLL; Windows supplies the right one."
    if name.endswith(".exe"):
        return False, "The EXE is the app itself; which of the DLLs beside it is wrong?"
    if name not in names:
        where = ("It belongs to section 8's demo app (app), not to this exercise. "
                 if name in _demo_files() else "")
        return False, (f"There is no {name} in the exercise's folder. {where}Check "
                       "exercise_app, the app whose files are listed above the question: "
                       "check_app(exercise_app).")
    return False, (f"{answer.strip()} loads into the app's x64 process. Run "
                   "check_app(exercise_app) and look for the row that does not load.")


def _check_start_code(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int):
        return False, "Give the code as an int, such as 0xC0000005."
    if answer in (0xC000007B, 0xC000007B - 2**32):
        # cmd's %ERRORLEVEL% and PowerShell's $LASTEXITCODE show the NTSTATUS as a signed
        # 32-bit number: -1073741701 is 0xC000007B.
        signed = (" (-1073741701 is how cmd and PowerShell print it: the same 32 bits read as "
                  "a signed number)" if answer < 0 else "")
        return True, ("0xC000007B, STATUS_INVALID_IMAGE_FORMAT" + signed + ": the loader meets "
                      "the bad image while starting the process, before any code of the app runs "
                      "(DSVC-7B).")
    if answer == 193:
        return False, ("193 is what LoadLibrary returns to a running program. A static import is "
                       "loaded before the program runs, and the process fails to start.")
    if answer == 126:
        return False, ("126 means a DLL was not found: the one named, or a DLL it depends on. "
                       "This one is found, but of the wrong kind.")
    return False, "Look at the error column of the checker's report for that DLL."


def _check_remedy(answer: Any) -> tuple[bool, str]:
    # "(b)", "b)" and "b." are the letter as the question printed it.
    choice = str(answer).strip().strip("().").strip().lower()
    if choice == "b":
        return True, ("A 32-bit surrogate process can load the x86 DLL; the 64-bit app calls it "
                      "across processes (notebook 05). Rebuilding the DLL as x64 also works, if "
                      "you have its source.")
    reasons = {
        "a": "System32 holds 64-bit DLLs on 64-bit Windows; the DLL stays x86 wherever it is.",
        "c": "The loader reads the Machine field, not the name.",
        "d": "Large-address-aware changes a 32-bit process's address space, not what it loads.",
    }
    if choice in reasons:
        return False, reasons[choice]
    return False, "Answer with one letter: 'a', 'b', 'c' or 'd'."


q1_predict = Exercise(
    name="q1_predict",
    question="For each numbered case in PAIRS, does the load succeed? Give {number: True/False}.",
    checker=_check_predict,
    hint_text="Predict before you look: which kinds of process load which images?",
    solution_code=(
        "from interopkit.lessons.cross_bitness_loading import PAIRS\n"
        "from interopkit.loading.loader import load_outcome\n"
        "answer = {n: load_outcome(*case).loads for n, case in PAIRS.items()}\n"),
    explanation="Each case is one cell of the matrix chart.",
    not_attempted_text=("Nothing is locked in yet: run the prediction cell of section 4 with "
                        "True or False in every case, then run this cell again; or replace "
                        "locked_prediction() here with your answer, as {1: True, 2: False, ...}."),
)


q2_find_dll = Exercise(
    name="q2_find_dll",
    question="Which DLL in the exercise app folder cannot load into the app's process?",
    checker=_check_find,
    hint_text="Its DLLs sit beside the EXE (it has no plugins folder, so no dirs are needed): "
              "check_app(exercise_app) lists every DLL of the exercise's folder with a loads "
              "column, as in section 8.",
    solution_code=(
        "import tempfile\n"
        "from interopkit.loading.appfolders import build_exercise_app\n"
        "from interopkit.loading.checker import check_app\n"
        "with tempfile.TemporaryDirectory() as tmp:\n"
        "    report = check_app(build_exercise_app(tmp), host='win11-x64')\n"
        "answer = next(d.name for d in report.dlls if not d.loads)\n"),
    explanation="The checker compares every DLL's machine with the app's process kind.",
)


q3_start_code = Exercise(
    name="q3_start_code",
    question="Started on Windows, the exercise app fails at once. With which code?",
    checker=_check_start_code,
    hint_text="The DLL is a static import: it is loaded while the process starts.",
    solution_code="answer = 0xC000007B\n",
    explanation="A wrong-bitness static import is reported at process start as 0xC000007B.",
)


q4_remedy = Exercise(
    name="q4_remedy",
    question="Without the DLL's source, how can the x64 app use it? (a) copy it into System32, "
             "(b) host it in a 32-bit surrogate process, (c) rename it, (d) mark the app "
             "large-address-aware.",
    checker=_check_remedy,
    hint_text="Only one of these changes which process the DLL's code runs in.",
    solution_code="answer = 'b'\n",
    explanation="Code of one bitness runs only in a process of that bitness; a surrogate "
                "provides one.",
)


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
    from interopkit.loading.loader import start_outcome

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


def draw_load_matrix(host: str = "win11-arm64", ax: Axes | None = None,
                     mode: str = "execute") -> Axes:
    """One Windows: the process kinds that exist there (rows) against image kinds (columns).

    Green loads, red fails (193, or BIF for .NET's BadImageFormatException). Hatched cells are
    not documented (derived, reported or unverified). Drawn large enough to read on a projector;
    ``interopkit.lessons.cross_bitness_loading.load_matrix_explorer`` switches between the Windows.
    Data from ``interopkit.loading.loader.matrix``; taught in notebook 03.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from interopkit.loading.loader import Certainty, Host, ImageKind, ProcessKind, matrix

    chosen = Host(host)
    rows = [(process, outcomes) for process, outcomes in zip(ProcessKind, matrix(chosen, mode))
            if outcomes[0].possible]
    absent = [p.value for p in ProcessKind if p not in {process for process, _ in rows}]
    if ax is None:
        _figure, ax = plt.subplots(figsize=(13, 1.0 * len(rows) + 2.6))
    colours = {"yes": "#7cc47c", "fail": "#e06c5c"}
    for row, (_process, outcomes) in enumerate(rows):
        for column, outcome in enumerate(outcomes):
            state = "yes" if outcome.loads else "fail"
            hatch = "" if outcome.certainty is Certainty.DOCUMENTED else "///"
            ax.add_patch(Rectangle((column, row), 1, 1, facecolor=colours[state],
                                   edgecolor="white", hatch=hatch, linewidth=2))
            text = "yes" if outcome.loads else (
                "BIF" if outcome.error is not None and outcome.error.value == 0x8007000B
                else str(outcome.error.value if outcome.error else ""))
            ax.text(column + 0.5, row + 0.5, text, ha="center", va="center", fontsize=13,
                    fontweight="bold", bbox={"facecolor": "white", "edgecolor": "none",
                                             "alpha": 0.75, "pad": 1.5})
    ax.set_xlim(0, len(ImageKind))
    ax.set_ylim(len(rows), 0)
    ax.set_xticks([i + 0.5 for i in range(len(ImageKind))], [k.value for k in ImageKind],
                  rotation=35, ha="right", fontsize=12)
    ax.set_yticks([i + 0.5 for i in range(len(rows))],
                  [f"{process.value} process" for process, _ in rows], fontsize=13)
    title = f"{chosen.label}: LoadLibrary ({mode})"
    if absent:
        title += f"\nno {', '.join(absent)} processes on this Windows"
    ax.set_title(title, fontsize=14)
    ax.tick_params(length=0)
    ax.figure.legend(handles=[
        Patch(facecolor=colours["yes"], label="loads"),
        Patch(facecolor=colours["fail"], label="fails: 193 (216 possible); BIF: .NET "
              "BadImageFormatException"),
        Patch(facecolor="white", edgecolor="black", hatch="///",
              label="not documented: derived, reported or unverified"),
    ], loc="lower center", ncol=3, fontsize=11, frameon=False)
    ax.figure.tight_layout(rect=(0, 0.07, 1, 1))
    return ax


def load_explorer() -> Any:
    """Pick a process kind, an image kind, a Windows and a load mode; see the model's answer."""
    import ipywidgets as widgets

    from interopkit.loading.kinds import Host, ProcessKind
    from interopkit.loading.loader import LOAD_MODES, ImageKind, load_outcome

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


def load_matrix_explorer(host: str = "win11-arm64") -> Any:
    """Notebook 03's load matrix, one Windows at a time: buttons pick the Windows."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    from interopkit.lessons.cross_bitness_loading import draw_load_matrix
    from interopkit.loading.kinds import Host

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


# --- the real loader (Wine on Linux, labelled; recorded where Wine is absent) ---------------

def real_loads_html() -> str:
    """Every sample DLL loaded for real in a 32-bit and a 64-bit process (LoadLibraryW, and
    LoadLibraryExW as a data file or an image resource), beside the loader model's verdict."""
    from interopkit.loading.loader import ImageKind
    from interopkit.loading.winload import SAMPLES, WINE_DIFFERENCES

    rows, answers = [], []
    for bits, process in ((32, "x86"), (64, "x64")):
        got = cached(f"loader_{bits}")
        answers.append(got)
        for attempt in got.result["loads"]:
            kind: ImageKind = SAMPLES[attempt["path"]]
            model = load_outcome(process, kind, "win11-x64", attempt["mode"])
            codes = {int(c) for c in (model.error, *model.alternatives) if c is not None}
            said = "loads" if model.loads else f"fails: {sorted(codes)}"
            real = "loaded" if attempt["loaded"] else f"error {attempt['code']}"
            agree = attempt["loaded"] if model.loads else (
                not attempt["loaded"] and attempt["code"] in codes)
            known = WINE_DIFFERENCES.get(f"{attempt['path']} {attempt['mode']} ({process})", "")
            rows.append([f"{bits}-bit", attempt["path"], attempt["mode"], said, real,
                         "agree" if agree else "differ", known])
    return labels_html(*answers) + _table(["process", "DLL", "how", "model", "real process",
                                       "", "known Wine difference"], rows)


def real_loader_cases_html() -> str:
    """The missing dependency (126) and the search-order experiment, in both bitnesses."""
    rows, answers = [], []
    for bits in (32, 64):
        got = cached(f"loader_{bits}")
        answers.append(got)
        dep, order = got.result["missing_dependency"], got.result["search_order"]
        rows.append([f"{bits}-bit", "DLL whose import is missing",
                     "loaded" if dep["loaded"] else f"error {dep['code']}"])
        rows.append([f"{bits}-bit", ("wrong-bitness twin earlier on the search path "
                                     "(Wine's answer: no source settles it for Windows)"),
                     f"took {order['module']}" if order["loaded"]
                     else f"error {order['code']}"])
    return labels_html(*answers) + _table(["process", "case", "real process"], rows)


# --- Check your understanding: the guide's misconceptions on loading -------------------------

def _x64_plugin_hosts() -> frozenset[str]:
    """The process kinds that load an x64 DLL on Windows 11 on Arm (the loader matrix)."""
    from interopkit.loading.kinds import ProcessKind

    return frozenset(p.value for p in ProcessKind
                     if load_outcome(p, "AMD64", "win11-arm64").loads)


m9_x64_plugin = choice_quiz(
    "x64_plugin",
    "Your x64 plug-in DLL (Machine 0x8664, no hybrid code) must load into host programs on "
    "Windows 11 on Arm. Which processes can load it?",
    [Choice("x64 and ARM64EC processes only", frozenset({"x64", "arm64ec"})),
     Choice("Any 64-bit process, Arm64 ones included", frozenset({"x64", "arm64", "arm64ec"})),
     Choice("Arm64 processes only: Windows translates the DLL when it loads it",
            frozenset({"arm64"}),
            "A classic Arm64 process cannot host x64 code at all: emulated x64 code needs a "
            "process that follows x64 conventions."),
     Choice("None: x64 code does not run on Arm", frozenset(),
            "Windows 11 on Arm emulates x64 code (ARM-EMU).")],
    believed=1, model=_x64_plugin_hosts,
    right="Only a process that follows x64 conventions hosts x64 code: an x64 process "
          "(emulated) or an ARM64EC one. For Arm64 hosts, ship the plug-in as ARM64X "
          "(ARM64EC, ARM64X).",
    hint="The matrix of section 4 answers it row by row, or ask "
         "load_outcome(process, 'AMD64', 'win11-arm64') for each process kind.",
    solution_code="# [p.value for p in ProcessKind if load_outcome(p, 'AMD64', "
                  "'win11-arm64').loads]\n# gives x64 and arm64ec.\nanswer = 'a'\n",
    explanation="An Arm64 process runs classic Arm64 code only; x64 code needs an x64 or "
                "ARM64EC process (ARM64EC).",
)


def _bitness_codes() -> frozenset[int]:
    """The codes the models give for an x86 DLL meeting an x64 app: LoadLibrary's, and the
    checker's for a static import that stops the process at start."""
    outcome = load_outcome("x64", "I386", "win11-x64")
    codes = {int(code) for code in (outcome.error, *outcome.alternatives) if code is not None}
    with tempfile.TemporaryDirectory() as tmp:
        report = check_app(build_demo_app(Path(tmp)), host="win11-x64")
    return frozenset(codes | {int(d.error) for d in report.dlls if d.error is not None})


m11_error_codes = choice_quiz(
    "error_codes",
    "A 64-bit app meets an x86 DLL. Which error codes may Windows report for that mistake?",
    [Choice("Only 193, `ERROR_BAD_EXE_FORMAT`: that is the bitness error", frozenset({193})),
     Choice("Only 0xC000007B", frozenset({0xC000007B}),
            "0xC000007B appears at process start, for a static import; a DLL loaded later "
            "with LoadLibrary gives 193."),
     Choice("193 (or 216) when `LoadLibrary` refuses the DLL, and 0xC000007B when the process "
            "cannot start because it imports the DLL", frozenset({193, 216, 0xC000007B})),
     Choice("126, `ERROR_MOD_NOT_FOUND`", frozenset({126}),
            "126 means a DLL, or one it depends on, was not found: a missing file, not a wrong "
            "bitness.")],
    believed=0, model=_bitness_codes,
    right="193 from LoadLibrary (216 is possible too: which of the two appears when is not "
          "documented), and 0xC000007B when the DLL is a static import and the process cannot "
          "start. Do not promise one code (ERR0-499, DSVC-7B).",
    hint="Compare section 3's list of codes with what the checker reported for the demo app's "
         "static import in section 8.",
    solution_code="# load_outcome('x64', 'I386', 'win11-x64') gives 193, or 216 instead; "
                  "check_app on the\n# demo app gives 0xC000007B for its static import.\n"
                  "answer = 'c'\n",
    explanation="The code depends on how the DLL was loaded: by LoadLibrary (193 or 216) or "
                "as a static import while the process starts (0xC000007B).",
)


def _load_modes() -> tuple[bool, ...]:
    """Whether an x64 process loads an x86 DLL, per load mode (execute, datafile,
    image_resource)."""
    from interopkit.loading.loader import LOAD_MODES

    return tuple(load_outcome("x64", "I386", "win11-x64", mode).loads for mode in LOAD_MODES)


m12_load_as_data = choice_quiz(
    "load_as_data",
    "A 64-bit tool wants to read the version information and icons of a 32-bit DLL. Which ways "
    "of loading the DLL work?",
    [Choice("None: a 64-bit process cannot open a 32-bit DLL at all", (False, False, False)),
     Choice("`LoadLibraryEx` with `LOAD_LIBRARY_AS_DATAFILE` or "
            "`LOAD_LIBRARY_AS_IMAGE_RESOURCE`; only loading it to run its code is refused",
            (False, True, True)),
     Choice("Any way, `LoadLibrary` included: the bitness rule is for EXEs", (True, True, True),
            "LoadLibrary maps the DLL to run its code, and that fails with 193 (section 1)."),
     Choice("`LOAD_LIBRARY_AS_DATAFILE` only: as an image resource it is refused",
            (False, True, False),
            "LOAD_LIBRARY_AS_IMAGE_RESOURCE works across bitness too: no code of the DLL runs.")],
    believed=0, model=_load_modes,
    right="As data or as an image resource no code of the DLL runs, so the bitness rule does "
          "not apply; only loading it for execution is refused (W64-RUN).",
    hint="load_outcome takes a load mode: 'execute', 'datafile' or 'image_resource'.",
    solution_code="# [load_outcome('x64', 'I386', 'win11-x64', m).loads for m in LOAD_MODES]\n"
                  "# is False for 'execute' only.\nanswer = 'b'\n",
    explanation="Microsoft's rule is about execution: a process cannot run code of the other "
                "bitness, but it can map such a DLL as data (W64-RUN).",
)

m17_arm32_removal = choice_quiz(
    "arm32_removal",
    "By Microsoft's word, which release of Windows 11 ends support for 32-bit Arm (ARM32) apps?",
    [Choice("Windows 11 24H2", "24H2",
            "24H2 is often repeated, but no source the kit has names it."),
     Choice("Insider build 25905", "25905",
            "Build 25905 comes from press reports (PRESS-ARM32), not from Microsoft, and an "
            "Insider build is a preview, not a release."),
     Choice('None is named: Microsoft says "a future release of Windows 11", on Arm processors '
            "that drop AArch32", None)],
    believed=0, model=lambda: None,
    right='Microsoft names no release: ARM32 support goes "in a future release of Windows 11", '
          "as Arm processors drop AArch32 (ARM32-DOC). The press reported 32-bit Arm apps gone "
          "from Insider build 25905 (PRESS-ARM32). No source names 24H2.",
    hint="Section 4's note on the Windows without 32-bit Arm, and its sources, answer it.",
    solution_code="# ARM32-DOC says only \"a future release of Windows 11\".\nanswer = 'c'\n",
    explanation="Teach what the sources say: a future release, announced by Microsoft; a build "
                "number from the press; 24H2 from neither.",
)
