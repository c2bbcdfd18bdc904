"""The instructor guide stays true to the notebooks and to what was measured."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "instructor_guide.md").read_text()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def table_row(prefix: str) -> list[str]:
    line = next(x for x in GUIDE.splitlines() if x.startswith(f"| {prefix} "))
    return [cell.strip() for cell in line.strip("|").split("|")]


def header_minutes(notebook: Path) -> tuple[int, int]:
    """The (teach, exercise) minutes of a notebook's header."""
    header = "".join(json.loads(notebook.read_text())["cells"][0]["source"])
    time_line = next(x for x in header.splitlines() if "**Time**" in x)
    first, second = (int(n) for n in re.findall(r"(\d+) minutes", time_line))
    return first, second


def test_planned_minutes_are_the_notebooks_own() -> None:
    total = 0
    for notebook in NOTEBOOKS:
        teach, exercises = header_minutes(notebook)
        row = table_row(notebook.stem[:2])
        assert row[1] == f"{teach} + {exercises}", (notebook.name, row)
        total += teach + exercises
    assert f"**{total} min" in GUIDE


def counts(notebook: Path) -> tuple[int, int]:
    """(code cells, checked exercises) of a notebook, counted as benchmarks/time_notebooks.py
    counts them: an exercise is a visible code cell that calls ``.check(``."""
    code = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    checked = sum(".check(" in "".join(c["source"]) for c in code
                  if "hide-cell" not in c["metadata"].get("tags", []))
    return len(code), checked


def test_run_times_are_the_measured_ones() -> None:
    figures = json.loads((ROOT / "data" / "classroom" / "run_times.json").read_text())
    assert figures["host"]["mode"] == "full"
    assert [row["notebook"] for row in figures["notebooks"]] == [nb.stem for nb in NOTEBOOKS]
    for row in figures["notebooks"]:
        cells = table_row(row["notebook"][:2])
        assert cells[4].startswith(f"{row['seconds']:.1f} s"), (row, cells)


def test_cell_and_exercise_counts_are_the_notebooks_own() -> None:
    totals = [0, 0]
    for notebook in NOTEBOOKS:
        code, checked = counts(notebook)
        assert table_row(notebook.stem[:2])[2:4] == [str(code), str(checked)], notebook.name
        totals = [totals[0] + code, totals[1] + checked]
    assert table_row("**all**")[2:4] == [str(totals[0]), str(totals[1])]
    assert f"notebook by notebook ({totals[1]} of them" in GUIDE


def test_the_three_hour_agenda_adds_up() -> None:
    section = GUIDE.split("## A 3-hour workshop")[1].split("\n## ")[0]
    minutes = [int(m) for m in re.findall(r"\| (\d+) min", section)]
    assert sum(minutes) == 180, minutes


def test_the_full_day_covers_every_notebook() -> None:
    section = GUIDE.split("## A full day")[1].split("\n## ")[0]
    for notebook in NOTEBOOKS:
        teach, exercises = header_minutes(notebook)
        row = next(x for x in section.splitlines() if f"| {notebook.stem[:2]} " in x)
        assert row.rstrip(" |").endswith(str(teach + exercises)), row


def test_links_in_the_guide_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", GUIDE):
        assert (ROOT / "docs" / target).exists(), target
