"""Exercises of notebook 03 (cross-bitness loading failures).

Expected answers come from the loader model and from running the checker on the exercise's
app folder when the check runs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..appfolders import build_exercise_app
from ..checker import check_app
from ..loader import load_outcome
from . import Exercise

__all__ = ["PAIRS", "q1_predict", "q2_find_dll", "q3_start_code", "q4_remedy"]

PAIRS = {
    1: ("x64", "I386", "win11-x64"),
    2: ("x86", "I386", "win11-arm64"),
    3: ("arm64", "AMD64", "win11-arm64"),
    4: ("x64", "ARM64X", "win11-arm64"),
    5: ("x64", "NET-prefer-32", "win11-x64"),
    6: ("x64", "I386", "win11-x64", "datafile"),
}
"""Numbered (process, image, Windows[, load mode]) cases for q1."""


def _check_predict(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, dict) or set(answer) != set(PAIRS):
        return False, f"Give a dict with keys {sorted(PAIRS)} and True/False values."
    wrong = []
    for number, case in PAIRS.items():
        outcome = load_outcome(*case)
        if bool(answer[number]) != outcome.loads:
            wrong.append(f"case {number}: {outcome.explanation}")
    if not wrong:
        return True, "All six right: bitness, architecture and load mode decide, case by case."
    return False, f"{len(wrong)} wrong. " + " | ".join(wrong[:2])


def _culprit() -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = check_app(build_exercise_app(Path(tmp)), host="win11-x64")
        return {d.name.lower() for d in report.dlls if not d.loads}


def _check_find(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the DLL's file name as a string, such as 'name.dll'."
    name = answer.strip().lower()
    if name in _culprit():
        return True, (f"{answer.strip()} is the x86 build in an x64 app: check_app reports it "
                      "with 0xC000007B, because it is a static import.")
    if name == "kernel32.dll":
        return False, "KERNEL32.dll is a Windows system DLL; Windows supplies the right one."
    if name.endswith(".exe"):
        return False, "The EXE is the app itself; which of the DLLs beside it is wrong?"
    return False, (f"{answer} loads into the app's x64 process. Run check_app on the folder and "
                   "look for the row that does not load.")


def _check_start_code(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int):
        return False, "Give the code as an int, such as 0xC0000005."
    if answer == 0xC000007B:
        return True, ("STATUS_INVALID_IMAGE_FORMAT: the loader meets the bad image while starting "
                      "the process, before any code of the app runs (DSVC-7B).")
    if answer == 193:
        return False, ("193 is what LoadLibrary returns to a running program. A static import is "
                       "loaded before the program runs, and the process fails to start.")
    if answer == 126:
        return False, "126 means the DLL was not found; this one is found, but of the wrong kind."
    return False, "Look at the error column of the checker's report for that DLL."


def _check_remedy(answer: Any) -> tuple[bool, str]:
    choice = str(answer).strip().lower()
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
    hint_text="Use the explorer above; remember that a data-file load ignores bitness.",
    solution_code=(
        "from interopkit.exercises.loading import PAIRS\n"
        "from interopkit.loader import load_outcome\n"
        "answer = {n: load_outcome(*case).loads for n, case in PAIRS.items()}\n"),
    explanation="Each case is one cell of the matrix chart (or the data-file variant of one).",
)

q2_find_dll = Exercise(
    name="q2_find_dll",
    question="Which DLL in the exercise app folder cannot load into the app's process?",
    checker=_check_find,
    hint_text="check_app(app) lists every DLL with a loads column.",
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
