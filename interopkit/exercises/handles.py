"""Exercises of notebook 06 (HANDLE_PTR and pointer-sized values); answers come from the lint
run on the kit's example interfaces and from the NDR model. Section 2's prediction is locked in
here before the pictures show the answer."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..idl import parse
from ..lint import IDL_DIR, lint, meaning
from ..ndr import TYPES, show, transfer
from . import NOT_ATTEMPTED, Exercise, Note

__all__ = ["PORTED", "PREDICT", "PRINT_QUEUE", "check_prediction", "compare_prediction",
           "lock_prediction",
           "q1_cut_pointers", "q2_invalid_handle", "q3_mend"]

PORTED = IDL_DIR / "scanner_ported.idl"
"""The ported scanner interface with its seeded mistakes (linted in the lesson; q3 mends it)."""

PRINT_QUEUE = IDL_DIR / "printqueue_ported.idl"
"""Another ported interface, which the lesson does not lint: q1 asks the learner to read it."""

PREDICT = {"a": ("INT_PTR", 0x8000_0000, 32, 64), "b": ("DWORD_PTR", 0xFFFF_FFFF, 32, 64),
           "c": ("ULONG64", 0x1_2345_6789, 64, 32)}
"""Section 2's three cases, none of them stated in the lesson's text: (type, value, sender's
bits, receiver's bits), over NDR20."""

_POINTER_RULES = ("pointer-in-32-bits", "pointer-in-int3264")
_LOCKED: dict[str, Any] = {}


def _missing(prediction: Any) -> list[str] | None:
    """The keys still without a number, or None when ``prediction`` is not section 2's dict."""
    if not isinstance(prediction, dict) or set(prediction) != set(PREDICT):
        return None
    return sorted(key for key, value in prediction.items()
                  if value is NOT_ATTEMPTED or not isinstance(value, int)
                  or isinstance(value, bool))


def check_prediction(prediction: Any) -> Note:
    """Say whether section 2's prediction is complete; nothing is locked yet, so a typo can still
    be mended. The cell that shows the pictures locks it (``lock_prediction``)."""
    missing = _missing(prediction)
    if missing is None:
        return Note(f"Give a dict with the keys {sorted(PREDICT)}.")
    if missing:
        return Note(f"{missing} still need a number (hex is fine). Fill them in and run this cell "
                    "again.")
    return Note(f"Ready: {prediction}. Nothing is locked yet: correct it if you like. Running the "
                "pictures below locks it in.")


def lock_prediction(prediction: Any) -> Note:
    """Called by the cell that shows the answers: keep the first complete prediction, made before
    any answer was shown. A prediction given after the pictures were shown is not recorded."""
    missing = _missing(prediction)
    if "prediction" in _LOCKED:
        if prediction == _LOCKED["prediction"]:
            return Note(f"Already locked in: {_LOCKED['prediction']}.")
        return Note(f"Your first prediction stays locked in: {_LOCKED['prediction']}. This one "
                    "is not recorded (restart the kernel to predict again).")
    if _LOCKED.get("shown"):
        return Note("Not recorded: the pictures were already shown without a prediction "
                    "(restart the kernel to predict again).")
    if missing is None or missing:
        _LOCKED["shown"] = True  # the answers show next: a later prediction would not be one
        return Note("No prediction locked in: the cell above still has a ... or no dict. The "
                    "pictures below show the answers now.")
    _LOCKED["prediction"] = dict(prediction)
    return Note(f"Locked in: {_LOCKED['prediction']}. Now the pictures.")


def compare_prediction() -> Note:
    """The locked prediction beside what the NDR model says each receiver holds."""
    locked = _LOCKED.get("prediction")
    if locked is None:
        return Note("No prediction was locked in before the pictures were shown.")
    lines = []
    for key, (name, value, sender, receiver) in PREDICT.items():
        got = transfer(name, value, sender, receiver).received
        assert got is not None
        right = (locked[key] - got) % 2**64 == 0  # -1 and 0xFFFF_FFFF_FFFF_FFFF are one value
        lines.append(f"{key}: {name} {show(value)}, {sender}-bit to {receiver}-bit: you said "
                     f"{show(locked[key])}; the receiver holds {show(got)}: "
                     f"{'right' if right else 'not what you predicted'}.")
    return Note("\n".join(lines))


def _check_cut(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(
            isinstance(name, str) for name in answer):
        return False, "Give a set of parameter or field names, such as {'pBuffer'}."
    text = PRINT_QUEUE.read_text()
    declared = {d.name: d for scope in parse(text) for _, d in scope.members if d.name}
    by_name = {f.parameter: f for f in lint(text)}
    cut = {name for name, f in by_name.items() if f.rule.name in _POINTER_RULES}
    # 'PRINT_PAGE.lpBits' (struct or method, then the name) names the field lpBits.
    chosen = {name.strip().rsplit(".", 1)[-1] for name in answer}
    if chosen == cut:
        return True, (f"{', '.join(sorted(cut))}: each holds an address, in a 32-bit integer "
                      "(cut by the 64-bit caller) or in an __int3264 type (cut to 4 bytes on "
                      "the NDR20 wire).")
    for name in sorted(chosen - cut):
        if name not in declared:
            return False, f"No parameter or field of printqueue_ported.idl is called {name}."
        wire_type = TYPES.get(declared[name].base)
        if meaning(name, declared[name].pointers) == "handle":
            return False, (f"{name} holds a handle, not a pointer: a handle has 32 significant "
                           "bits, so it survives the cut if the receiver sign-extends it (a "
                           "hazard of another kind).")
        if wire_type is not None and wire_type.family == "fixed64":
            return False, (f"{name} is a {declared[name].type}: 8 bytes on every wire, nothing "
                           "is cut.")
        if name in by_name:
            return False, (f"{name} is cut above 4 GiB, but its name says it holds a number (a "
                           "count or a cookie), not an address.")
        return False, f"{name} is not cut: look at its declared type in the file."
    missing = sorted(cut - chosen)
    return False, (f"{len(missing)} more: look for addresses hiding in integer types, in the "
                   "struct too.")


def _check_invalid(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a number (hex is fine: 0x...)."
    expected = transfer("DWORD_PTR", -1, 64, 64).received
    assert expected is not None
    if answer == expected:
        return True, (f"0x{expected:x}: DWORD_PTR is an unsigned __int3264, 4 bytes on the NDR20 "
                      "wire even between two 64-bit processes, so the sender cuts it and the "
                      "receiver zero-extends it. That is not INVALID_HANDLE_VALUE any more, "
                      "which is all 64 bits set.")
    if answer in (-1, 2**64 - 1):
        return False, ("That is what 8 bytes on the wire would give. How many bytes does an "
                       "__int3264 type take on the NDR20 wire, whoever sends it?")
    if answer == 0:
        return False, "The sender keeps the low 32 bits of -1. Are they zero?"
    return False, "Run transfer('DWORD_PTR', -1, 64, 64) and read its steps."


def _members(text: str) -> dict[str, list[str]]:
    """Each method's and struct's parameter or field names, in order."""
    found: dict[str, list[str]] = {}
    for scope in parse(text):
        for method, declaration in scope.members:
            where = f"{scope.name}.{method}" if scope.kind == "interface" else \
                f"struct {scope.name}"
            found.setdefault(where, [])
            if declaration.name:
                found[where].append(declaration.name)
    return found


def _check_mend(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the whole mended IDL as a string."
    try:
        findings = lint(answer, name="your IDL")
        mended = _members(answer)
    except UsageError as exc:
        return False, f"The lint cannot read it: {exc}"
    for where, names in _members(PORTED.read_text()).items():
        if where not in mended:
            return False, f"{where} is gone: mend it, do not delete it."
        for name in names:
            if name not in mended[where]:
                return False, (f"{where} lost {name}: keep every parameter and field under its "
                               "name, and change its type.")
    if findings:
        first = findings[0]
        return False, (f"{len(findings)} finding(s) left; the first: {first.message}. "
                       f"Fix: {first.rule.fix}.")
    return True, ("The lint finds nothing, no address travels as a number, and every method, "
                  "parameter and field is still there.")


q1_cut_pointers = Exercise(
    name="q1_cut_pointers",
    question="Which parameters or fields of printqueue_ported.idl carry a pointer that arrives "
             "cut to 32 bits when a 64-bit client calls the 32-bit driver's surrogate?",
    checker=_check_cut,
    hint_text="Names say what a value holds (p, lp, pv, pfn for pointers; h for handles; cb "
              "and c for counts). Then ask of each type: 32 bits, __int3264, or 64 bits?",
    solution_code=("from interopkit.lint import lint_file\n"
                   "from interopkit.exercises.handles import PRINT_QUEUE\n"
                   "answer = {f.parameter for f in lint_file(PRINT_QUEUE)\n"
                   "          if f.rule.name in ('pointer-in-32-bits', 'pointer-in-int3264')}\n"),
    explanation="The lint's two pointer rules: a pointer in a 32-bit integer, and a pointer in "
                "a pointer-sized (__int3264) type. Handles (hdcSource, hSpool, hPrinter), counts "
                "(cbBits, pcJobs) and the ULONG64 tag are hazards of other kinds, or none.",
)

q2_invalid_handle = Exercise(
    name="q2_invalid_handle",
    question="A 64-bit client passes INVALID_HANDLE_VALUE declared as DWORD_PTR to a 64-bit "
             "server, and both stubs speak NDR20. What does the server's variable hold?",
    checker=_check_invalid,
    hint_text="Two steps: what the sending stub puts on the wire for an __int3264, then how an "
              "unsigned type widens in the receiver.",
    solution_code=("from interopkit.ndr import transfer\n"
                   "answer = transfer('DWORD_PTR', -1, 64, 64).received\n"),
    explanation="DWORD_PTR is an unsigned __int3264: 4 bytes on the NDR20 wire whoever sends "
                "it, truncated by the sender and zero-extended by the receiver.",
)

_MEND = '''\
from interopkit.exercises.handles import PORTED
text = PORTED.read_text()
for old, new in [
    # server state: an object instead of the DLL's DWORD handle (W64-HIDE)
    ("typedef DWORD HSCAN;",
     "[object, uuid(4B1E2C3D-5A6F-4E70-8192-A3B4C5D6E7FA), pointer_default(unique)]\\n"
     "interface IScanProgress : IUnknown { HRESULT Progress([in] ULONG percent); }\\n"
     "[object, uuid(4B1E2C3D-5A6F-4E70-8192-A3B4C5D6E7FB), pointer_default(unique)]\\n"
     "interface IScanJob : IUnknown { HRESULT GetPageCount([out] ULONG *pcPages); }\\n"
     "typedef IScanJob *HSCAN;"),
    # a callback: an interface pointer the server calls back
    ("ULONG_PTR pfnProgress;", "IScanProgress *pfnProgress;"),
    # the buffer's bytes, not its address
    ("[in] DWORD pBuffer", "[in, size_is(cbBuffer)] const BYTE *pBuffer"),
    # the caller's context: an object of the caller's, which the server can hand back
    ("[in] LONG_PTR lpUserData", "[in, unique] IUnknown *lpUserData"),
    # a size that can pass 4 GiB: a number, so ULONG64 is right
    ("[out] SIZE_T *pcbImage", "[out] ULONG64 *pcbImage"),
    # a kernel handle: COM duplicates it into the server (system_handle)
    ("[in] UINT_PTR hEvent", "[in, system_handle(sh_event)] HANDLE hEvent"),
    # a window: HWND travels as a 32-bit remotable handle
    ("[in] HANDLE_PTR hOwner", "[in] HWND hOwner"),
    # Automation: no __int3264 at all
    ("[out, retval] INT_PTR *pId", "[out, retval] long *pId"),
]:
    text = text.replace(old, new)
answer = text
'''

q3_mend = Exercise(
    name="q3_mend",
    question="Mend scanner_ported.idl so that the lint finds nothing, keeping every method, "
             "parameter and field under its name (change types and attributes; you may add "
             "interfaces and typedefs). scanner_fixed.idl renames parameters, so it is not an "
             "answer.",
    checker=_check_mend,
    hint_text="Each finding names a fix. An interface pointer replaces a handle to server "
              "state or a callback, data travels as data (size_is), a number that needs 64 "
              "bits is a ULONG64 (an address is not a number), and a window handle has its "
              "own type.",
    solution_code=_MEND,
    explanation="Types changed, names kept: objects (IScanJob, IScanProgress, IUnknown) for "
                "server state, the callback and the caller's context; the buffer's bytes; "
                "ULONG64 for the image size only; the event handle duplicated by COM "
                "([system_handle], MIDL-SYSHANDLE); HWND for the owner; long in the Automation "
                "interface. scanner_fixed.idl goes further and also renames.",
)
