"""The website's Sphinx project, staged in a folder of its own from the kit's clone.

The committed notebooks are cleared (``tests/nbclean.py``), so the site executes copies of them;
the clone itself is never written to. The staged folder mirrors the clone (``notebooks/``,
``docs/``), so that the links the notebooks and docs already hold (``../docs/glossary.md``,
``02_wow64.ipynb``, ``#troubleshooting``) resolve on the site as they do on GitHub.

One thing is added to the copies, never to the committed notebooks: after each exercise's
collapsed solution cell (``q.verify_solution()``, tagged ``hide-cell``), a cell that shows the
worked solution (``q.solution()``), which ``interopkit.site.callouts`` puts behind a toggle: on
the site no kernel answers ``q.solution()``. Titles, objectives and key points come from the
notebooks as they are. The site's download button gives the committed notebook, not the copy.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from interopkit.errors import UsageError
from interopkit.kit.samples import PACKAGE_DIR

__all__ = ["DOC_PAGES", "SOLUTION_TAG", "Launch", "conf_text", "kit_root", "lesson_notebooks",
           "stage", "with_solutions"]

DOC_PAGES = {"Reference": ("glossary", "sources"), "Teaching": ("instructor_guide", "jupyterhub")}
"""The docs/ pages on the site, by section of the table of contents."""

SOLUTION_TAG = "interopkit-solution"
"""The tag of the solution cells added to the copies (``callouts`` puts them behind a toggle)."""

_VERIFY = re.compile(r"^\s*(\w+)\.verify_solution\(\)\s*$", re.MULTILINE)
_PLACEHOLDER_REPO = "https://git.example.org/you/interopkit"


@dataclass(frozen=True)
class Launch:
    """Where the site's launch links send a learner."""

    repository: str | None = None
    """The clone URL learners get the notebooks from (None: the links are shown as templates)."""
    branch: str = "main"
    """The branch the links follow (teach from one branch, docs/jupyterhub.md)."""
    hub: str | None = None
    """A class JupyterHub with nbgitpuller (None: the nbgitpuller link is shown as a template)."""
    binder: str = "https://mybinder.org"
    """The BinderHub that builds the repository's ``binder/`` environment."""

    def binder_link(self, notebook: str) -> str:
        """The Binder link that opens ``notebook`` (a path in the repository) in JupyterLab."""
        repository = self.repository or _PLACEHOLDER_REPO
        match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository)
        spec = (f"gh/{match.group(1)}/{match.group(2)}" if match else
                f"git/{quote(repository, safe='')}")
        return f"{self.binder.rstrip('/')}/v2/{spec}/{self.branch}?urlpath=lab/tree/{notebook}"

    def hub_link(self, notebook: str) -> str:
        """The nbgitpuller link: clone or update the repository on the hub, open ``notebook``.
        The clone lands in a folder named after the URL's last part (docs/jupyterhub.md)."""
        repository = self.repository or _PLACEHOLDER_REPO
        folder = repository.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        query = urlencode({"repo": repository, "branch": self.branch,
                           "urlpath": f"lab/tree/{folder}/{notebook}"})
        return f"{(self.hub or 'https://hub.example.org').rstrip('/')}/hub/user-redirect/" \
               f"git-pull?{query}"


def kit_root() -> Path:
    """The clone the package runs from: the folder holding ``notebooks/`` and ``docs/``."""
    root = PACKAGE_DIR.parent
    if not (root / "notebooks").is_dir() or not (root / "docs").is_dir():
        raise UsageError(str(root), "holds no notebooks/ and docs/ beside the installed package",
                         "Build the site from a clone of the kit, installed with "
                         "pip install -e \".[site]\"")
    return root


