"""interopkit.lessons.handle_ptr_truncation: its tables, diagrams, explorers and exercises."""

import matplotlib

from interopkit.com.lint import IDL_DIR
from interopkit.lessons.exercise import State
from interopkit.lessons.handle_ptr_truncation import (
    PORTED,
    q1_cut_pointers,
    q2_invalid_handle,
    q3_mend,
)


def test_bits_html_colours_every_bit_and_reports_bad_input() -> None:
    from interopkit.lessons.handle_ptr_truncation import bits_html

    page = bits_html("DWORD_PTR", "0x1_2345_6789", 64, 32, "ndr20")
    assert page.count("<td") == 3 * 64 and "title='bit 32: lost'" in page
    assert "<code>89 67 45 23</code>" in page and "information lost" in page
    assert "MIDL-3264" in page
    assert "undefined" in bits_html("HANDLE_PTR", "5", 32, 64, "ndr20")
    assert "is not an integer" in bits_html("DWORD_PTR", "zz", 64, 32, "ndr20")
    assert "not a type the kit" in bits_html("PVOID", "1", 64, 32, "ndr20")


def test_findings_echoes_and_handle_trip_tables() -> None:
    from interopkit.com.lint import lint
    from interopkit.lessons.handle_ptr_truncation import (
        echoes_html,
        findings_html,
        handle_trip_html,
    )
    from interopkit.ndr.basetsd import INVALID_HANDLE_VALUE
    from interopkit.ndr.crossing import Echo

    assert findings_html([]) == "<p><b>No findings.</b></p>"
    page = findings_html(lint("interface I { HRESULT F([in] DWORD pData); }"))
    assert "pointer-in-32-bits" in page and "<code>pData</code>" in page and "W64-PTR" in page
    # A rule met again points back instead of repeating its paragraph (a fresh learner found
    # the same handle text six times in the capstone's table).
    twice = findings_html(lint("interface I { HRESULT F([in] DWORD pData, [in] DWORD pMore); }"))
    assert twice.count("does not fit in 32 bits") == 1
    assert "Same risk and fix as line 1." in twice
    echoes = [Echo("DWORD", 0x7F00_0000_1000, 4, 0x1000, 32),
              Echo("UINT_PTR", 0x7F00_0000_1000, 8, 0x7F00_0000_1000, 64)]
    page = echoes_html(echoes)
    assert "LOST the upper half" in page and "all 64 bits kept" in page
    assert page.count("<td style='text-align:left'>0x1000</td>") == 3  # held; NDR20 twice
    trip = handle_trip_html({"sent": INVALID_HANDLE_VALUE, "echoed (32 bits)": 0xFFFF_FFFF})
    assert "0xffffffffffffffff" in trip and "0x00000000ffffffff" in trip


def test_draw_bits_draws_three_rows_of_64() -> None:
    from interopkit.lessons.handle_ptr_truncation import BIT_COLOURS, draw_bits
    from interopkit.ndr.rules import transfer

    ax = draw_bits(transfer("DWORD_PTR", 0x1_2345_6789, 64, 32))
    assert len(ax.patches) == 3 * 64
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "sender's DWORD_PTR (64 bits)", "on the NDR20 wire (4 bytes)",
        "receiver's DWORD_PTR (32 bits)"]
    assert "receiver holds 0x23456789 (lossy)" in ax.get_title()
    orange = matplotlib.colors.to_rgba(BIT_COLOURS["held back"])
    assert sum(p.get_facecolor() == orange for p in ax.patches) == 32
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["travels", "held back", "meant, but no such bit"]


def test_bits_explorer_follows_every_control() -> None:
    from interopkit.lessons.handle_ptr_truncation import bits_explorer

    box = bits_explorer()
    (kind, number), (sender, receiver, syntax), output = (
        box.children[0].children, box.children[1].children, box.children[2])
    assert "0x23456789" in output.value and "information lost" in output.value
    receiver.value = 64
    assert "nothing lost" not in output.value  # NDR20 cuts it even between 64-bit stubs
    syntax.value = "ndr64"
    assert "nothing lost" in output.value and "unverified" in output.value
    kind.value = "HANDLE_PTR"
    sender.value, receiver.value = 32, 64
    assert "undefined" in output.value and "derived" in output.value
    number.value = "not a number"
    assert "is not an integer" in output.value


# A learner's mend that turned every pointer-sized or disguised value into ULONG64: the lint of
# the time found nothing in it, and the checker called it right.
ALL_ULONG64 = [("[in] DWORD pBuffer", "[in] ULONG64 pBuffer"),
               ("ULONG_PTR pfnProgress", "ULONG64 pfnProgress"),
               ("[in] LONG_PTR lpUserData", "[in] ULONG64 lpUserData"),
               ("typedef DWORD HSCAN", "typedef ULONG64 HSCAN"),
               ("[in] UINT_PTR hEvent", "[in] ULONG64 hEvent"),
               ("[in] HANDLE_PTR hOwner", "[in] ULONG64 hOwner"),
               ("[out] SIZE_T *pcbImage", "[out] ULONG64 *pcbImage"),
               ("[out, retval] INT_PTR *pId", "[out, retval] long *pId")]


def _edited(edits: list[tuple[str, str]]) -> str:
    text = PORTED.read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return text


