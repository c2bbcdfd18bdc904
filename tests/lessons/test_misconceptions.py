"""The guide's misconceptions and their quizzes: one quiz per row, under the right notebook, each
with a right answer that its worked solution finds and wrong answers that name the misconception."""

import json
import re
from pathlib import Path

import pytest

from interopkit.errors import UsageError
from interopkit.lessons import wow64
from interopkit.lessons.answerkey import exercises_by_notebook
from interopkit.lessons.exercise import Exercise, State
from interopkit.lessons.misconceptions import (
    MISCONCEPTIONS,
    Choice,
    Quiz,
    choice_quiz,
    misconception,
)
from interopkit.sources import SOURCES
from interopkit.wow64.redirect import Redirection

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")


def guide_rows() -> list[list[str]]:
    """The cells of each row of the guide's table "What learners usually get wrong"."""
    section = GUIDE.split("## What learners usually get wrong")[1].split("\n## ")[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| misconception | what is true | where | quiz |"), lines[0]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[1:]]


def quizzes_by_notebook() -> dict[str, list[Exercise]]:
    return {notebook: [e for e in items if isinstance(e, Quiz)]
            for notebook, items in exercises_by_notebook().items()}


QUIZZES = [quiz for items in quizzes_by_notebook().values() for quiz in items]


def test_the_guide_rows_and_the_data_are_one_to_one() -> None:
    rows = guide_rows()
    assert len(rows) == len(MISCONCEPTIONS)
    for cells, row in zip(rows, MISCONCEPTIONS):
        belief, truth, where, quiz = cells
        assert belief == f'"{row.belief}"', (belief, row.belief)
        assert truth == row.truth, row.key
        assert row.notebook in re.findall(r"\b\d\d\b", where), (row.key, where)
        assert quiz == f"{row.notebook} · {row.quiz}", (row.key, quiz)
        assert set(row.sources) <= set(SOURCES), row.key


def test_every_row_has_one_quiz_under_its_notebook() -> None:
    by_notebook = quizzes_by_notebook()
    for row in MISCONCEPTIONS:
        found = [quiz for quiz in by_notebook.get(row.notebook, []) if quiz.name == row.quiz]
        assert len(found) == 1, (row.quiz, row.notebook)
        assert found[0].about == row
    assert sorted(quiz.name for quiz in QUIZZES) == sorted(row.quiz for row in MISCONCEPTIONS)


def test_each_quiz_name_is_unique_across_the_kit() -> None:
    names = [e.name for items in exercises_by_notebook().values() for e in items]
    for row in MISCONCEPTIONS:
        assert names.count(row.quiz) == 1, row.quiz


@pytest.mark.parametrize("quiz", QUIZZES, ids=lambda q: q.name)
def test_untouched_is_not_attempted(quiz: Quiz) -> None:
    assert quiz.check().state is State.NOT_ATTEMPTED
    assert quiz.check(...).state is State.NOT_ATTEMPTED
    assert quiz.check(None).state is State.NOT_ATTEMPTED


@pytest.mark.parametrize("quiz", QUIZZES, ids=lambda q: q.name)
def test_the_right_answer_is_right_and_every_other_names_the_misconception(quiz: Quiz) -> None:
    about = quiz.about
    solved = quiz.solve()
    assert quiz.check(solved).state is State.RIGHT
    right = [answer for answer in quiz.known_answers if quiz.check(answer).state is State.RIGHT]
    assert right == ([solved] if quiz.choices else []), quiz.name
    wrong = [quiz.check(answer) for answer in quiz.known_answers if answer not in right]
    assert len(wrong) >= 2, quiz.name  # the misconception and at least one other
    for feedback in wrong:
        assert feedback.state is State.WRONG
        assert f'"{about.belief}"' in feedback.message and about.truth_text in feedback.message
    # One of the distractors is the misconception itself, and says so.
    assert any(f.message.startswith(f'That is the misconception "{about.belief}"')
               for f in wrong), quiz.name


@pytest.mark.parametrize("quiz", QUIZZES, ids=lambda q: q.name)
def test_the_worked_solution_verifies_and_the_hint_keeps_it(quiz: Quiz) -> None:
    note = quiz.verify_solution()
    assert f"{quiz.name}.solution()" in note and repr(quiz.solve()) not in note
    assert repr(quiz.solve()) not in quiz.hint().message
    assert quiz.solution().code in quiz.solution_code and quiz.explanation


@pytest.mark.parametrize("quiz", [q for q in QUIZZES if q.choices], ids=lambda q: q.name)
def test_a_choice_quiz_takes_a_letter_only(quiz: Quiz) -> None:
    letter = quiz.solve()
    assert quiz.check(f"({letter.upper()})").state is State.RIGHT
    assert "Answer with one letter" in quiz.check("z").message
    assert "wrong shape" in quiz.check(2).message


def test_a_value_quiz_says_what_form_its_answer_takes() -> None:
    (laa,) = [q for q in QUIZZES if q.name == "m16_laa_ceiling"]
    assert laa.check("4").message == "Give the answer as a number."
    assert laa.check(4 * 2**30).state is State.RIGHT  # the same size, in bytes


def test_the_checker_asks_the_model_when_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # A redirector that sent 64-bit processes to SysWOW64 would make (a) the right choice.
    wrong_model = Redirection("x", "C:\\Windows\\SysWOW64\\kernel32.dll", True, "", ())
    monkeypatch.setattr(wow64, "redirect_path", lambda *args: wrong_model)
    assert wow64.m1_system32.check("a").state is State.RIGHT
    assert wow64.m1_system32.check("b").state is State.WRONG


def test_a_model_answer_that_no_choice_matches_is_an_error() -> None:
    quiz = choice_quiz("system32", "Which?", [Choice("one", 1), Choice("two", 2)], believed=0,
                       model=lambda: 3, right="", hint="", solution_code="answer = 'a'\n",
                       explanation="")
    with pytest.raises(UsageError, match="has 0 choices that match the model's answer 3"):
        quiz.check("a")


def test_an_unknown_misconception_is_an_error() -> None:
    with pytest.raises(UsageError, match="is not a misconception of the guide's table"):
        misconception("System64")


def test_a_quiz_on_no_misconception_is_an_error() -> None:
    with pytest.raises(UsageError, match="is a quiz on no misconception"):
        Quiz("m0_none", "?", lambda answer: (True, ""), "", "answer = 1\n", "")


def _cells(notebook: str) -> list[tuple[str, str, dict]]:
    path = next((ROOT / "notebooks").glob(f"{notebook}_*.ipynb"))
    return [(c["cell_type"], "".join(c["source"]), c["metadata"])
            for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]


@pytest.mark.parametrize("quiz", QUIZZES, ids=lambda q: q.name)
def test_the_notebook_asks_it_as_the_exercises_are_asked(quiz: Quiz) -> None:
    cells = _cells(quiz.about.notebook)
    texts = [text for _, text, _ in cells]
    question = texts.index(quiz.markdown())  # the printed choices are the checked ones
    section = max(i for i, (kind, t, _) in enumerate(cells[:question])
                  if kind == "markdown" and t.startswith("#"))
    assert texts[section].startswith("### Check your understanding")
    assert any(re.search(r"^## .*Exercises$", t, re.MULTILINE) for t in texts[:section])
    key_points = next(i for i, t in enumerate(texts) if t.startswith("## Key points"))
    assert question < key_points
    kind, code, _ = cells[question + 1]
    assert kind == "code" and code.endswith(f"answer = ...\n{quiz.name}.check(answer)")
    _, solution, metadata = cells[question + 2]
    assert solution.endswith(f"{quiz.name}.verify_solution()")
    assert "hide-cell" in metadata["tags"] and metadata["jupyter"]["source_hidden"] is True
    # Nothing above the question shows its answer.
    assert not any(re.search(rf"{quiz.name}\.(solution|solve)\(", t) for t in texts[:question])
