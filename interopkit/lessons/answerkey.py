"""The instructor's answer key: every exercise's worked solution, notebook by notebook.

The notebooks keep their solutions hidden, not removed (``q.solution()`` shows one when a
learner asks). An instructor who wants them on paper prints them all with
``interopkit solutions`` (``--out key.md`` writes Markdown). The key is made from the same
``Exercise`` objects the notebooks check against, so it cannot differ from what they accept.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from interopkit import lessons
from interopkit.lessons.exercise import Exercise
from interopkit.lessons.misconceptions import Quiz

__all__ = ["answer_key", "exercises_by_notebook"]


def _asked_order(exercise: Exercise) -> tuple[bool, int]:
    """Where a notebook asks it: its exercises (q1, q2 ...) first, then its quizzes on the
    guide's misconceptions (m1, m8 ...), each in the order of its number."""
    number = re.match(r"[a-z](\d+)_", exercise.name)
    return isinstance(exercise, Quiz), int(number.group(1)) if number else 0


def exercises_by_notebook() -> dict[str, list[Exercise]]:
    """The exercises of each notebook ("00", "01", ...), in the order the notebook asks them
    (``_asked_order``); a module's docstring names its notebook."""
    found: dict[str, list[Exercise]] = {}
    for module_info in pkgutil.iter_modules(lessons.__path__):
        module = importlib.import_module(f"{lessons.__name__}.{module_info.name}")
        match = re.search(r"notebook (\d\d)", module.__doc__ or "")
        if match is None:
            continue
        items = [getattr(module, name) for name in module.__all__]
        exercises = [item for item in items if isinstance(item, Exercise)]
        if exercises:  # a helper module that names a notebook but asks nothing adds nothing
            found.setdefault(match.group(1), []).extend(exercises)
    return {notebook: sorted(items, key=_asked_order) for notebook, items in sorted(found.items())}


def answer_key() -> str:
    """Every worked solution as Markdown, with why it is right."""
    parts = ["# interopkit answer key", "",
             ("Worked solutions of every checked exercise; each notebook also shows its own "
              "with `q.solution()`."), ""]
    for notebook, items in exercises_by_notebook().items():
        parts += [f"## Notebook {notebook}", ""]
        for exercise in items:
            solution = exercise.solution()
            parts += [f"### {exercise.name}", "", "```python", solution.code, "```", "",
                      solution.explanation, ""]
    return "\n".join(parts)
