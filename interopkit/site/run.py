"""The site build's child process: execute every staged lesson, then run Sphinx over them.

    python -m interopkit.site.run WORK     (WORK holds src/; build.py starts this)

The lessons are executed here with nbclient, one kernel per notebook, in the notebook's folder,
before Sphinx reads them (MyST-NB then renders the outputs without executing anything). Doing it
here, rather than through MyST-NB, lets the build wait for a kernel's replies patiently: once in
a few builds, after a cell that shows a widget, the reply of a kernel that had already finished
the cell and gone idle was never picked up, and the build sat waiting for the whole cell timeout
(nbclient 0.11 with ipykernel 7.4; nbclient issue 312 reports the same). ``PatientChannel``
polls in steps of a second, so a reply that a single long poll missed is read on the next step.

A lesson that raises stops the build with exit status 3 and one line on stderr starting with
``LESSON FAILED:``, naming the notebook and its error; Sphinx's own status is returned otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from traitlets import DottedObjectName, Type

from interopkit.errors import ToolchainError

__all__ = ["CELL_TIMEOUT_S", "FAILED", "PatientChannel", "PatientClient", "PatientManager",
           "execute_lessons", "main"]

CELL_TIMEOUT_S = 300
"""Per cell: the slowest lesson cell takes 11 s in full mode (data/classroom/run_times.json)."""

FAILED = "LESSON FAILED:"
"""How a lesson's failure starts on stderr (``build.py`` reads it)."""

_STEP_S = 1.0
_REMEDY = "A lesson must run top to bottom: try it with pytest notebooks/NN_name.ipynb"


class PatientChannel(AsyncZMQSocketChannel):
    """A kernel channel whose wait for a message is a series of short polls (see above)."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _STEP_S if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await super().get_msg(timeout=min(_STEP_S, left))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class PatientClient(AsyncKernelClient):
    """nbclient's kernel client, with patient shell and IOPub channels."""

    shell_channel_class = Type(PatientChannel)
    iopub_channel_class = Type(PatientChannel)


class PatientManager(AsyncKernelManager):
    """A kernel manager whose clients are ``PatientClient``s."""

    client_class = DottedObjectName("interopkit.site.run.PatientClient")


def execute_lessons(src: Path) -> None:
    """Run every notebook below ``src/notebooks`` top to bottom and save its outputs in place."""
    for path in sorted((src / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="",
                                kernel_manager_class=PatientManager, allow_errors=False,
                                resources={"metadata": {"path": str(path.parent)}})
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
