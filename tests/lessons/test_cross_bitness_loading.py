"""interopkit.lessons.cross_bitness_loading: its tables, diagrams, explorers and exercises."""

from pathlib import Path

import pytest
from html_text import text

from interopkit.lessons import cross_bitness_loading as loading
from interopkit.lessons.cross_bitness_loading import (
    check_report_html,
    comparison_table_html,
    error_codes_html,
    load_explorer,
    outcome_html,
    start_table_html,
)
from interopkit.lessons.exercise import State
from interopkit.lessons.html import sources_html
from interopkit.loading.appfolders import build_demo_app
from interopkit.loading.checker import check_app
from interopkit.loading.loader import Host, ImageKind, load_outcome
from interopkit.loading.realload import compare_samples
from interopkit.winerror import WinError


def test_outcome_shows_verdict_message_remedy_and_linked_sources() -> None:
    html = outcome_html(load_outcome("x64", "I386", "win11-x64"))
    assert "fails: ERROR_BAD_EXE_FORMAT (193)" in html
    assert "the DLL is not a valid Win32 application." in html
    assert "Remedy:" in html and "216" in html
    assert 'href="https://learn.microsoft.com/windows/win32/winprog64/' in html
    assert "no such process" in outcome_html(load_outcome("arm64", "ARM64", "win11-x64"))


def test_comparison_and_start_tables() -> None:
    html = text(comparison_table_html(compare_samples()))
    assert "sample_x86.dll" in html and "ERROR_BAD_EXE_FORMAT" in html
    starts = text(start_table_html([ImageKind.I386, ImageKind.AMD64],
                                   [Host.WIN11_X64, Host.WIN10_ARM64]))
    assert "WOW64 + x86 emulation" in starts and "no (216)" not in starts
    assert "no (193 or 216) *" in starts  # which code appears when is not documented


def test_check_report_and_error_codes(tmp_path: Path) -> None:
    html = text(check_report_html(check_app(build_demo_app(tmp_path), host="win11-x64")))
    assert "scanner.dll" in html and "0xC000007B" in html and "legacy_tiff.dll" not in html
    codes = text(error_codes_html([WinError.ERROR_BAD_EXE_FORMAT]))
    assert "193" in codes and "not a valid Win32 application" in codes
    assert sources_html(["W64-RUN"]).startswith('<a href="https://')


def test_load_explorer_follows_every_control() -> None:
    box = load_explorer()
    process, host, mode = box.children[0].children
    image, output = box.children[1], box.children[2]
    assert "fails: ERROR_BAD_EXE_FORMAT (193)" in output.value  # x64 process, I386 image
    image.value = "AMD64"
    assert "loads" in output.value and "fails" not in output.value
    host.value = "win10-arm64"
    assert "no such process" in output.value  # no x64 on Windows 10 on Arm
    process.value, image.value, mode.value = "x86", "ARM64", "datafile"
    assert "data file" in output.value


def test_load_matrix_explorer_draws_the_chosen_windows() -> None:
    import matplotlib.pyplot as plt

    from interopkit.lessons.cross_bitness_loading import load_matrix_explorer

    before = plt.get_fignums()
    box = load_matrix_explorer("win11-x64")
    picker = box.children[0]
    assert len(picker.options) == 5
    picker.value = "win10-arm64"
    assert plt.get_fignums() == before  # each figure is shown once, then closed


def test_q2_a_dll_of_section_8s_demo_app_is_not_in_the_exercise() -> None:
    # The old hint named check_app(app), section 8's demo app; its culprit is scanner.dll,
    # and the old feedback then said scanner.dll "loads into the app's x64 process".
    feedback = loading.q2_find_dll.check("scanner.dll")
    assert feedback.state is State.WRONG
    assert "There is no scanner.dll in the exercise's folder" in feedback.message
    assert "section 8's demo app" in feedback.message
    assert "loads into" not in feedback.message


def test_q2_hint_names_the_exercise_folder() -> None:
    assert "check_app(exercise_app)" in loading.q2_find_dll.hint().message


def test_q2_a_name_in_no_folder() -> None:
    feedback = loading.q2_find_dll.check("video.dll")
    assert "There is no video.dll" in feedback.message and "demo" not in feedback.message


def test_q3_126_names_the_dependency_case() -> None:
    assert "a DLL it depends on" in loading.q3_start_code.check(126).message


