import ast
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from interopkit.errors import UsageError
from interopkit.site import source
from interopkit.site.source import SOLUTION_TAG, Launch, conf_text, stage, with_solutions

ROOT = Path(__file__).resolve().parents[2]


def _code(text: str, tags: tuple[str, ...] = ()) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": text[:8].replace(".", "-"),
            "metadata": {"tags": list(tags)} if tags else {}, "outputs": [], "source": [text]}


def test_a_solution_cell_follows_each_verify_cell_and_nothing_else_changes() -> None:
    notebook = {"cells": [_code("q1_machine.check(answer)"),
                          _code("# checked\nq1_machine.verify_solution()", ("hide-cell",)),
                          {"cell_type": "markdown", "id": "md", "metadata": {},
                           "source": ["**q2.**"]},
                          _code("q2_sixty_four.verify_solution()", ("hide-cell",))],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    before = json.dumps(notebook)
    staged = with_solutions(notebook)
    assert json.dumps(notebook) == before, "the original notebook was modified"
    sources = ["".join(cell["source"]) for cell in staged["cells"]]
    assert sources[2] == "q1_machine.solution()" and sources[5] == "q2_sixty_four.solution()"
    assert len(sources) == 6
    for index in (2, 5):
        assert staged["cells"][index]["metadata"]["tags"] == ["remove-input", SOLUTION_TAG]
    assert len({cell["id"] for cell in staged["cells"]}) == 6


def test_every_exercise_of_every_lesson_gets_its_solution_cell() -> None:
    for path in source.lesson_notebooks(ROOT):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        verify = sum("verify_solution()" in "".join(c["source"]) for c in notebook["cells"])
        staged = with_solutions(notebook)
        added = [c for c in staged["cells"] if SOLUTION_TAG in c["metadata"].get("tags", [])]
        assert verify and len(added) == verify, path.name


def test_binder_links_for_github_and_for_any_other_host() -> None:
    github = Launch("https://github.com/someone/interopkit.git", branch="workshop")
    assert github.binder_link("notebooks/02_wow64.ipynb") == (
        "https://mybinder.org/v2/gh/someone/interopkit/workshop"
        "?urlpath=lab/tree/notebooks/02_wow64.ipynb")
    other = Launch("https://git.example.org/you/interopkit")
    assert other.binder_link("notebooks/x.ipynb").startswith(
        "https://mybinder.org/v2/git/https%3A%2F%2Fgit.example.org%2Fyou%2Finteropkit/main?")


def test_the_hub_link_is_nbgitpuller_opening_the_clone_folder() -> None:
    link = Launch("https://git.example.org/you/kit.git", "workshop",
                  "https://hub.school.example/").hub_link("notebooks/00_start_here.ipynb")
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("hub.school.example", "/hub/user-redirect/git-pull")
    assert parse_qs(parts.query) == {"repo": ["https://git.example.org/you/kit.git"],
                                     "branch": ["workshop"],
                                     "urlpath": ["lab/tree/kit/notebooks/00_start_here.ipynb"]}


def test_the_conf_is_plain_assignments() -> None:
    text = conf_text(Launch())
    settings = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse(text).body if isinstance(node, ast.Assign)}
    assert settings["nb_execution_mode"] == "off"  # interopkit.site.run has executed them
    assert settings["nb_output_stderr"] == "warn"  # with -W, a cell's stderr fails the build
    assert settings["nb_ipywidgets_js"] == {}  # no widget JavaScript from a CDN
    assert "interopkit.site.callouts" in settings["extensions"]
    assert "launch_buttons" not in settings["html_theme_options"]
    with_repo = conf_text(Launch("https://github.com/a/b", hub="https://hub.example.org"))
    assert "'jupyterhub_url': 'https://hub.example.org'" in with_repo


def test_stage_mirrors_the_clone_in_learning_order(tmp_path: Path) -> None:
    pages = stage(ROOT, tmp_path / "src", Launch(), "a test machine")
    lessons = [p for p in pages if p.startswith("notebooks/")]
    assert lessons == sorted(lessons) and lessons[0] == "notebooks/00_start_here"
    assert {"docs/glossary", "docs/sources", "docs/instructor_guide", "docs/jupyterhub",
            "launch", "index"} <= set(pages)
    for page in pages:
        suffix = ".ipynb" if page.startswith("notebooks/") else ".md"
        assert (tmp_path / "src" / f"{page}{suffix}").is_file(), page
    index = (tmp_path / "src" / "index.md").read_text(encoding="utf-8")
    assert index.index("notebooks/00_start_here") < index.index("notebooks/07_")
    assert "on a test machine" in index
    launch = (tmp_path / "src" / "launch.md").read_text(encoding="utf-8")
    assert "git.example.org/you/interopkit" in launch and "are templates" in launch


def test_stage_refuses_a_folder_without_lessons(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(UsageError, match="holds no lesson notebooks"):
        stage(tmp_path, tmp_path / "src", Launch(), "here")


def test_a_notebook_without_a_title_is_named(tmp_path: Path) -> None:
    path = tmp_path / "00_x.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": ["no title"]}]}))
    with pytest.raises(UsageError, match="00_x.ipynb: has no title"):
        source.title_of(path)


def test_stage_names_a_missing_docs_page(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "notebooks" / "00_a.ipynb").write_text(json.dumps(
        {"cells": [{"cell_type": "markdown", "id": "t", "metadata": {}, "source": ["# A"]}],
         "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(UsageError, match=r"glossary.md: is missing"):
        stage(tmp_path, tmp_path / "src", Launch(), "here")
