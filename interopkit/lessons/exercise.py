"""Checked exercises for the notebooks: ``check()``, ``hint()`` and ``solution()``.

Each notebook imports its exercises from a module of this package (``bitness`` for notebook
01, ...). A learner writes an answer and calls ``q.check(answer)``; the checker says one of
three things: not attempted yet (the answer is still ``...`` or None), wrong (with a message
aimed at the likely mistake), or right. Expected answers are computed from the real files
and the real host when the check runs, never written down as constants the learner could
contradict.

Solutions are code: ``q.solution()`` shows it and ``q.solve()`` runs it and returns the
answer. Each notebook has a collapsed cell calling ``q.verify_solution()``, which runs the
worked solution and checks it without printing it, so nbval proves every solution right on
every run while a learner who runs all cells does not see the answer.

A learner's right answer is recorded on this machine (``interopkit.lessons.progress``), so that
each notebook can show what is solved; the worked solution checked by ``verify_solution`` never
is.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["NOT_ATTEMPTED", "Exercise", "Feedback", "State"]

NOT_ATTEMPTED: Any = ...
"""The placeholder a notebook puts where the learner's answer goes."""


class State(Enum):
    """Where a learner stands on an exercise."""

    NOT_ATTEMPTED = "not attempted"
    WRONG = "not yet"
    RIGHT = "correct"


_COLOURS = {State.NOT_ATTEMPTED: "#555555", State.WRONG: "#b03000", State.RIGHT: "#1a7f37"}


@dataclass(frozen=True)
class Feedback:
    """The outcome of one check."""

    exercise: str
    """The exercise's name."""
    state: State
    """Not attempted, wrong or right."""
    message: str
    """What to do next, or why the answer is right."""
    progress: str = ""
    """Why the learner's progress could not be saved, or what happened to an unreadable record;
    empty when all went well."""

    def __str__(self) -> str:
        text = f"[{self.exercise}] {self.state.value}: {self.message}"
        return f"{text}\n{self.progress}" if self.progress else text

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.state]
        note = (f'<br><small style="color: #b03000">{html.escape(self.progress)}</small>'
                if self.progress else "")
        return (f'<div style="border-left: 4px solid {colour}; padding: 4px 8px;">'
                f'<b style="color: {colour}">{html.escape(self.state.value.capitalize())}'
                f'</b> ({html.escape(self.exercise)}): {html.escape(self.message)}{note}</div>')

    def __repr__(self) -> str:
        return str(self)


Checker = Callable[[Any], "tuple[bool, str]"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: a question, a checker, a hint and a solution."""

    name: str
    """Short identifier shown in feedback (``q1_machine`` ...)."""
    question: str
    """The task, as the notebook states it."""
    checker: Checker
    """Returns (right?, message) for an attempted answer."""
    hint_text: str
    """A nudge that does not give the answer away."""
    solution_code: str
    """Python code that leaves the right answer in a variable called ``answer``."""
    explanation: str
    """Why the solution is right, shown with it."""
    not_attempted_text: str = "Replace the ... with your answer and run the cell again."
    """What to do when the answer is ``...`` or None (the cell's own wording)."""

    def check(self, answer: Any = NOT_ATTEMPTED) -> Feedback:
        """Check a learner's answer; ``...`` or None means not attempted yet. A right answer is
        recorded in the learner's progress (``interopkit.lessons.progress``)."""
        feedback = self._judge(answer)
        if feedback.state is State.RIGHT:
            # Imported here: progress finds the notebooks' exercises, which import this module.
            from interopkit.lessons.progress import record

            note = record(self)
            if note:
                feedback = dataclasses.replace(feedback, progress=note)
        return feedback

    def _judge(self, answer: Any) -> Feedback:
        """The checker's verdict alone: recorded nowhere (``verify_solution`` uses it)."""
        if answer is NOT_ATTEMPTED or answer is None:
            return Feedback(self.name, State.NOT_ATTEMPTED,
                            f"{self.not_attempted_text} Stuck? Call {self.name}.hint().")
        try:
            right, message = self.checker(answer)
        except (TypeError, ValueError) as exc:
            return Feedback(self.name, State.WRONG, f"That answer has the wrong shape: {exc}")
        return Feedback(self.name, State.RIGHT if right else State.WRONG, message)

    def hint(self) -> Feedback:
        """A hint, shown as not-attempted feedback."""
        return Feedback(self.name, State.NOT_ATTEMPTED, f"Hint: {self.hint_text}")

    def solution(self) -> Solution:
        """The solution code and why it is right."""
        return Solution(self.name, self.solution_code.strip(), self.explanation)

    def verify_solution(self) -> Note:
        """Run the worked solution and check it; raise if it is wrong; reveal nothing."""
        # Judged, never recorded: the worked solution solving it says nothing of the learner.
        feedback = self._judge(self.solve())
        if feedback.state is not State.RIGHT:
            raise AssertionError(f"the worked solution of {self.name} is wrong: {feedback}")
        return Note(f"The worked solution of {self.name} was run and checked. When you have "
                    f"tried, {self.name}.solution() shows it.")

    def solve(self) -> Any:
        """Run the solution code and return its answer."""
        scope: dict[str, Any] = {}
        exec(compile(self.solution_code, f"<solution {self.name}>", "exec"), scope)  # noqa: S102
        return scope["answer"]


class Note(str):
    """A line of text that a notebook shows as text, not as a quoted string."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<p style="color:#555555"><small>{html.escape(self)}</small></p>'


@dataclass(frozen=True)
class Solution:
    """A solution as a notebook shows it."""

    exercise: str
    """The exercise's name."""
    code: str
    """The code."""
    explanation: str
    """Why it is right."""

    def __str__(self) -> str:
        return f"Solution to {self.exercise}:\n{self.code}\n\n{self.explanation}"

    def _repr_html_(self) -> str:
        return (f"<b>Solution to {html.escape(self.exercise)}</b><pre>{html.escape(self.code)}"
                f"</pre><p>{html.escape(self.explanation)}</p>")

    def __repr__(self) -> str:
        return str(self)