def lesson_notebooks(root: Path) -> list[Path]:
    """The lessons in learning-path order (their file names start 00, 01, ...)."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def with_solutions(notebook: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``notebook`` with a solution cell after each ``q.verify_solution()`` cell."""
    result = copy.deepcopy(notebook)
    cells = []
    for cell in result["cells"]:
        cells.append(cell)
        match = _VERIFY.search("".join(cell["source"])) if cell["cell_type"] == "code" else None
        if match is not None:
            cells.append({"cell_type": "code", "execution_count": None,
                          "id": f"site-solution-{match.group(1)}".replace("_", "-"),
                          "metadata": {"tags": ["remove-input", SOLUTION_TAG]},
                          "outputs": [], "source": [f"{match.group(1)}.solution()"]})
    result["cells"] = cells
    return result


def title_of(notebook: Path) -> str:
    """A notebook's title: the first heading of its first markdown cell."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise UsageError(str(notebook), "has no title (a first markdown cell starting '# ')",
                     "Give the notebook a title")


def stage(root: Path, dest: Path, launch: Launch, built_on: str) -> list[str]:
    """Write the Sphinx project into ``dest``; returns the pages (docnames) in reading order."""
    lessons = lesson_notebooks(root)
    if not lessons:
        raise UsageError(str(root / "notebooks"), "holds no lesson notebooks (NN_name.ipynb)",
                         "Build the site from a clone of the kit")
    (dest / "notebooks").mkdir(parents=True)
    for path in lessons:
        notebook = with_solutions(json.loads(path.read_text(encoding="utf-8")))
        (dest / "notebooks" / path.name).write_text(
            json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (dest / "docs").mkdir()
    for name in (name for names in DOC_PAGES.values() for name in names):
        page = root / "docs" / f"{name}.md"
        if not page.is_file():
            raise UsageError(str(page), "is missing: the site includes it",
                             "Build the site from a complete clone of the kit")
        shutil.copy2(page, dest / "docs" / f"{name}.md")
    lesson_pages = [f"notebooks/{path.stem}" for path in lessons]
    (dest / "index.md").write_text(_index(lessons, lesson_pages, built_on), encoding="utf-8")
    (dest / "launch.md").write_text(_launch_page(launch, lessons), encoding="utf-8")
    (dest / "conf.py").write_text(conf_text(launch), encoding="utf-8")
    docs = [f"docs/{name}" for names in DOC_PAGES.values() for name in names]
    return ["index", *lesson_pages, "launch", *docs]


def _index(lessons: list[Path], pages: list[str], built_on: str) -> str:
    toc = [("Lessons", [*pages, "launch"])]
    toc += [(caption, [f"docs/{name}" for name in names]) for caption, names in DOC_PAGES.items()]
    trees = "\n".join(f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n:hidden:\n\n"
                      + "\n".join(entries) + "\n```\n" for caption, entries in toc)
    rows = "\n".join(f"| [{title_of(path)}]({page}.ipynb) |" for path, page in zip(lessons, pages))
    return f"""# interopkit: 32-bit and 64-bit code on Windows

A course on Windows process interoperability between 32-bit and 64-bit code: why a 64-bit
process cannot load a 32-bit DLL, what WOW64 and the ARM64 emulators do, how a 32-bit DLL is
hosted in a surrogate process and called from a 64-bit client, which values survive the trip, and
what each crossing costs.

Every lesson here was run when this site was built, so its plots and tables come from a real run
(in quick mode: shorter experiments, the same code), on {built_on}. Your machine may answer
differently, and the lessons say why. The interactive explorers need a running kernel: open a
lesson in JupyterLab to use them ([run them yourself](launch.md)).

| the lessons, in learning order |
|---|
{rows}

New words are in the [glossary](docs/glossary.md); every source the lessons cite, and the
questions the sources leave open, are in [sources](docs/sources.md). Teaching a class? Read the
[instructor guide](docs/instructor_guide.md) and [running a class on
JupyterHub](docs/jupyterhub.md).

