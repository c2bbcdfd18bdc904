"""Exercises of notebook 03 (cross-bitness loading failures).

Expected answers come from the loader model and from running the checker on the exercise's
app folder when the check runs.

q1 is a prediction: the learner writes it before the matrix shows the answers and locks it in
with ``lock_prediction``; the first complete prediction is kept for the rest of the session, so
that q1 checks what was predicted, not what was read off the matrix afterwards.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from ..appfolders import build_demo_app, build_exercise_app
from ..checker import check_app
from ..loader import load_outcome
from . import NOT_ATTEMPTED, Exercise, Note

__all__ = ["PAIRS", "lock_prediction", "locked_prediction", "q1_predict", "q2_find_dll",
           "q3_start_code", "q4_remedy"]

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
        "from interopkit.exercises.loading import PAIRS\n"
        "from interopkit.loader import load_outcome\n"
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
        "from interopkit.appfolders import build_exercise_app\n"
        "from interopkit.checker import check_app\n"
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
