"""Notebook 06 (handle ptr truncation): its tables, diagrams, explorers and checked exercises.

Exercises of notebook 06 (HANDLE_PTR and pointer-sized values); answers come from the lint
run on the kit's example interfaces and from the NDR model. Section 2's prediction is locked in
here before the pictures show the answer."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interopkit.com.idl import Scope, parse
from interopkit.com.lint import IDL_DIR, lint, meaning
from interopkit.errors import InteropKitError, UsageError
from interopkit.lessons.exercise import NOT_ATTEMPTED, Exercise, Note
from interopkit.lessons.misconceptions import Choice, Wrong, choice_quiz, value_quiz
from interopkit.ndr.basetsd import CONVERSIONS, INVALID_HANDLE_VALUE
from interopkit.ndr.rules import TYPES, show, transfer

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from interopkit.lessons.html import _table, sources_html

__all__ = [
    "BIT_COLOURS",
    "PORTED",
    "PREDICT",
    "PRINT_QUEUE",
    "WINE_PHRASES",
    "bits_explorer",
    "bits_html",
    "check_prediction",
    "compare_prediction",
    "draw_bits",
    "echoes_html",
    "findings_html",
    "handle_trip_html",
    "lock_prediction",
    "m4_handle_ptr",
    "m5_handles_pointers",
    "m6_sign_extension",
    "m7_handle_value",
    "m15_ndr64",
    "mend_checker",
    "q1_cut_pointers",
    "q2_invalid_handle",
    "q3_mend",
    "real_bytes",
    "real_bytes_html",
]


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
                      "which is all 64 bits set. (Wine's 64-bit stubs sign-extend instead and "
                      "would give back 0xffffffffffffffff: section 3's real bytes.)")
    if answer in (-1, 2**64 - 1):
        # Wine's stubs really do give this (capture.KNOWN_DIFFERENCES), but the question asks
        # what the documented rule gives (MIDL-3264).
        return False, ("That is what Wine's 64-bit stub gives (section 3: it sign-extends "
                       "DWORD_PTR, which the documentation does not), and what 8 bytes on the "
                       "wire would give. The question asks for the documented rule: 4 bytes "
                       "on the NDR20 wire, then extended as the type's sign says. Is "
                       "DWORD_PTR signed?")
    if answer == 0:
        return False, "The sender keeps the low 32 bits of -1. Are they zero?"
    return False, "Run transfer('DWORD_PTR', -1, 64, 64) and read its steps."


def _members(scopes: list[Scope]) -> dict[str, list[str]]:
    """Each method's and struct's parameter or field names, in order."""
    found: dict[str, list[str]] = {}
    for scope in scopes:
        for method, declaration in scope.members:
            where = f"{scope.name}.{method}" if scope.kind == "interface" else \
                f"struct {scope.name}"
            found.setdefault(where, [])
            if declaration.name:
                found[where].append(declaration.name)
    return found


_DECLARED_ELSEWHERE = {"IUnknown", "IDispatch"}
"""Interfaces a mended IDL may use without declaring them (oaidl.idl and unknwn.idl hold them)."""


def _unsound(scopes: list[Scope]) -> str | None:
    """What the lint does not look for but MIDL or COM would refuse in a mend: an interface
    used and never declared, a bare ``void *``, or a HANDLE that COM is not told to duplicate."""
    declared = {scope.name for scope in scopes if scope.kind == "interface"}
    for scope in scopes:
        for method, declaration in scope.members:
            where = f"{scope.name}.{method}({declaration.name})" if method else \
                f"{scope.name}.{declaration.name}"
            base, attributes = declaration.base, declaration.attributes
            if base.startswith("I") and declaration.pointers and base not in declared \
                    and base not in _DECLARED_ELSEWHERE and base[1:2].isupper():
                return (f"{where}: {base} is used but never declared. Declare it, as "
                        f"[object, uuid(...)] interface {base} : IUnknown {{ ... }}.")
            if base == "void" and declaration.pointers:
                if "context_handle" in attributes and "object" in scope.attributes:
                    return (f"{where}: a context handle is RPC's way to keep server state; in "
                            "a COM ([object]) interface the state is an object the client holds "
                            "an interface pointer to.")
                if "context_handle" not in attributes:
                    return (f"{where}: MIDL allows void * only as a context handle "
                            "(MIDL-VOID): say what travels.")
            if base == "HANDLE" and not any(a.startswith("system_handle") for a in attributes):
                return (f"{where}: a HANDLE's value means nothing in another process unless COM "
                        "duplicates it ([system_handle], MIDL-SYSHANDLE). State of the server's "
                        "own is an object (an interface pointer).")
    return None


def _left(findings: list[Any]) -> str:
    """The findings left, grouped by rule, with the parameters each names."""
    by_rule: dict[str, list[str]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule.name, []).append(finding.parameter)
    return "; ".join(f"{len(names)} x {rule} ({', '.join(dict.fromkeys(names))})"
                     for rule, names in by_rule.items())


def mend_checker(ported: Path) -> Callable[[Any], tuple[bool, str]]:
    """A checker for "mend ``ported`` so that the lint finds nothing": the answer is the mended
    IDL text, which must keep every method, parameter and field of ``ported`` under its name,
    and must not swap a finding for something MIDL or COM refuses (notebook 06's q3, notebook
    08's capstone)."""

    def check(answer: Any) -> tuple[bool, str]:
        if not isinstance(answer, str):
            return False, "Give the whole mended IDL as a string."
        try:
            scopes = parse(answer, "your IDL")  # once, for the lint and both checks
        except UsageError as exc:
            return False, f"The lint cannot read it: {exc}"
        findings, mended, unsound = lint(scopes), _members(scopes), _unsound(scopes)
        for where, names in _members(parse(ported.read_text())).items():
            if where not in mended:
                return False, f"{where} is gone: mend it, do not delete it."
            for name in names:
                if name not in mended[where]:
                    return False, (f"{where} lost {name}: keep every parameter and field under "
                                   "its name, and change its type.")
        if findings:
            first = findings[0]
            return False, (f"{len(findings)} finding(s) left: {_left(findings)}. The first: "
                           f"{first.message}. Fix: {first.rule.fix}.")
        if unsound:
            return False, f"The lint finds nothing, but {unsound}"
        return True, ("The lint finds nothing, no address travels as a number, and every "
                      "method, parameter and field is still there.")

    return check


q1_cut_pointers = Exercise(
    name="q1_cut_pointers",
    question="Which parameters or fields of printqueue_ported.idl carry a pointer that arrives "
             "cut to 32 bits when a 64-bit client calls the 32-bit driver's surrogate?",
    checker=_check_cut,
    hint_text="Names say what a value holds (p, lp, pv, pfn for pointers; h for handles; cb "
              "and c for counts). Then ask of each type: 32 bits, __int3264, or 64 bits?",
    solution_code=("from interopkit.com.lint import lint_file\n"
                   "from interopkit.lessons.handle_ptr_truncation import PRINT_QUEUE\n"
                   "answer = {f.parameter for f in lint_file(PRINT_QUEUE)\n"
                   "          if f.rule.name in ('pointer-in-32-bits', 'pointer-in-int3264')}\n"),
    explanation="The lint's two pointer rules: a pointer in a 32-bit integer, and a pointer in "
                "a pointer-sized (__int3264) type. Handles (hdcSource, hSpool, hPrinter), counts "
                "(cbBits, pcJobs) and the ULONG64 tag are hazards of other kinds, or none.",
)


q2_invalid_handle = Exercise(
    name="q2_invalid_handle",
    question="A 64-bit client passes INVALID_HANDLE_VALUE declared as DWORD_PTR to a 64-bit "
             "server, and both stubs speak NDR20. By the documented rules (the kit's model), "
             "what does the server's variable hold?",
    checker=_check_invalid,
    hint_text="Answer by the documentation (MIDL-3264), not by Wine: two steps, what the "
              "sending stub puts on the wire for an __int3264, then how an unsigned type "
              "widens in the receiver. Section 3 showed that Wine's 64-bit stubs widen it "
              "otherwise.",
    solution_code=("from interopkit.ndr.rules import transfer\n"
                   "answer = transfer('DWORD_PTR', -1, 64, 64).received\n"),
    explanation="DWORD_PTR is an unsigned __int3264: 4 bytes on the NDR20 wire whoever sends "
                "it, truncated by the sender and zero-extended by the receiver (MIDL-3264). "
                "Wine's 64-bit stubs sign-extend it instead (WINE-RPCRT4), which gives "
                "0xffffffffffffffff: Wine's behaviour, not the documented rule.",
)


_MEND = '''\
from interopkit.lessons.handle_ptr_truncation import PORTED
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
    checker=mend_checker(PORTED),
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


def bits_html(type_name: str, value_text: str, sender: int, receiver: int, syntax: str) -> str:
    """One value through NDR as 64 coloured bits per row (sender, wire, receiver), then the
    steps, the certainty and the sources; the kit's error in red for a bad value or type."""
    from interopkit.lessons.handle_ptr_truncation import BIT_COLOURS
    from interopkit.ndr.rules import bit_rows, transfer

    try:
        value = int(value_text.replace("_", ""), 0)
        moved = transfer(type_name, value, sender, receiver, syntax)
    except ValueError:
        return (f'<p style="color:#b03000">{html.escape(value_text)} is not an integer: '
                "write 42, 0x123456789 or -1.</p>")
    except InteropKitError as exc:
        return f'<p style="color:#b03000">{html.escape(str(exc))}</p>'
    rows = []
    for line in bit_rows(moved):
        cells = "".join(
            f"<td title='bit {i}: {state}' style='background:{BIT_COLOURS[state]};"
            f"padding:0;width:9px;text-align:center;border:1px solid #ddd;"
            f"{'border-left:2px solid #555;' if i % 8 == 7 and i < 63 else ''}'>"
            f"{'?' if state == 'undefined' else '' if bit is None else bit}</td>"
            for i, bit, state in ((i, line.bits[i], line.states[i]) for i in range(63, -1, -1)))
        rows.append(f"<tr><th style='text-align:right;white-space:nowrap'>"
                    f"{html.escape(line.label)}</th>{cells}</tr>")
    received = "undefined" if moved.received is None else (
        f"{moved.received} (0x{moved.received & (2**64 - 1):x})")
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in moved.steps)
    return (f"<div style='overflow-x:auto'><table style='font-family:monospace;font-size:10px;"
            f"border-collapse:collapse;table-layout:fixed'>{''.join(rows)}</table></div>"
            f"<p>Wire: <code>{moved.wire.hex(' ')}</code> "
            f"({len(moved.wire)} bytes); the receiver holds <b>{html.escape(received)}</b>: "
            f"<b>{'information lost' if moved.lossy else 'nothing lost'}</b>.</p>"
            f"<ol>{steps}</ol>"
            f"<p><small>{moved.certainty}; sources: {sources_html(moved.sources) or 'none needed'}"
            f"</small></p>")


def findings_html(findings: list[Any]) -> str:
    """The lint's findings: line, where, parameter, type, rule, severity, fix and sources; a
    rule's risk and fix are written out once, and later rows of the same rule point back."""
    if not findings:
        return "<p><b>No findings.</b></p>"
    colours = {"error": "#b03000", "warning": "#9a6700", "note": "#555555"}
    first_line: dict[str, int] = {}
    rows = []
    for f in findings:
        if f.rule.name in first_line:
            said = f"<i>Same risk and fix as line {first_line[f.rule.name]}.</i>"
        else:
            first_line[f.rule.name] = f.line
            said = (f"{html.escape(f.rule.risk)}. <i>Fix:</i> {html.escape(f.rule.fix)}. "
                    f"<small>[{f.rule.certainty}; {sources_html(f.rule.sources)}]</small>")
        rows.append(
            f"<tr><td>{f.line}</td><td style='text-align:left'>{html.escape(f.where)}</td>"
            f"<td style='text-align:left'><code>{html.escape(f.parameter)}</code></td>"
            f"<td style='text-align:left'><code>{html.escape(f.type)}</code></td>"
            f"<td style='text-align:left;color:{colours[f.rule.severity]}'><b>"
            f"{f.rule.severity}</b> {html.escape(f.rule.name)}</td>"
            f"<td style='text-align:left'>{said}</td></tr>")
    head = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                   ("line", "where", "parameter", "type", "rule", "risk, fix and sources"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def echoes_html(echoes: list[Any]) -> str:
    """Values sent for real to a surrogate (``interopkit.ndr.crossing.send_address``), beside what
    NDR20 stubs of the same bitness would deliver (``interopkit.ndr.rules.transfer``)."""
    from interopkit.ndr.rules import transfer

    rows = []
    for echo in echoes:
        model = transfer(echo.declared, echo.sent, 64, echo.surrogate_bits).received
        rows.append([echo.declared, f"0x{echo.sent:x}", echo.wire_bytes,
                     f"{echo.surrogate_bits}-bit", f"0x{echo.held:x}",
                     "LOST the upper half" if echo.lossy else "all 64 bits kept",
                     "undefined" if model is None else f"0x{model & (2**64 - 1):x}"])
    return _table(["declared", "sent", "bytes in the kit's frame", "surrogate",
                   "surrogate's variable held", "", "NDR20 stubs would deliver"], rows)


REAL_VALUES = (0x80000000, 0x180000000)
"""The values the real-bytes table shows: the top bit of the low half set, and above 4 GiB."""
_QUICK_VALUES = (0x7FFFFFFF, 0x80000000, 0x180000000, 0xFFFFFFFFFFFFFFFF)
_REAL: dict[bool, Any] = {}


def real_bytes(quick: bool | None = None) -> Any:
    """The real proxies' bytes (``interopkit.lessons.ndr_recording.real_sweep``), run once per
    kernel: live under Wine (four values in quick mode, all of ``capture.VALUES`` otherwise),
    else the recorded run."""
    from interopkit.com.capture import VALUES
    from interopkit.kit.quick import is_quick
    from interopkit.lessons.ndr_recording import real_sweep

    quick = is_quick() if quick is None else quick
    if quick not in _REAL:
        _REAL[quick] = real_sweep(_QUICK_VALUES if quick else VALUES)
    return _REAL[quick]


WINE_PHRASES = {"unsigned-int3264-sign-extended": "DWORD_PTR sign-extended",
                "handle-ptr-without-win64": "HANDLE_PTR in 4 bytes, no _WIN64"}
"""A short phrase for each of ``interopkit.com.capture.KNOWN_DIFFERENCES``, for the tables (the
key itself shows as the phrase's tooltip and in the list under the tables)."""


def _width(type_name: str, bits: int) -> int:
    """How many bits a process of ``bits`` holds the type in: ULONG64 is 64 bits in every
    build, the pointer-sized types are as wide as the process's pointers (SDK-BASETSD)."""
    return 64 if type_name == "ULONG64" else bits


def _held(value: int | None, type_name: str, bits: int) -> str:
    """A variable as a process of ``bits`` holds it: its bits in hex, and a negative INT_PTR's
    value in decimal (0x80000000 in 32 bits and 0xffffffff80000000 in 64 are one number)."""
    if value is None:
        return "nothing (not called)"
    width = _width(type_name, bits)
    held = value & ((1 << width) - 1)
    negative = type_name == "INT_PTR" and held >> (width - 1)
    return f"0x{held:x}" + (f" ({held - (1 << width):,})" if negative else "")


def _sent(value: int, type_name: str, bits: int) -> str:
    """The value the caller passed, and what it is in the caller's variable when that is
    narrower (a 32-bit process cannot hold 0x180000000 in a DWORD_PTR)."""
    width = _width(type_name, bits)
    if value >> width:
        return f"0x{value:x} → 0x{value & ((1 << width) - 1):x} in a {bits}-bit process"
    return f"0x{value:x}"


def _spaced(hex_text: str) -> str:
    return f"<code style='white-space:nowrap'>{bytes.fromhex(hex_text).hex(' ')}</code>"


def _verdict(case: Any) -> str:
    from interopkit.com.capture import KNOWN_DIFFERENCES

    if case.agree:
        return "agree"
    if case.difference:
        number = list(KNOWN_DIFFERENCES).index(case.difference) + 1
        return (f"<span title='{html.escape(case.difference)}'>Wine differs: "
                f"{html.escape(WINE_PHRASES[case.difference])} [{number}]</span>")
    return "<b>DIFFER (unexplained)</b>"


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    """A table whose cells are HTML already (escaped where they hold text)."""
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{c}</td>" for c in row)
                   + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _counts(cases: list[Any]) -> str:
    known = sum(c.difference is not None for c in cases)
    unexplained = sum(not c.agree and c.difference is None for c in cases)
    return (f"{sum(c.agree for c in cases)} agree, {known} "
            f"{'is' if known == 1 else 'are'} Wine's listed differences, {unexplained} "
            "unexplained")


def _capture_rows(shown: list[Any]) -> list[list[str]]:
    rows = []
    for c in shown:
        cap, bits = c.capture, c.capture.build.bits
        rows.append([html.escape(cap.build.label), cap.type,
                     html.escape(_sent(cap.value, cap.type, bits)), _spaced(cap.request_hex),
                     _spaced(c.model_hex), html.escape(_held(cap.server_saw, cap.type, bits)),
                     html.escape(_held(c.model_received, cap.type, bits)), _verdict(c)])
    return rows


def _replay_rows(shown: list[Any]) -> list[list[str]]:
    rows = []
    for r in shown:
        bits = r.replay.build.bits
        model = "not defined" if r.model_received is None else _held(r.model_received,
                                                                     r.sent.type, bits)
        rows.append([html.escape(r.sent.build.label), html.escape(r.replay.build.label),
                     r.sent.type, html.escape(_sent(r.sent.value, r.sent.type,
                                                    r.sent.build.bits)),
                     _spaced(r.replay.request_hex),
                     html.escape(r.replay.error or _held(r.replay.server_saw, r.sent.type,
                                                         bits)),
                     html.escape(model), _verdict(r)])
    return rows


def real_bytes_html(real: Any = None, values: tuple[int, ...] = REAL_VALUES) -> str:
    """Section 3's real bytes: each build's proxy beside the model for ``values``, the replays
    of the last value (and of DWORD_PTR at the first) into the other bitness's stub, and where
    Wine parts from the documentation, with the label saying live or recorded
    (``real_bytes``). The summary counts the whole sweep and says which part is shown."""
    from interopkit.com.capture import KNOWN_DIFFERENCES

    real = real or real_bytes()
    found = real.sweep
    shown = [c for c in found.comparisons if c.capture.value in values]
    swept = sorted({c.capture.value for c in found.comparisons})
    listed = ", ".join(f"0x{v:x}" for v in values)
    times = sorted(c.capture.seconds for c in found.comparisons)
    platforms = ", ".join(sorted({c.capture.platform.rsplit(", ", 1)[0]
                                  for c in found.comparisons}))
    summary = (f"<p>{len(found.comparisons)} captures: 3 builds, 4 types and {len(swept)} "
               f"values ({', '.join(f'0x{v:x}' for v in swept)}). Beside the model, byte for "
               f"byte and in what the server received: {_counts(list(found.comparisons))}. "
               f"Each run of the capture tool took {times[len(times) // 2]:.2f} s (the "
               "median), starting Wine included. The bytes are the whole request buffer: each "
               "Echo method's value is its only [in] parameter.</p>"
               f"<p>The table shows the {len(shown)} captures of {listed} "
               f"({_counts(shown)}); <code>real_bytes_html(values=...)</code> shows others. "
               f"Every row ran under {html.escape(platforms)}, in a 32-bit or a 64-bit process "
               "with a proxy/stub of its bitness (the first column). "
               "A 32-bit process holds a pointer-sized value in 32 bits, so its caller's cast "
               "cuts 0x180000000 to 0x80000000 before the proxy sees it. The server columns show "
               "the server's variable in its own width, and a negative INT_PTR also in "
               "decimal.</p>")
    replays = [r for r in found.replays if r.sent.value == values[-1]
               or (r.sent.type == "DWORD_PTR" and r.sent.value == values[0])]
    replay_text = (f"<p>One side's bytes, replayed into the other side's stub: "
                   f"{len(found.replays)} replays ({_counts(list(found.replays))}). Shown: "
                   f"the {len(replays)} of 0x{values[-1]:x}, and of DWORD_PTR "
                   f"0x{values[0]:x}. The model follows the documentation here too, so a "
                   "64-bit stub reads HANDLE_PTR in 8 bytes whether or not _WIN64 was "
                   "defined.</p>")
    differences = "".join(
        f"<li><b>{html.escape(WINE_PHRASES[key])}</b> <small>(<code>{html.escape(key)}</code>)"
        f"</small>: {html.escape(d.case)}. Documented: {html.escape(d.documented)} "
        f"<small>[{sources_html(d.documented_sources)}]</small>. Wine: {html.escape(d.wine)} "
        f"<small>[{sources_html(d.wine_sources)}]</small>.</li>"
        for key, d in KNOWN_DIFFERENCES.items())
    return (f"<p><small><b>{html.escape(real.label)}</b> (Wine is not Windows: where they "
            "differ, the differences are named)</small></p>" + summary
            + _html_table(["process and proxy/stub", "type", "value sent", "real bytes",
                           "model's bytes", "server received", "model says", "verdict"],
                          _capture_rows(shown))
            + replay_text
            + _html_table(["sender built", "receiving stub", "type", "value sent", "bytes",
                           "server received", "model says", "verdict"], _replay_rows(replays))
            + "<p>Where Wine parts from the documentation (the model follows the "
            f"documentation in both tables):</p><ol>{differences}</ol>")


def handle_trip_html(trip: dict[str, int]) -> str:
    """A handle's round trip (``interopkit.ndr.crossing.send_handle``): each stage's 64 bits."""
    return _table(["stage", "value"], [[stage, f"0x{value & (2**64 - 1):016x}"]
                                       for stage, value in trip.items()])


BIT_COLOURS = {"sent": "#9ecae1", "arrived": "#9ecae1", "held back": "#fdae6b",
               "extended": "#a1d99b", "wrong": "#fb6a4a", "lost": "#fcbba1",
               "undefined": "#d9d9d9", "none": "#ffffff"}
"""Colours of the bit states of ``interopkit.ndr.rules.bit_rows`` (the HTML table uses them too)."""


def draw_bits(moved: Any, ax: Axes | None = None) -> Axes:
    """The 64 bits of one value before, on the wire and after, most significant on the left.

    ``moved`` is an ``interopkit.ndr.rules.transfer`` result. Blue bits travel; orange ones stay in
    the sender; green ones the receiver made by extension; red ones differ from what was sent
    (pale red: a bit the receiver does not have). Taught in notebook 06.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from interopkit.ndr.rules import bit_rows, show

    if ax is None:
        _, ax = plt.subplots(figsize=(14, 2.9))
    rows = bit_rows(moved)
    for row, line in enumerate(rows):
        for index in range(64):
            x = 63 - index
            state = line.states[index]
            ax.add_patch(Rectangle((x, row), 1, 0.8, facecolor=BIT_COLOURS[state],
                                   edgecolor="#cccccc" if state == "none" else "white",
                                   linewidth=0.6, hatch="///" if state == "lost" else ""))
            digit = line.bits[index]
            text = "?" if state == "undefined" else "" if digit is None else str(digit)
            ax.text(x + 0.5, row + 0.42, text, ha="center", va="center", fontsize=9)
    for byte in range(1, 8):
        ax.axvline(byte * 8, color="#555555", linewidth=0.8)
    ax.set_xlim(0, 64)
    ax.set_ylim(len(rows) - 0.1, -0.1)
    ax.set_yticks([row + 0.4 for row in range(len(rows))], [line.label for line in rows],
                  fontsize=9)
    # One label per byte, centred between the byte lines (a label on a line reads as either).
    ax.set_xticks([x + 4 for x in range(0, 64, 8)],
                  [f"bits {63 - x}-{56 - x}" for x in range(0, 64, 8)], fontsize=9)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    received = "undefined" if moved.received is None else show(moved.received)
    ax.set_title(f"{moved.type.name} {show(moved.value)}, {moved.sender_bits}-bit to "
                 f"{moved.receiver_bits}-bit over {moved.syntax.upper()}: receiver holds "
                 f"{received}{' (lossy)' if moved.lossy else ''} [{moved.certainty}]",
                 fontsize=9)
    # "sent" and "arrived" share a colour: one legend entry for both
    states = {state for line in rows for state in line.states} - {"none", "arrived"}
    shown = sorted(states | {"sent"}, key=list(BIT_COLOURS).index)
    labels = {"sent": "travels", "lost": "meant, but no such bit"}
    ax.legend(handles=[Patch(facecolor=BIT_COLOURS[s], hatch="///" if s == "lost" else "",
                             label=labels.get(s, s)) for s in shown],
              loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(shown), fontsize=8,
              frameon=False)
    return ax


def bits_explorer(type_name: str = "DWORD_PTR", value: str = "0x123456789") -> Any:
    """Pick a type, a value, the two stubs' bitness and a transfer syntax; see the 64 bits of
    the sender's variable, the wire and the receiver's variable."""
    import ipywidgets as widgets

    from interopkit.lessons.handle_ptr_truncation import bits_html
    from interopkit.ndr.rules import TYPES

    kind = widgets.Dropdown(options=list(TYPES), value=type_name, description="type")
    number = widgets.Text(value=value, description="value",
                          placeholder="0x123456789, -1, 42")
    narrow = widgets.Layout(width="190px")
    sender = widgets.Dropdown(options=[("32-bit", 32), ("64-bit", 64)], value=64,
                              description="sender", layout=narrow)
    receiver = widgets.Dropdown(options=[("32-bit", 32), ("64-bit", 64)], value=32,
                                description="receiver", layout=narrow)
    syntax = widgets.Dropdown(options=[("NDR20", "ndr20"), ("NDR64", "ndr64")], value="ndr20",
                              description="syntax", layout=narrow)
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        output.value = bits_html(kind.value, number.value, sender.value, receiver.value,
                                 syntax.value)

    for control in (kind, number, sender, receiver, syntax):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([kind, number]), widgets.HBox([sender, receiver, syntax]),
                         output])


# --- Check your understanding: the guide's misconceptions on handles and NDR -----------------

def _wire_bytes(type_name: str) -> dict[int, int]:
    """The bytes each stub, 32-bit and 64-bit, puts on the NDR20 wire for one value."""
    return {bits: len(transfer(type_name, 1, bits, bits).wire) for bits in (32, 64)}


m4_handle_ptr = choice_quiz(
    "handle_ptr",
    "A 32-bit and a 64-bit stub are built from one IDL that declares a parameter `HANDLE_PTR`. "
    "By `basetsd.h`'s definition, and assuming (as the kit's model does) that the 64-bit stub is "
    "built with `_WIN64` defined, how many bytes does each put on the NDR20 wire for it?",
    [Choice("4 from either: `HANDLE_PTR` is an `__int3264` type, like `DWORD_PTR`, so one IDL "
            "gives one layout", {32: 4, 64: 4},
            "Four bytes from either side is the rule of __int3264 (DWORD_PTR, INT_PTR), which "
            "truncates."),
     Choice("8 from either", {32: 8, 64: 8},
            "In a 32-bit build HANDLE_PTR is an unsigned long: 4 bytes."),
     Choice("4 from the 32-bit stub, 8 from the 64-bit one: the two lay the message out "
            "differently", {32: 4, 64: 8})],
    believed=0, model=lambda: _wire_bytes("HANDLE_PTR"),
    right="HANDLE_PTR is not __int3264: 8 bytes in a 64-bit build and 4 in a 32-bit one, on the "
          "wire too (W64-PROCINT, SDK-BASETSD). The type that is 4 bytes on the NDR20 wire from "
          "either side is __int3264, and it truncates (MIDL-3264). This is derived: no MIDL page "
          "says that MIDL defines _WIN64, and Wine's widl does not, so its 64-bit stub sends 4 "
          "bytes (section 3).",
    hint="Section 1's table, or len(transfer('HANDLE_PTR', value, bits, bits).wire) for each "
         "bitness.",
    solution_code="# len(transfer('HANDLE_PTR', 1, bits, bits).wire) is 4 for bits=32 and 8 for "
                  "bits=64.\nanswer = 'c'\n",
    explanation="HANDLE_PTR follows the build's width; only __int3264 has one wire size, 4 bytes "
                "under NDR20 (W64-PROCINT, MIDL-3264).",
)

_HWND = 0x0003_0A2E
"""A window handle as a 64-bit process may hold it."""
_BUFFER = 0x0000_01F4_2A10_0000
"""A heap address as a 64-bit process may hold it: above 4 GiB."""


def _round_trips() -> frozenset[str]:
    """Which of the two values the basetsd.h helpers give back after a cut to 32 bits."""
    kept = set()
    if CONVERSIONS["Handle32ToHandle"].apply(CONVERSIONS["HandleToLong"].apply(_HWND)) == _HWND:
        kept.add("handle")
    if CONVERSIONS["Ptr32ToPtr"].apply(CONVERSIONS["PtrToUlong"].apply(_BUFFER)) == _BUFFER:
        kept.add("pointer")
    return frozenset(kept)


m5_handles_pointers = choice_quiz(
    "handles_pointers",
    "A 64-bit process passes two values through a 32-bit one, which keeps 32 bits of each: a "
    f"window handle, 0x{_HWND:X}, cut with `HandleToLong` and widened back with "
    f"`Handle32ToHandle`, and the address of a heap buffer, 0x{_BUFFER:X}, cut with "
    "`PtrToUlong` and widened back with `Ptr32ToPtr`. Which comes back as it was?",
    [Choice("The handle only", frozenset({"handle"})),
     Choice("Both: both are pointer-sized, so both are cut and restored alike",
            frozenset({"handle", "pointer"})),
     Choice("The address only", frozenset({"pointer"}),
            "Ptr32ToPtr cannot invent the upper bits that PtrToUlong threw away."),
     Choice("Neither", frozenset(),
            "Cutting a handle to 32 bits and sign-extending it back is safe (W64-IPC).")],
    believed=1, model=_round_trips,
    right=f"A handle has 32 significant bits, so the helpers give it back; the address needed "
          f"{_BUFFER.bit_length()} bits and lost the upper ones (W64-IPC, W64-PTR).",
    hint="interopkit.ndr.basetsd.CONVERSIONS has each helper: apply the cut, then the widening, "
         "to each value.",
    solution_code="# Handle32ToHandle(HandleToLong(hwnd)) == hwnd, but Ptr32ToPtr(PtrToUlong(p)) "
                  "loses p's\n# upper bits.\nanswer = 'a'\n",
    explanation="Only handles are defined to fit in 32 bits; an address above 4 GiB cannot "
                "survive a cut (W64-IPC, W64-PTR).",
)


_HANDLE_MINUS_2 = 0xFFFF_FFFE
"""A handle's 32 bits as a 32-bit process hands it back: -2, a value no notebook cell shows."""

m6_sign_extension = value_quiz(
    "sign_extension",
    f"A 32-bit process hands back a handle it holds as 0x{_HANDLE_MINUS_2:X}. The 64-bit side "
    "widens it as handles must be widened. What 64-bit value does it hold then? (an int, such "
    "as 0x1234)",
    int, "an int, such as 0x1234",
    [Wrong(_HANDLE_MINUS_2, "That is zero extension, Ptr32ToPtr's: it would give a different "
           "handle."),
     Wrong(INVALID_HANDLE_VALUE, "That is -1, INVALID_HANDLE_VALUE: this handle is -2.")],
    believed=0, model=lambda: CONVERSIONS["Handle32ToHandle"].apply(_HANDLE_MINUS_2),
    right="0xFFFFFFFFFFFFFFFE: Handle32ToHandle sign-extends, so -2 stays -2, as -1 stays "
          "INVALID_HANDLE_VALUE (W64-IPC, CHEN-IHV).",
    hint="Handles widen the way section 5 showed for INVALID_HANDLE_VALUE: "
         "interopkit.ndr.basetsd.CONVERSIONS['Handle32ToHandle'].apply(value).",
    solution_code="from interopkit.ndr.basetsd import CONVERSIONS\n"
                  f"answer = CONVERSIONS['Handle32ToHandle'].apply(0x{_HANDLE_MINUS_2:X})\n",
    explanation="Handles widen by sign extension, pointers and unsigned numbers by zero "
                "extension (W64-IPC, SDK-BASETSD).",
)

m7_handle_value = choice_quiz(
    "handle_value",
    "A 64-bit process creates a named event and writes its handle's value, 0x1F4, into a pipe. A "
    "32-bit process reads 0x1F4. What can it do with that number?",
    [Choice("Wait on the event with it: the value fits in 32 bits, so it works in both "
            "processes", "use it"),
     Choice("Wait on it once it has widened the value with `Handle32ToHandle`", "widen it",
            "Widening mends a value's width, not where it is valid: in another process the "
            "number names another process's handle, or none."),
     Choice("Nothing reliable: a handle value means something only in the process that holds "
            "it. The 32-bit process needs its own handle: a duplicate (`DuplicateHandle`), an "
            "inherited one, or one it opens by the event's name", "its own handle")],
    believed=0, model=lambda: "its own handle",
    right="Kernel object handles are process specific (KERNEL-OBJ): the other process gets its "
          "own handle to the same event, by DuplicateHandle, inheritance or the event's name. "
          "The 32-significant-bits rule is about a handle's width, not about where it is valid.",
    hint="Section 5's first caution.",
    solution_code="# Kernel object handles are process specific (KERNEL-OBJ).\nanswer = 'c'\n",
    explanation="A handle is an index into its own process's handle table; another process "
                "needs its own handle to the object (KERNEL-OBJ).",
)

_WIDE = 0x1_2345_6789
"""A DWORD_PTR value that needs more than 32 bits."""

m15_ndr64 = value_quiz(
    "ndr64",
    "A 64-bit client whose stubs were built for both NDR20 and NDR64 (MIDL `/protocol all`) "
    f"passes the `DWORD_PTR` 0x{_WIDE:X} to a 32-bit server. What value does the server's "
    "`DWORD_PTR` hold? (an int, such as 0x1234)",
    int, "an int, such as 0x1234",
    [Wrong(_WIDE, "A 32-bit DWORD_PTR cannot even hold it: the value is cut on the way."),
     Wrong(_WIDE >> 32, "That is the upper half: the sender keeps the low 32 bits.")],
    believed=0,
    model=lambda: transfer("DWORD_PTR", _WIDE, 64, 32, syntax="ndr64").received,
    right=f"0x{_WIDE & 0xFFFF_FFFF:X}: a 32-bit stub speaks only NDR20, so the pair negotiates "
          "NDR20, where DWORD_PTR (__int3264) is 4 bytes, and the sender cuts the value to its "
          "low 32 bits (MIDL-PROTO, MS-RPCE-NEG, MIDL-3264).",
    hint="transfer('DWORD_PTR', value, 64, 32, syntax='ndr64') asks for NDR64 and shows which "
         "syntax was used and what arrived.",
    solution_code="from interopkit.ndr.rules import transfer\n"
                  f"answer = transfer('DWORD_PTR', 0x{_WIDE:X}, 64, 32, syntax='ndr64')"
                  ".received\n",
    explanation="Only 64-bit stubs speak NDR64, so mixed-bitness RPC negotiates NDR20, and "
                "__int3264 types cross in 4 bytes (MIDL-PROTO, RPC-NDR64, MIDL-3264).",
)