def test_every_pointer_in_a_ulong64_is_not_a_mend() -> None:
    feedback = q3_mend.check(_edited(ALL_ULONG64))
    assert feedback.state is State.WRONG
    # The lint's pointer-in-64-bits rule judges it: the bits arrive, the meaning does not.
    assert "a pointer in a 64-bit integer" in feedback.message
    assert "ULONG64 is for opaque tokens" in feedback.message


def test_one_pointer_left_in_a_ulong64_is_named() -> None:
    solved = q3_mend.solve()
    sneaky = solved.replace("[in, unique] IUnknown *lpUserData", "[in] ULONG64 lpUserData")
    feedback = q3_mend.check(sneaky)
    assert feedback.state is State.WRONG
    assert feedback.message.startswith(
        "1 finding(s) left: 1 x pointer-in-64-bits (lpUserData). The first: "
        "IScanSession.SetUserData(lpUserData): ULONG64: a pointer in a 64-bit integer")


def test_the_model_mend_keeps_every_name_as_the_prompt_asks() -> None:
    renamed = q3_mend.solve().replace("const BYTE *pBuffer", "const BYTE *buffer")
    assert "AttachBuffer lost pBuffer" in q3_mend.check(renamed).message
    fixed = (IDL_DIR / "scanner_fixed.idl").read_text()  # mended, but with renamed parameters
    assert q3_mend.check(fixed).state is State.WRONG
    assert q3_mend.check(q3_mend.solve()).state is State.RIGHT


def test_q1_asks_about_an_interface_the_lesson_does_not_lint() -> None:
    # The old q1 asked for what the lesson's lint table had just printed.
    assert q1_cut_pointers.check({"pBuffer", "lpUserData", "pfnProgress"}).state is State.WRONG
    assert "hdcSource holds a handle" in q1_cut_pointers.check(
        {"lpBits", "pvContext", "pfnNotify", "hdcSource"}).message
    assert "not an address" in q1_cut_pointers.check({"lpBits", "pvContext", "cbBits"}).message
    assert "nothing is cut" in q1_cut_pointers.check({"tag"}).message


def test_a_prediction_is_locked_when_the_pictures_run_and_compared_after() -> None:
    from interopkit.lessons import handle_ptr_truncation as handles

    handles._LOCKED.clear()
    assert "No prediction was locked in" in handles.compare_prediction()
    # The prediction cell only checks the form: a typo can be mended before the pictures.
    assert "still need a number" in handles.check_prediction({"a": ..., "b": -1, "c": 1})
    assert "Nothing is locked yet" in handles.check_prediction({"a": 1, "b": 2, "c": 3})
    first = {"a": 0x8000_0000, "b": 0xFFFF_FFFF, "c": 0x1_2345_6789}
    assert "Locked in" in handles.lock_prediction(first)  # the pictures' cell locks it
    assert "stays locked in" in handles.lock_prediction({"a": 1, "b": -1, "c": 1})
    said = handles.compare_prediction().splitlines()
    assert said[1].endswith("right.") and said[2].endswith("right.")
    assert "not what you predicted" in said[0]  # INT_PTR 0x80000000 sign-extends
    handles._LOCKED.clear()


def test_a_prediction_given_after_the_pictures_is_not_recorded() -> None:
    from interopkit.lessons import handle_ptr_truncation as handles

    handles._LOCKED.clear()
    assert "show the answers now" in handles.lock_prediction({"a": ..., "b": ..., "c": ...})
    assert "Not recorded" in handles.lock_prediction({"a": 1, "b": 2, "c": 3})
    assert "No prediction was locked in" in handles.compare_prediction()
    handles._LOCKED.clear()


def test_section_2s_cases_are_not_the_ones_its_text_states() -> None:
    # The old cases (DWORD_PTR 0x123456789 64 to 32, INT_PTR -1 32 to 64, HANDLE_PTR 64 to 64)
    # were all answered in the text above the prediction cell.
    from interopkit.lessons import handle_ptr_truncation as handles

    assert ("INT_PTR", -1, 32, 64) not in handles.PREDICT.values()
    assert ("HANDLE_PTR", 0x1_2345_6789, 64, 64) not in handles.PREDICT.values()
    assert ("DWORD_PTR", 0x1_2345_6789, 64, 32) not in handles.PREDICT.values()


def test_q1_accepts_the_struct_dot_field_form() -> None:
    answer = {"PRINT_PAGE.lpBits", "pvContext", "pfnNotify"}
    assert q1_cut_pointers.check(answer).state is State.RIGHT


def test_q3_says_scanner_fixed_renames_and_is_no_answer() -> None:
    assert "scanner_fixed.idl renames" in q3_mend.question


def test_q2_separates_the_documented_answer_from_wines_behaviour() -> None:
    # Section 3 shows Wine's 64-bit stub sign-extending DWORD_PTR to all ones: the hint for
    # that answer used to say only that 8 bytes on the wire would give it.
    for wines in (-1, 2**64 - 1):
        feedback = q2_invalid_handle.check(wines)
        assert feedback.state is State.WRONG
        assert "Wine's 64-bit stub gives" in feedback.message
        assert "documented rule" in feedback.message
    right = q2_invalid_handle.check(0xFFFF_FFFF)
    assert right.state is State.RIGHT and "Wine's 64-bit stubs sign-extend" in right.message
    assert "not by Wine" in q2_invalid_handle.hint().message
    assert "documented rules" in q2_invalid_handle.question
