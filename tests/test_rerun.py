"""Notebooks 05 and 06 after Run All: every code cell runs again, forwards and then backwards, in
the same kernel, with no error, and no surrogate process is left running (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# Asked of the kernel itself: its live child processes (surrogates are its children).
_CHILDREN = """
import os, pathlib
_kids = []
for _stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
    try:
        _fields = _stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if int(_fields[1]) == os.getpid() and _fields[0] != "Z":
        _kids.append(_stat.parent.name)
print("CHILDREN", sorted(_kids))
"""


def _printed(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads child processes from /proc")
@pytest.mark.parametrize("name", ["05_com_surrogate", "06_handle_ptr_truncation"])
def test_every_cell_runs_again_in_any_order_and_nothing_keeps_running(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.reads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"),
                              as_version=4)
    monkeypatch.setenv("INTEROPKIT_QUICK", "1")  # the kernel inherits it
    probe = nbformat.v4.new_code_cell(_CHILDREN)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.widget_registry = {}  # no Output widget imitation: see interopkit.site.run
    order = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    notebook.cells.append(probe)
    with client.setup_kernel():
        for index in [*order, *order, *reversed(order)]:  # Run All, then again, then backwards
            client.execute_cell(notebook.cells[index], index)  # raises on any error
        client.execute_cell(probe, len(notebook.cells) - 1)
    assert "CHILDREN []" in _printed(probe), json.dumps(probe.get("outputs"))
