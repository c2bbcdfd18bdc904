"""Exercises of notebook 02 (WOW64 from the inside); answers come from the redirection models."""

from __future__ import annotations

from typing import Any

from ..errors import InteropKitError
from ..redirect import canonical_key, canonical_path, environment, redirect_key, redirect_path
from . import Exercise

__all__ = ["q1_installer_file", "q2_installer_key", "q3_program_files", "q4_sysnative"]

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
    solution_code=("from interopkit.redirect import redirect_path\n"
                   f"answer = redirect_path({_LOG!r}, 'x86').result\n"),
    explanation="The file-system redirector sends a 32-bit process's System32 to SysWOW64, "
                "except a few shared folders, LogFiles among them (W64-FSR).",
)

q2_installer_key = Exercise(
    name="q2_installer_key",
    question=f"The same installer writes {_KEY}. Under which key does 64-bit regedit show it?",
    checker=_check_key,
    hint_text="HKLM\\SOFTWARE is a redirected key for 32-bit processes.",
    solution_code=("from interopkit.redirect import redirect_key\n"
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
    solution_code=("from interopkit.redirect import environment\n"
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
