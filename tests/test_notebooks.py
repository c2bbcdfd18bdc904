"""Every notebook keeps the kit's shape (TEACHING.md); nbval itself executes them."""

import json
import re
from pathlib import Path

import nbclean
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_header_states_objectives_time_and_prerequisites(path: Path) -> None:
    header = source(cells(path)[0])
    assert header.startswith("# ")
    objectives = re.findall(r"^- (\w+)", header.split("**You will:**")[1], flags=re.MULTILINE)
    assert 3 <= len(objectives) <= 6
    assert "**Time**" in header and re.search(r"\d+ minutes", header)
    assert "**Prerequisites**" in header and "**Your machine**" in header


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_helpers_and_never_define_them(path: Path) -> None:
    for cell in cells(path):
        if cell["cell_type"] == "code":
            text = source(cell)
            assert not re.search(r"^\s*(def|class) ", text, flags=re.MULTILINE), text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean(path: Path) -> None:
    """Opened before running, a notebook answers no prediction and shows no widget as text."""
    assert nbclean.problems(json.loads(path.read_text(encoding="utf-8"))) == []


def test_cleaner_finds_saved_outputs_and_widget_state() -> None:
    dirty = {"metadata": {"widgets": {}}, "cells": [
        {"cell_type": "code", "source": ["# NBVAL_CHECK_OUTPUT\n", "1"], "metadata": {},
         "execution_count": 3, "outputs": [{"output_type": "execute_result", "data": {
             "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}}]},
        {"cell_type": "code", "source": ["2"], "metadata": {"tags": [nbclean.CHECKED]},
         "execution_count": None, "outputs": []}]}
    found = nbclean.problems(dirty)
    assert len(found) == 5, found
    cleaned = nbclean.clean(dirty)
    assert nbclean.problems(cleaned) == [
        "cell 0: an NBVAL comment (use the cell tag 'nbval-check-output')",
        "cell 1: tagged 'nbval-check-output' but has no saved output"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_have_hidden_executed_solutions(path: Path) -> None:
    all_cells = cells(path)
    checks = {m for c in all_cells if c["cell_type"] == "code"
              for m in re.findall(r"([qm]\d+\w*)\.check\(answer\)", source(c))}
    solved = {m for c in all_cells if "hide-cell" in c.get("metadata", {}).get("tags", [])
              and c["metadata"].get("jupyter", {}).get("source_hidden")
              for m in re.findall(r"([qm]\d+\w*)\.verify_solution\(\)", source(c))}
    assert checks, "every notebook has at least one checked exercise"
    assert checks == solved


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_try_it_widget_key_points_and_sources(path: Path) -> None:
    text = "\n".join(source(c) for c in cells(path))
    assert re.search(r"from interopkit\.lessons\.\w+ import .*explorer", text)
    assert "## Key points" in text and "## Sources" in text
    assert "https://learn.microsoft.com" in text


def before_progress(path: Path) -> list[dict]:
    """The notebook's cells up to its closing "Your progress" section (00 has it mid-way)."""
    all_cells = cells(path)
    return all_cells[:-2] if source(all_cells[-2]).startswith("## Your progress") else all_cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_ends_with_the_next_step(path: Path) -> None:
    last = source(before_progress(path)[-1])
    later = [p.name for p in NOTEBOOKS if p.name > path.name]
    if later:
        assert "**Next:** [" in last and f"]({later[0]})" in last
    else:
        assert "00_start_here.ipynb" in last and "glossary.md" in last


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_cells_are_collapsed_and_say_nothing_about_tests(path: Path) -> None:
    for cell in cells(path):
        if "verify_solution()" in source(cell):
            assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
            assert not re.search(r"\btests?\b|NBVAL|nbval", source(cell)), source(cell)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_shows_the_learners_progress(path: Path) -> None:
    # At the very end (00: the whole kit, before its key points), where it is kept said.
    all_cells = cells(path)
    texts = [source(c) for c in all_cells]
    heading = next(i for i, t in enumerate(texts)
                   if re.match(r"## (\d+\. )?Your progress\n", t))
    shown = texts[heading + 1]
    assert all_cells[heading + 1]["cell_type"] == "code"
    assert shown.startswith("from interopkit.lessons.progress import progress\n")
    assert "only on this machine" in texts[heading] and "nothing is graded" in texts[heading]
    assert "`interopkit progress`" in texts[heading]
    if path.name.startswith("00"):
        assert shown.endswith("\nprogress()") and texts[heading + 2].startswith("## Key points")
    else:
        assert shown.endswith(f'\nprogress("{path.name[:2]}")') and heading == len(texts) - 2