@pytest.fixture
def fresh_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "_LOCKED", {})


def test_prediction_starts_empty_and_locks_the_first_complete_one(fresh_lock: None) -> None:
    empty = dict.fromkeys(loading.PAIRS, ...)
    assert "Not locked yet" in loading.lock_prediction(empty)
    assert loading.locked_prediction() is None
    assert loading.q1_predict.check(loading.locked_prediction()).state is State.NOT_ATTEMPTED
    first = dict.fromkeys(loading.PAIRS, True)
    assert "Locked in at" in loading.lock_prediction(first)
    assert "Already locked in" in loading.lock_prediction(dict(first))  # a cell run again
    second = {n: not v for n, v in first.items()}
    assert "stays as it was" in loading.lock_prediction(second)
    assert loading.locked_prediction() == first


def test_prediction_refuses_a_wrong_shape(fresh_lock: None) -> None:
    assert "Not locked" in loading.lock_prediction({1: True})
    assert "Not locked yet" in loading.lock_prediction(dict.fromkeys(loading.PAIRS, "yes"))
    assert loading.locked_prediction() is None


def test_q2_accepts_the_full_path_check_app_printed(tmp_path) -> None:
    # A learner pasted the path from check_app's report and was told the file was not there.
    from interopkit.loading.appfolders import build_exercise_app
    from interopkit.loading.checker import check_app

    app = build_exercise_app(tmp_path)
    culprit = next(d for d in check_app(app, host="win11-x64").dlls if not d.loads)
    assert loading.q2_find_dll.check(str(app.parent / culprit.name)).state is State.RIGHT
    wrong = loading.q2_find_dll.check(str(tmp_path / "nothere.dll"))
    assert "There is no nothere.dll" in wrong.message and str(tmp_path) not in wrong.message


def test_q2_right_answer_does_not_give_q3_away() -> None:
    assert "0xC000007B" not in loading.q2_find_dll.check(loading.q2_find_dll.solve()).message


def test_q2_section_8s_call_on_the_exercise_says_why_it_fails(tmp_path) -> None:
    from interopkit.errors import UsageError
    from interopkit.loading.appfolders import build_exercise_app
    from interopkit.loading.checker import check_app

    app = build_exercise_app(tmp_path)
    with pytest.raises(UsageError, match="DLLs sit beside its EXE needs none"):
        check_app(app, dirs=(app.parent / "plugins",), host="win11-x64")
    assert "no dirs are needed" in loading.q2_find_dll.hint().message


def test_q3_accepts_the_signed_form_cmd_and_powershell_print() -> None:
    feedback = loading.q3_start_code.check(-1073741701)
    assert feedback.state is State.RIGHT and "signed" in feedback.message


@pytest.mark.parametrize("answer", ["(b)", "b)", " B. "])
def test_q4_accepts_the_letter_as_the_question_printed_it(answer: str) -> None:
    assert loading.q4_remedy.check(answer).state is State.RIGHT


def test_q1_with_nothing_locked_says_what_to_do(fresh_lock: None) -> None:
    feedback = loading.q1_predict.check(loading.locked_prediction())
    assert feedback.state is State.NOT_ATTEMPTED
    assert "Replace the ..." not in feedback.message and "section 4" in feedback.message


def test_q1_cases_are_not_taught_before_the_prediction() -> None:
    # Issue 15: x64 + I386, the prefer-32 DLL (01 q5) and the data-file load were answered above.
    cases = set(loading.PAIRS.values())
    assert ("x64", "I386", "win11-x64") not in cases
    assert ("x64", "NET-prefer-32", "win11-x64") not in cases
    assert all(len(case) == 3 for case in cases)


def test_real_loader_tables_show_the_recorded_run_when_wine_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.kit import wine
    from interopkit.lessons import cross_bitness_loading as lesson
    from interopkit.lessons import recorded

    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)
    monkeypatch.setattr(wine, "session", None)  # calling it would fail: Wine must not start
    monkeypatch.setattr(recorded, "_CACHE", {})  # nothing answered live before
    loads, cases = lesson.real_loads_html(), lesson.real_loader_cases_html()
    assert loads.count("recorded on ") == 2 and cases.count("recorded on ") == 2
    assert "error 193" in loads and "sample_x64.dll" in loads
    assert "error 126" in cases and "search path" in cases
