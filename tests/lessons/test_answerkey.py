"""The answer key holds every exercise the notebooks ask, under the notebook that asks it."""

import json
import re
import subprocess
import sys
from pathlib import Path

from interopkit.lessons.answerkey import answer_key, exercises_by_notebook

ROOT = Path(__file__).resolve().parents[2]


def asked_by_notebooks() -> dict[str, list[str]]:
    asked = {}
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        # q1_...: an exercise; m1_...: a quiz on a misconception (Check your understanding).
        asked[notebook.stem[:2]] = [m for s in sources
                                    for m in re.findall(r"([qm]\d+_\w+)\.check\(", s)]
    return asked


def test_every_exercise_is_in_the_key_in_the_notebooks_order() -> None:
    keyed = {nb: [e.name for e in items] for nb, items in exercises_by_notebook().items()}
    assert keyed == asked_by_notebooks()


def test_the_key_shows_each_solution_and_why() -> None:
    key = answer_key()
    for notebook, items in exercises_by_notebook().items():
        section = key.split(f"## Notebook {notebook}\n")[1].split("\n## ")[0]
        for exercise in items:
            solution = exercise.solution()
            assert f"### {exercise.name}" in section
            assert solution.code in section and solution.explanation in section


def test_solutions_command_writes_markdown(tmp_path: Path) -> None:
    out = tmp_path / "key.md"
    done = subprocess.run([sys.executable, "-m", "interopkit", "solutions", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("# interopkit answer key")
    assert out.read_text().count("\n### ") == sum(map(len, asked_by_notebooks().values()))
