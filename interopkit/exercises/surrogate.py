"""Exercises of notebook 05 (COM surrogate hosting); answers come from the activation model and
from calls through a real surrogate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..comobject import SAMPLE_CLSID
from ..comreg import CLSCTX, ComClass, activate
from ..samples import sample_path
from ..surrogate import Surrogate
from ..wire import ArgType, Argument
from . import Exercise

__all__ = ["BOTH_VIEWS", "CANDIDATES", "FORGOTTEN", "q1_force_32", "q2_missing_value", "q3_echo_32",
           "q4_frame_bytes"]

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
    solution_code=("from interopkit.comreg import CLSCTX\n"
                   "answer = CLSCTX.LOCAL_SERVER | CLSCTX.ACTIVATE_32_BIT_SERVER\n"),
    explanation="LOCAL_SERVER allows another process; ACTIVATE_32_BIT_SERVER picks its bitness.",
)

q2_missing_value = Exercise(
    name="q2_missing_value",
    question="FORGOTTEN cannot be activated in a surrogate. Which registry value is missing?",
    checker=_check_missing,
    hint_text="Run activate([FORGOTTEN], ...) and read the reason, or compare "
              "registry_values(FORGOTTEN) with the tree above.",
    solution_code=("from interopkit.comreg import CLSCTX, activate\n"
                   "from interopkit.exercises.surrogate import FORGOTTEN, CANDIDATES\n"
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
    solution_code=("from interopkit.samples import sample_path\n"
                   "from interopkit.surrogate import Surrogate\n"
                   "with Surrogate(sample_path('windows', 'x86')) as hosted:\n"
                   "    answer = hosted.call('echo_ptr', 0x1_0000_0001).result\n"),
    explanation="The value travels in 8 bytes; the 32-bit surrogate can only keep 4.",
)

q4_frame_bytes = Exercise(
    name="q4_frame_bytes",
    question="How many bytes does the client send for add(2, 3), both arguments LONG?",
    checker=_check_frame,
    hint_text="Set surrogate.trace = [] before the call and measure the frame it records.",
    solution_code=("from interopkit.samples import sample_path\n"
                   "from interopkit.surrogate import Surrogate\n"
                   "from interopkit.wire import ArgType, Argument\n"
                   "with Surrogate(sample_path('windows', 'x86')) as hosted:\n"
                   "    hosted.trace = []\n"
                   "    two, three = Argument(ArgType.INT32, 2), Argument(ArgType.INT32, 3)\n"
                   "    hosted.call('add', two, three)\n"
                   "    answer = len(hosted.trace[0][1])\n"),
    explanation="Header 16 + name 8 + types 4 + two arguments of 8.",
)
