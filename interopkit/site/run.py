"""The site build's child process: execute every staged lesson, then run Sphinx over them.

    python -m interopkit.site.run WORK     (WORK holds src/; build.py starts this)

The lessons are executed here with nbclient, one kernel per notebook, in the notebook's folder,
before Sphinx reads them (MyST-NB then renders the outputs without executing anything). Doing it
here, rather than through MyST-NB, lets the build turn off nbclient's imitation of JupyterLab's
Output widget, which answers each output an Output widget captures with a comm message on the
kernel's shell channel while the cell still runs. With it, 3 builds in about 20 stalled until
the cell timeout (nbclient 0.11, ipykernel 7.4): the two looked at had just run notebook 03's
load-matrix explorer, whose Output widget draws a figure as it is made, and showed the kernel
idle with the cell done and nbclient still waiting for the cell's reply. The likely reason is
that comm message racing the reply (ipykernel tags what it sends with the last shell message it
read; see the discussion in ipykernel pull request 589); nbclient issue 312 reports the same
stall. Without the imitation, what an Output widget shows while its cell runs lands in the
cell's own outputs: the site shows an explorer's first figure as a still picture, above the
note that the explorer needs a kernel.

A lesson that raises stops the build with exit status 3 and one line on stderr starting with
``LESSON FAILED:``, naming the notebook and its error; Sphinx's own status is returned otherwise.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from interopkit.errors import ToolchainError

__all__ = ["CELL_TIMEOUT_S", "FAILED", "execute_lessons", "main"]

CELL_TIMEOUT_S = 300
"""Per cell: the slowest lesson cell takes 11 s in full mode (data/classroom/run_times.json)."""

FAILED = "LESSON FAILED:"
"""How a lesson's failure starts on stderr (``build.py`` reads it)."""

_REMEDY = "A lesson must run top to bottom: try it with pytest notebooks/NN_name.ipynb"


def execute_lessons(src: Path) -> None:
    """Run every notebook below ``src/notebooks`` top to bottom and save its outputs in place."""
    for path in sorted((src / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="",
                                allow_errors=False,
                                resources={"metadata": {"path": str(path.parent)}})
        client.widget_registry = {}  # no Output widget imitation: see the module's docstring
        started = time.perf_counter()
        name = path.relative_to(src).as_posix()
        try:
            client.execute()
        except CellExecutionError as exc:
            raise ToolchainError(name, f"failed to execute: {exc.ename}: {exc.evalue}",
                                 _REMEDY) from exc
        except CellTimeoutError as exc:
            raise ToolchainError(name, f"failed to execute: {str(exc).splitlines()[0]}",
                                 _REMEDY) from exc
        nbformat.write(notebook, path)
        print(f"{path.relative_to(src).as_posix()}: executed in "
              f"{time.perf_counter() - started:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Execute the lessons staged in WORK/src, then build WORK/build/html with warnings as
    errors; returns the exit status."""
    work = Path((argv if argv is not None else sys.argv[1:])[0])
    src = work / "src"
    # This process's temporary files (the kernels' connection files, which a stopped build
    # would leave behind) go in the build's folder, removed with it. The kernels' own
    # environment is left as it is: the kit finds Wine's server folder through it.
    tempfile.tempdir = str(work / "tmp")
    (work / "tmp").mkdir(exist_ok=True)
    try:
        execute_lessons(src)
    except ToolchainError as exc:
        print(f"{FAILED} {exc}", file=sys.stderr, flush=True)
        return 3
    from sphinx.cmd.build import build_main

    # -T: a crash's full traceback in the log.
    return build_main(["-b", "html", "-W", "--keep-going", "-q", "-T", "-d",
                       str(work / "doctrees"), str(src), str(work / "build" / "html")])


if __name__ == "__main__":
    sys.exit(main())
