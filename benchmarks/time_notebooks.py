"""Benchmark: how long each notebook takes to run, cell by cell, as a class would run it.

    python benchmarks/time_notebooks.py [--quick] [--save FILE.json] [NOTEBOOK...]

Runs every notebook (or the ones named) top to bottom in a fresh kernel with nbclient, in full
mode unless --quick (the mode the kit's tests use), and prints for each: the cells, the
exercises, the seconds the whole run took and its slowest cell. With --save, writes the figures
and the host they were measured on as JSON (the instructor guide quotes
``data/classroom/run_times.json``).

This is the machine's share of a lesson only: reading, discussion and exercises are people's
time, which the notebooks' headers estimate and a pilot run of the workshop should correct.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from interopkit.kit.host import host_info

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def time_notebook(path: Path) -> dict:
    """Run one notebook in a fresh kernel; the whole run and each code cell, in seconds."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.widget_registry = {}  # no Output widget imitation: see interopkit.site.run
    cells: list[float] = []
    started = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                began = time.perf_counter()
                client.execute_cell(cell, index)
                cells.append(time.perf_counter() - began)
    total = time.perf_counter() - started
    slowest = max(range(len(cells)), key=cells.__getitem__) if cells else 0
    return {"notebook": path.stem, "code_cells": len(cells),
            "exercises": sum(".check(" in c.source for c in notebook.cells
                             if c.cell_type == "code" and "hide-cell" not in c.metadata.get(
                                 "tags", [])),
            "seconds": round(total, 2), "slowest_cell_seconds": round(max(cells, default=0), 2),
            "slowest_cell": slowest + 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook stems (default: all)")
    parser.add_argument("--quick", action="store_true", help="the tests' quick mode")
    parser.add_argument("--save", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["INTEROPKIT_QUICK"] = "1"
    else:
        os.environ.pop("INTEROPKIT_QUICK", None)
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.stem in args.notebooks or p.name in args.notebooks]
        if not paths:
            parser.error(f"no notebook named {args.notebooks}")
    rows = []
    print(f"{'notebook':28} {'cells':>5} {'exercises':>9} {'seconds':>8} {'slowest cell':>14}")
    for path in paths:
        row = time_notebook(path)
        rows.append(row)
        print(f"{row['notebook']:28} {row['code_cells']:5} {row['exercises']:9} "
              f"{row['seconds']:8.1f} {row['slowest_cell_seconds']:8.1f} (#{row['slowest_cell']})",
              flush=True)
    print(f"all notebooks: {sum(r['seconds'] for r in rows):.1f} s "
          f"({'quick' if args.quick else 'full'} mode)")
    if args.save:
        info = host_info()
        host = {"os": info.os, "cpu": info.cpu, "python": info.python,
                "cpus": os.cpu_count(), "mode": "quick" if args.quick else "full"}
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps({"host": host, "notebooks": rows}, indent=1) + "\n")
        print(f"saved {args.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
