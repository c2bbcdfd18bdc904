"""Exercises of notebook 06 (HANDLE_PTR and pointer-sized values); answers come from the lint
run on the kit's example interface and from the NDR model."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..idl import parse
from ..lint import IDL_DIR, lint
from ..ndr import transfer
from . import Exercise

__all__ = ["PORTED", "q1_cut_pointers", "q2_invalid_handle", "q3_mend"]

PORTED = IDL_DIR / "scanner_ported.idl"
"""The ported scanner interface with its seeded mistakes."""

_POINTER_RULES = ("pointer-in-32-bits", "pointer-in-int3264")


def _check_cut(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(
            isinstance(name, str) for name in answer):
        return False, "Give a set of parameter or field names, such as {'pBuffer'}."
    text = PORTED.read_text()
    names = {d.name for scope in parse(text) for _, d in scope.members}
    findings = lint(text)
    by_name = {f.parameter: f for f in findings}
    cut = {f.parameter for f in findings if f.rule.name in _POINTER_RULES}
    chosen = set(answer)
    if chosen == cut:
        return True, (f"{', '.join(sorted(cut))}: each holds an address, in a DWORD (cut by the "
                      "64-bit caller) or an __int3264 type (cut to 4 bytes on the NDR20 wire).")
    for name in sorted(chosen - cut):
        finding = by_name.get(name)
        if name not in names:
            return False, f"No parameter or field of the file is called {name}."
        if finding is None:
            return False, f"{name} is not cut: look at its declared type in the file."
        if "handle" in finding.rule.name:
            return False, (f"{name} is a handle, not a pointer: {finding.rule.risk}.")
        return False, f"{name}: {finding.rule.risk}. Is it a pointer?"
    missing = sorted(cut - chosen)
    return False, (f"{len(missing)} more: look for addresses hiding in integer types, in the "
                   "struct too.")


def _check_invalid(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, int) or isinstance(answer, bool):
        return False, "Give a number (hex is fine: 0x...)."
    expected = transfer("UINT_PTR", -1, 32, 64).received
    signed = transfer("LONG_PTR", -1, 32, 64).received
    if answer == expected:
        return True, (f"0x{expected:x}: UINT_PTR is unsigned, so the 64-bit receiver zero-"
                      "extends. That is not INVALID_HANDLE_VALUE any more, which is all 64 "
                      "bits set. A signed LONG_PTR (or Handle32ToHandle) would give -1.")
    if answer in (signed, signed & (2**64 - 1)):
        return False, "That is what a signed type gives. Is UINT_PTR signed?"
    return False, "Run transfer('UINT_PTR', -1, 32, 64) and read its steps."


def _method_params(text: str) -> dict[str, int]:
    return {f"{scope.name}.{method}": sum(1 for m, d in scope.members if m == method and d.name)
            for scope in parse(text) if scope.kind == "interface"
            for method, _ in scope.members}


def _check_mend(answer: Any) -> tuple[bool, str]:
    if not isinstance(answer, str):
        return False, "Give the whole mended IDL as a string."
    try:
        findings = lint(answer, name="your IDL")
        mended = _method_params(answer)
    except UsageError as exc:
        return False, f"The lint cannot read it: {exc}"
    for method, count in _method_params(PORTED.read_text()).items():
        if method not in mended:
            return False, f"{method} is gone: mend it, do not delete it."
        if mended[method] < count:
            return False, f"{method} lost a parameter: change its type, do not drop it."
    if findings:
        first = findings[0]
        return False, (f"{len(findings)} finding(s) left; the first: {first.message}. "
                       f"Fix: {first.rule.fix}.")
    return True, "The lint finds nothing, and every method is still there."


q1_cut_pointers = Exercise(
    name="q1_cut_pointers",
    question="Which parameters or fields of scanner_ported.idl carry a pointer that arrives "
             "cut to 32 bits when a 64-bit client calls the 32-bit DLL's surrogate?",
    checker=_check_cut,
    hint_text="Names say what a value holds (p, lp, pfn for pointers; h for handles). Then "
              "ask of each type: 32 bits, or __int3264?",
    solution_code=("from interopkit.lint import lint_file\n"
                   "from interopkit.exercises.handles import PORTED\n"
                   "answer = {f.parameter for f in lint_file(PORTED)\n"
                   "          if f.rule.name in ('pointer-in-32-bits', 'pointer-in-int3264')}\n"),
    explanation="The lint's two pointer rules: a pointer in a DWORD, and a pointer in a "
                "pointer-sized (__int3264) type.",
)

q2_invalid_handle = Exercise(
    name="q2_invalid_handle",
    question="A 32-bit stub sends INVALID_HANDLE_VALUE (-1) declared as UINT_PTR to a 64-bit "
             "receiver. What does the receiver's variable hold?",
    checker=_check_invalid,
    hint_text="4 bytes of ones arrive. Does an unsigned type sign-extend?",
    solution_code=("from interopkit.ndr import transfer\n"
                   "answer = transfer('UINT_PTR', -1, 32, 64).received\n"),
    explanation="UINT_PTR is unsigned __int3264: truncated by the sender, zero-extended by "
                "the receiver.",
)

q3_mend = Exercise(
    name="q3_mend",
    question="Mend scanner_ported.idl so that the lint finds nothing, keeping every method "
             "and its parameters (change types; do not delete).",
    checker=_check_mend,
    hint_text="Each finding names a fix. An interface pointer replaces a handle to server "
              "state, data travels as data (size_is), a token that needs 64 bits is a "
              "ULONG64, and a window handle has its own type.",
    solution_code=("from interopkit.lint import IDL_DIR\n"
                   "answer = (IDL_DIR / 'scanner_fixed.idl').read_text()\n"),
    explanation="scanner_fixed.idl: IScanJob objects instead of HSCAN, the buffer's bytes "
                "instead of its address, ULONG64 for the user's token and the image size, the "
                "event's name instead of its handle, HWND for the owner, and long in the "
                "Automation interface.",
)