{trees}"""


def _launch_page(launch: Launch, lessons: list[Path]) -> str:
    first = f"notebooks/{lessons[0].name}"
    template = "" if launch.repository else (
        "\nThis copy of the site was built without a repository address (`interopkit site "
        "--repo URL`), so the links below are templates: replace `git.example.org/you/interopkit` "
        "with your clone's address")
    hub = "" if launch.hub else (
        " and `hub.example.org` with your hub (`interopkit site --hub URL` fills it in)")
    rows = "\n".join(f"| {path.stem} | [Binder]({launch.binder_link(f'notebooks/{path.name}')}) "
                     f"| [class hub]({launch.hub_link(f'notebooks/{path.name}')}) |"
                     for path in lessons)
    note = f"{template}{hub}." if template or hub else ""
    return f"""# Run the lessons yourself

The pages of this site show one run of each lesson. To run them, change them and answer the
exercises, open the notebooks in JupyterLab:

- **On your own machine** (Python 3.10 or later): clone the kit and follow its README: one
  command sets up a venv and opens `{first}`.
- **On mybinder.org**, for a try: Binder builds the kit's pinned `binder/` environment (it takes a
  few minutes the first time). At most 100 users per repository, a 10-minute idle timeout, and
  nothing is saved: not for a class.
- **On a class JupyterHub** with nbgitpuller: the link clones (first visit) or updates (later
  visits, keeping the learner's own changes) the repository in the learner's home and opens the
  notebook. Setting up the hub: [running a class on JupyterHub](docs/jupyterhub.md).
{note}

| lesson | try it | in class |
|---|---|---|
{rows}

The class hub link, for any file of the repository:

```
{launch.hub_link('notebooks/FILE').replace('FILE', '<file>')}
```
"""


def conf_text(launch: Launch) -> str:
    """The generated ``conf.py``: plain assignments, readable by an instructor."""
    theme: dict[str, Any] = {
        "home_page_in_toc": True, "show_navbar_depth": 1, "show_toc_level": 2,
        "use_download_button": True, "use_fullscreen_button": False,
        "navigation_with_keys": False,
    }
    if launch.repository:
        # The theme's own launch buttons on every lesson page (Binder, and nbgitpuller when a hub
        # is given); its hub link is the same nbgitpuller link as launch.md's.
        theme |= {"repository_url": launch.repository, "repository_branch": launch.branch,
                  "path_to_docs": "", "use_repository_button": True,
                  "launch_buttons": {"binderhub_url": launch.binder,
                                     "jupyterhub_url": launch.hub or "",
                                     "notebook_interface": "jupyterlab"}}
    settings: dict[str, Any] = {
        "project": "interopkit",
        "author": "the interopkit authors",
        "html_title": "interopkit",
        "extensions": ["myst_nb", "sphinx_copybutton", "sphinx_togglebutton",
                       "interopkit.site.callouts"],
        "exclude_patterns": ["**/.ipynb_checkpoints"],
        "html_theme": "sphinx_book_theme",
        "html_theme_options": theme,
        # Without it the theme's script logs "Got invalid theme mode" as a console error.
        "html_context": {"default_mode": "auto"},
        "html_last_updated_fmt": None,
        # interopkit.site.run has executed every lesson before Sphinx reads it.
        "nb_execution_mode": "off",
        "nb_merge_streams": True,
        # A cell that writes to stderr shows every reader an error or a warning: with -W, a
        # failed build (the browser test fails the same notebook in JupyterLab).
        "nb_output_stderr": "warn",
        # Widgets need a kernel: no widget JavaScript from a CDN (callouts puts a note instead).
        "nb_ipywidgets_js": {},
        # GitHub's anchors, which docs/ links use (#setup-on-learners-laptops).
        "myst_heading_anchors": 4,
        "copybutton_exclude": ".linenos, .gp, .go",
    }
    lines = ['"""Generated by interopkit site; see interopkit/site/source.py."""', ""]
    lines += [f"{name} = {value!r}" for name, value in settings.items()]
    return "\n".join(lines) + "\n"
