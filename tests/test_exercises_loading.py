"""Notebook 03's exercises, with the answers learners really gave (issue 15)."""

import pytest

from interopkit.exercises import State, loading


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
