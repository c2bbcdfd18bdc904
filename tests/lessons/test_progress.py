"""A learner's progress: right answers recorded on this machine, nothing else; damaged records
moved aside, never fatal; several kernels at once lose nothing."""

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from interopkit.errors import UsageError
from interopkit.lessons import progress as progress_module
from interopkit.lessons.answerkey import exercises_by_notebook
from interopkit.lessons.exercise import Exercise, State
from interopkit.lessons.progress import progress, progress_file, record, reset
from interopkit.lessons.start_here import q0_process_bits


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own (not made yet: the kit makes it when it writes)."""
    monkeypatch.setenv("INTEROPKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def solved_on_file(cache: Path) -> dict:
    return json.loads((cache / "progress.json").read_text(encoding="utf-8"))["solved"]


def aside(cache: Path, why: str = "unreadable") -> list[Path]:
    return sorted(cache.glob(f"progress.json.{why}-*"))


def test_a_right_answer_records_the_exercise_its_notebook_and_when(cache: Path) -> None:
    feedback = q0_process_bits.check(q0_process_bits.solve())
    assert feedback.state is State.RIGHT and feedback.progress == ""
    when = solved_on_file(cache)["00"]["q0_process_bits"]
    assert when.endswith("Z")  # UTC
    first = datetime.fromisoformat(when.replace("Z", "+00:00"))
    assert abs(datetime.now(timezone.utc) - first) < timedelta(minutes=1)
    shown = progress("00")
    assert shown.notebooks[0].solved == ("q0_process_bits",) and shown.solved == 1


def test_the_first_solve_is_kept(cache: Path) -> None:
    cache.mkdir()
    earlier = {"00": {"q0_process_bits": "2020-01-02T03:04:05Z"}}
    (cache / "progress.json").write_text(json.dumps({"solved": earlier}), encoding="utf-8")
    q0_process_bits.check(q0_process_bits.solve())
    assert solved_on_file(cache) == earlier


@pytest.mark.parametrize("answer", [..., None, 16, "sixty-four"],
                         ids=["untouched", "none", "wrong", "wrong-shape"])
def test_wrong_and_untouched_answers_record_nothing(cache: Path, answer: object) -> None:
    assert q0_process_bits.check(answer).state is not State.RIGHT
    assert not (cache / "progress.json").exists()


def test_the_worked_solution_never_counts(cache: Path) -> None:
    # Every notebook runs verify_solution on every run: it solves the exercise, the learner
    # has not.
    q0_process_bits.verify_solution()
    assert not (cache / "progress.json").exists()
    assert progress().solved == 0


def test_an_exercise_outside_the_kit_is_not_recorded(cache: Path) -> None:
    own = Exercise("q_own", "?", lambda a: (a == 1, "yes"), "", "answer = 1", "")
    assert own.check(1).state is State.RIGHT
    assert not (cache / "progress.json").exists()


def test_several_kernels_recording_at_once_lose_nothing(cache: Path, tmp_path: Path) -> None:
    # Six processes start together on a signal and record twenty names each.
    go = tmp_path / "go"
    code = ("import os, sys, time\n"
            "from interopkit.lessons import progress\n"
            "while not os.path.exists(sys.argv[2]):\n"
            "    time.sleep(0.005)\n"
            "for n in range(20):\n"
            "    note = progress._save('t1', f'p{sys.argv[1]}_{n}')\n"
            "    assert note == '', note\n")
    workers = [subprocess.Popen([sys.executable, "-c", code, str(k), str(go)],
                                stderr=subprocess.PIPE, text=True) for k in range(6)]
    time.sleep(1.0)  # let every interpreter import the kit and wait at the start line
    go.touch()
    errors = [worker.communicate(timeout=120)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 6, errors
    assert sorted(solved_on_file(cache)["t1"]) == sorted(f"p{k}_{n}" for k in range(6)
                                                         for n in range(20))
    assert sorted(p.name for p in cache.iterdir()) == ["progress.json", "progress.json.lock"]


DAMAGED = {
    "random": os.urandom(3000),
    "truncated": b'{"kit": "interopkit", "format": 1, "solved": {"00": {"q0_pro',
    "list": b"[1, 2, 3]",
    "solved-a-list": b'{"solved": ["q0_process_bits"]}',
    "time-a-number": b'{"solved": {"00": {"q0_process_bits": 5}}}',
    "deep": b"[" * 200_000,
    "huge": b'{"solved": {}}' + b" " * (2 << 20),
    "utf16": '{"solved": {}}'.encode("utf-16"),
    "empty": b"",
}


@pytest.mark.parametrize("name", DAMAGED)
def test_a_damaged_record_is_moved_aside_and_the_display_says_so(cache: Path, name: str) -> None:
    cache.mkdir()
    (cache / "progress.json").write_bytes(DAMAGED[name])
    shown = progress()
    assert shown.solved == 0 and len(shown.notebooks) == len(exercises_by_notebook())
    [kept] = aside(cache)
    assert kept.read_bytes() == DAMAGED[name]  # nothing lost
    assert "moved aside" in shown.notes[0] and str(kept) in shown.notes[0]
    assert "moved aside" in str(shown) and "moved aside" in shown._repr_html_()
    # Later displays still point at it.
    assert str(kept) in progress().notes[0]


@pytest.mark.parametrize("name", ["random", "solved-a-list", "deep"])
def test_check_moves_a_damaged_record_aside_and_still_records(cache: Path, name: str) -> None:
    cache.mkdir()
    (cache / "progress.json").write_bytes(DAMAGED[name])
    feedback = q0_process_bits.check(q0_process_bits.solve())
    assert feedback.state is State.RIGHT
    [kept] = aside(cache)
    assert kept.read_bytes() == DAMAGED[name]
    assert "could not be read" in feedback.progress and str(kept) in feedback.progress
    assert str(kept) in str(feedback) and "could not be read" in feedback._repr_html_()
    assert list(solved_on_file(cache)["00"]) == ["q0_process_bits"]


def test_a_folder_or_a_fifo_in_the_records_place_is_moved_aside(cache: Path) -> None:
    (cache / "progress.json").mkdir(parents=True)
    assert "not a regular file" in progress().notes[0]
    if hasattr(os, "mkfifo"):  # opened, a FIFO with no writer would block for ever
        os.mkfifo(cache / "progress.json")
        assert q0_process_bits.check(q0_process_bits.solve()).state is State.RIGHT
        assert len(aside(cache)) == 2 and "q0_process_bits" in solved_on_file(cache)["00"]


def test_an_unwritable_cache_still_gives_feedback(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A file where the folder should be: no folder can be made there, whoever runs the test
    # (root ignores permission bits).
    (tmp_path / "a_file").write_text("not a folder")
    monkeypatch.setenv("INTEROPKIT_CACHE", str(tmp_path / "a_file" / "cache"))
    right = q0_process_bits.solve()
    feedback = q0_process_bits.check(right)
    assert feedback.state is State.RIGHT and feedback.message == q0_process_bits.check(
        right).message
    assert feedback.progress.startswith("Your progress could not be saved in ")
    assert "a_file" in feedback.progress and "Traceback" not in str(feedback)
    shown = progress()
    assert shown.solved == 0 and "could not be read" in shown.notes[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the lock held from outside is POSIX's")
def test_a_lock_held_too_long_is_reported_not_waited_for(cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    monkeypatch.setattr(progress_module, "_LOCK_SECONDS", 0.3)
    cache.mkdir()
    with open(cache / "progress.json.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another descriptor: flock locks conflict
        started = time.monotonic()
        feedback = q0_process_bits.check(q0_process_bits.solve())
        assert time.monotonic() - started < 5
    assert feedback.state is State.RIGHT and "held" in feedback.progress
    assert not (cache / "progress.json").exists()


def test_totals_follow_the_kits_exercises(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exercise(name: str) -> Exercise:
        return Exercise(name, "?", lambda a: (True, ""), "", "answer = 1", "")

    kit = {"01": [exercise("qa"), exercise("qb")], "09": [exercise("qc")]}
    monkeypatch.setattr(progress_module, "exercises_by_notebook", lambda: kit)
    cache.mkdir()
    (cache / "progress.json").write_text(json.dumps({"solved": {
        "01": {"qb": "2026-01-01T00:00:00Z", "q_gone": "2026-01-01T00:00:00Z"},
        "04": {"q_old": "2026-01-01T00:00:00Z"}}}), encoding="utf-8")
    shown = progress()
    assert (shown.solved, shown.total) == (1, 3)  # names the kit no longer asks are ignored
    assert shown.as_json()["notebooks"] == [
        {"notebook": "01", "solved": ["qb"], "unsolved": ["qa"], "total": 2},
        {"notebook": "09", "solved": [], "unsolved": ["qc"], "total": 1}]
    record(kit["09"][0])
    assert progress("09").notebooks[0].solved == ("qc",)


def test_the_real_kit_totals(cache: Path) -> None:
    kit = exercises_by_notebook()
    shown = progress()
    assert [row.notebook for row in shown.notebooks] == list(kit)
    assert shown.total == sum(len(items) for items in kit.values())
    assert [row.total for row in shown.notebooks] == [len(items) for items in kit.values()]


def test_one_notebook_shows_its_line_and_the_whole_kit(cache: Path) -> None:
    q0_process_bits.check(q0_process_bits.solve())
    shown = progress("01")
    assert [row.notebook for row in shown.notebooks] == ["01"] and shown.solved == 1
    assert progress(1) == shown
    text = str(shown)
    assert "notebook 01" in text and "notebook 00" not in text
    assert f"all notebooks    1 / {shown.total}" in text
    assert "still to do: q1_machine" in text and str(progress_file()) in text
    assert "all solved" in str(progress("00"))
    page = shown._repr_html_()
    assert "<table>" in page and "q1_machine" in page and "nothing is graded" in page


def test_an_unknown_notebook_is_a_usage_error(cache: Path) -> None:
    with pytest.raises(UsageError, match=r"notebook '99'.* Give one of 00, 01"):
        progress("99")


def test_reset_moves_the_record_aside(cache: Path) -> None:
    assert reset() is None  # nothing yet
    q0_process_bits.check(q0_process_bits.solve())
    before = (cache / "progress.json").read_bytes()
    moved = reset()
    assert moved is not None and moved.name.startswith("progress.json.reset-")
    assert moved.read_bytes() == before and not (cache / "progress.json").exists()
    assert progress().solved == 0
    q0_process_bits.check(q0_process_bits.solve())
    second = reset()
    assert second is not None and second != moved and len(aside(cache, "reset")) == 2
