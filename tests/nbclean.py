"""Keep the committed notebooks as a learner should first see them (TEACHING.md, "nbval, as it
really behaves").

A learner opens a notebook before running it: no saved output may answer a "predict first" cell,
and no saved widget view may show as ``VBox(children=...)`` text. So every code cell is committed
without outputs and execution counts, except the cells whose output nbval compares; those carry
nbval's cell tag ``nbval-check-output`` and keep the output they were run with. The notebook-level
widget state is dropped.

Run ``python tests/nbclean.py`` after saving a notebook from JupyterLab; ``tests/test_notebooks.py``
fails on a notebook that is not clean.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECKED = "nbval-check-output"
# Cell metadata that only records a past run, never something an author chose.
RUN_METADATA = ("execution", "collapsed", "scrolled")


def is_checked(cell: dict) -> bool:
    """Is this a cell whose saved output nbval compares?"""
    return CHECKED in cell.get("metadata", {}).get("tags", [])


def clean(notebook: dict) -> dict:
    """The notebook as it is committed: outputs and run traces kept only where nbval checks them."""
    notebook["metadata"].pop("widgets", None)
    for cell in notebook["cells"]:
        metadata = cell.setdefault("metadata", {})
        for key in RUN_METADATA:
            metadata.pop(key, None)
        if cell["cell_type"] != "code":
            continue
        if not is_checked(cell):
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def problems(notebook: dict) -> list[str]:
    """What keeps a notebook from being clean, one line per cell."""
    found = []
    if "widgets" in notebook["metadata"]:
        found.append("notebook metadata holds saved widget state")
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        if "NBVAL" in text:
            found.append(f"cell {index}: an NBVAL comment (use the cell tag {CHECKED!r})")
        if is_checked(cell):
            if not cell["outputs"]:
                found.append(f"cell {index}: tagged {CHECKED!r} but has no saved output")
            continue
        if cell["outputs"] or cell["execution_count"] is not None:
            found.append(f"cell {index}: saved output or execution count")
        if any(key in cell.get("metadata", {}) for key in RUN_METADATA):
            found.append(f"cell {index}: run metadata")
    for output in (o for c in notebook["cells"] for o in c.get("outputs", [])):
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
            found.append("a saved widget view")
    return found


def main() -> int:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = clean(json.loads(path.read_text(encoding="utf-8")))
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            print(f"cleaned {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
