"""The course as a website, built for real (``interopkit.site.build``): every lesson executed in
quick mode, then rendered by Sphinx with warnings as errors, once for this module (about a
minute).

Read from the HTML: every page is there in learning order with next/previous links, each lesson
shows the figures its executed notebook holds, the glossary and sources pages are there, and no
internal link or anchor is broken. Then, in headless Chromium (Debian's ``chromium`` driven by
Playwright, as in tests/test_browser.py), over a server on 127.0.0.1: every page opens with no
console error and no request leaving the machine, each lesson's plots are loaded and visible, a
solution opens from its toggle, and the search finds a word. Small builds prove that a lesson
which raises, writes to stderr or leaves a process running, a broken link, and a build past its
timeout each fail the build.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from conftest import apt_install

from interopkit.cli import main
from interopkit.errors import HostError, ToolchainError, UsageError
from interopkit.site import build as site_build
from interopkit.site.build import MANIFEST, SiteBuild, build_site
from interopkit.site.source import Launch

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [f"notebooks/{p.stem}" for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
REPO, HUB = "https://github.com/example/interopkit", "https://hub.example.org"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """What the checks need from one HTML page: its ids, links, images and classed elements."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[tuple[str, bool]] = []  # (src, inside a cell's output)
        self.classes: list[tuple[str, ...]] = []
        self._outputs: list[int] = []  # depth of the open cell_output divs
        self._depth = 0
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = tuple(values.get("class", "").split())
        if tag not in ("img", "link", "meta", "br", "hr", "input", "source"):
            self._depth += 1
            if tag == "div" and "cell_output" in classes:
                self._outputs.append(self._depth)
        for name in ("id", "name"):
            if values.get(name) and (name == "id" or tag == "a"):
                self.ids.add(values[name])
        for name in ("href", "src"):
            if values.get(name) and tag in ("a", "link", "script", "img"):
                self.links.append(values[name])
        if tag == "img":
            self.images.append((values.get("src", ""), bool(self._outputs)))
        self.classes.append(classes)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("img", "link", "meta", "br", "hr", "input", "source"):
            if self._outputs and self._outputs[-1] == self._depth:
                self._outputs.pop()
            self._depth -= 1

    def count(self, *names: str) -> int:
        return sum(all(name in classes for name in names) for classes in self.classes)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    return build_site(tmp_path_factory.mktemp("site") / "html", Launch(REPO, "workshop", HUB))


def _html(site: SiteBuild, page: str) -> Path:
    return site.out / f"{page}.html"


def test_every_page_is_built_in_learning_order(site: SiteBuild) -> None:
    assert [p for p in site.pages if p.startswith("notebooks/")] == LESSONS
    assert len(LESSONS) >= 8
    for page in site.pages:
        assert _html(site, page).is_file(), page
    manifest = json.loads((site.out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["pages"] == list(site.pages) and manifest["quick"] is True
    # The table of contents in the side bar lists the lessons in that order.
    index = _html(site, "index").read_text(encoding="utf-8")
    positions = [index.index(f'href="{lesson}.html"') for lesson in LESSONS]
    assert positions == sorted(positions)


def test_next_and_previous_links_follow_the_learning_path(site: SiteBuild) -> None:
    order = list(site.pages)
    for position, page in enumerate(order[1:-1], start=1):
        text = _html(site, page).read_text(encoding="utf-8")
        here = Path(page).parent
        for css, neighbour in (("left-prev", order[position - 1]),
                               ("right-next", order[position + 1])):
            match = re.search(rf'<a class="{css}"\s+href="([^"]+)"', text)
            assert match, (page, css)
            target = os.path.normpath(here / match.group(1).split("#")[0])
            assert target == f"{neighbour}.html", (page, css, target)


def test_every_lesson_page_shows_the_figures_of_its_run(site: SiteBuild) -> None:
    assert sum(site.figures.values()) >= len(LESSONS)  # the lessons draw (12 when written)
    for lesson in LESSONS:
        page = Page(_html(site, lesson))
        figures = [src for src, in_output in page.images if in_output]
        assert len(figures) == site.figures[lesson], lesson
        for src in figures:
            image = (_html(site, lesson).parent / unquote(src)).resolve()
            assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", (lesson, src)
        text = _html(site, lesson).read_text(encoding="utf-8")
        assert "&lt;Figure size" not in text and "VBox(children=" not in text, lesson


def test_lessons_have_their_boxes_toggles_and_launch_links(site: SiteBuild) -> None:
    for lesson in LESSONS:
        notebook = json.loads((ROOT / f"{lesson}.ipynb").read_text(encoding="utf-8"))
        solutions = sum("verify_solution()" in "".join(cell["source"])
                        for cell in notebook["cells"])
        page = Page(_html(site, lesson))
        assert page.count("admonition", "objectives") == 1, lesson
        assert page.count("admonition", "key-points") == 1, lesson
        assert page.count("admonition", "exercise") == solutions, lesson
        assert page.count("admonition", "dropdown", "solution") == solutions, lesson
        links = " ".join(page.links)
        assert f"https://mybinder.org/v2/gh/example/interopkit/workshop?urlpath=lab/tree/" \
               f"{lesson}.ipynb" in links, lesson
        assert f"{HUB}/hub/user-redirect/git-pull?repo=" in links, lesson
        assert f"urlpath=lab/tree/interopkit/{lesson}.ipynb" in links, lesson
        # Its download button gives the notebook as the kit ships it (no added solution cell).
        download = site.out / "_sources" / f"{lesson}.ipynb"
        assert f"_sources/{lesson}.ipynb" in links, lesson
        assert download.read_bytes() == (ROOT / f"{lesson}.ipynb").read_bytes(), lesson
    notes = sum(Page(_html(site, lesson)).count("admonition", "widget-note") for lesson in LESSONS)
    assert notes >= len(LESSONS) - 1  # every lesson has an explorer; they need a kernel


def test_the_glossary_sources_and_guides_are_pages(site: SiteBuild) -> None:
    for name, heading in (("glossary", "Glossary"), ("sources", "Open questions"),
                          ("instructor_guide", "Troubleshooting"),
                          ("jupyterhub", "nbgitpuller links")):
        text = _html(site, f"docs/{name}").read_text(encoding="utf-8")
        assert heading in text, name
    # Every term keeps its anchor (docs/glossary.md's <a id="...">), for links to a term.
    terms = re.findall(r'<a id="([^"]+)"></a>', (ROOT / "docs" / "glossary.md").read_text())
    assert len(terms) > 30
    assert set(terms) <= Page(_html(site, "docs/glossary")).ids
    assert (site.out / "searchindex.js").is_file() and _html(site, "search").is_file()


def test_no_internal_link_is_broken(site: SiteBuild) -> None:
    pages = {path: Page(path) for path in site.out.rglob("*.html")}
    broken = []
    checked = 0
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            checked += 1
            if not target.exists():
                broken.append(f"{path.relative_to(site.out)}: {link}")
            elif parts.fragment and target.suffix == ".html" and \
                    parts.fragment not in pages[target].ids:
                broken.append(f"{path.relative_to(site.out)}: {link} (no such anchor)")
    assert checked > 500
    assert broken == []


# -- in a browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site: SiteBuild) -> Iterator[str]:
    """The site over HTTP on 127.0.0.1, as a learner's browser would get it."""
    handler = functools.partial(_QuietHandler, directory=str(site.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = apt_install("chromium", lambda: shutil.which("chromium") is not None)
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    """A page with every console error, script error, failed or non-local request recorded."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)

    def local_only(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request leaving the machine: {route.request.url}")
            route.abort()

    page.route("**/*", local_only)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # the theme's scripts run after load
    return page, problems


def test_every_page_opens_without_a_console_error(site: SiteBuild, served: str,
                                                  browser: Any) -> None:
    pages = sorted(p.relative_to(site.out).as_posix() for p in site.out.rglob("*.html"))
    assert len(pages) >= len(site.pages)
    found = {}
    for name in pages:
        page, problems = _open(browser, f"{served}/{name}")
        page.close()
        if problems:
            found[name] = problems
    assert found == {}


def test_each_lesson_shows_its_plots(site: SiteBuild, served: str, browser: Any) -> None:
    for lesson in LESSONS:
        page, problems = _open(browser, f"{served}/{lesson}.html")
        try:
            images = page.locator(".cell_output img")
            assert images.count() == site.figures[lesson], lesson
            for i in range(images.count()):
                image = images.nth(i)
                image.scroll_into_view_if_needed()
                assert image.is_visible(), (lesson, i)
                size = image.evaluate("el => [el.complete, el.naturalWidth, el.naturalHeight]")
                assert size[0] and size[1] > 50 and size[2] > 50, (lesson, i, size)
            assert problems == [], lesson
        finally:
            page.close()


def test_a_solution_opens_from_its_toggle_and_search_finds_a_word(
        served: str, browser: Any) -> None:
    page, problems = _open(browser, f"{served}/{LESSONS[1]}.html")
    try:
        box = page.locator(".admonition.solution").first
        body = box.locator("pre").first
        assert not body.is_visible()  # hidden until asked for
        box.locator(".toggle-button").first.click()
        body.wait_for(state="visible")
        assert "answer" in body.inner_text()
    finally:
        page.close()
    assert problems == []
    page, problems = _open(browser, f"{served}/search.html?q=WOW64")
    try:
        page.locator("#search-results li").first.wait_for(timeout=30_000)
        assert page.locator("#search-results li").count() >= 3
    finally:
        page.close()
    assert problems == []


# -- what fails the build -------------------------------------------------------------------


def _mini_root(tmp_path: Path, source: str) -> Path:
    """A clone-shaped folder with one lesson whose only code cell is ``source``."""
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    (root / "docs").mkdir()
    for name in ("glossary", "sources", "instructor_guide", "jupyterhub"):
        (root / "docs" / f"{name}.md").write_text(f"# {name}\n")
    cell = {"cell_type": "code", "execution_count": None, "id": "c", "metadata": {},
            "outputs": [], "source": [source]}
    title = {"cell_type": "markdown", "id": "t", "metadata": {}, "source": ["# 00 · A lesson"]}
    notebook = {"cells": [title, cell], "nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                            "language": "python"}}}
    (root / "notebooks" / "00_lesson.ipynb").write_text(json.dumps(notebook))
    return root


def test_a_lesson_that_raises_fails_the_build(tmp_path: Path) -> None:
    root = _mini_root(tmp_path, "raise ValueError('made to fail')")
    reports = set(Path(tempfile.gettempdir()).glob("sphinx-err-*.log"))
    with pytest.raises(ToolchainError, match=r"a lesson failed: notebooks/00_lesson.ipynb: "
                                             r"failed to execute: ValueError: made to fail"):
        build_site(tmp_path / "out", root=root, timeout=600)
    assert not (tmp_path / "out").exists()
    assert set(Path(tempfile.gettempdir()).glob("sphinx-err-*.log")) == reports


def test_a_lesson_writing_to_stderr_fails_the_build(tmp_path: Path) -> None:
    root = _mini_root(tmp_path, "import sys\nprint('a warning', file=sys.stderr)")
    with pytest.raises(ToolchainError, match=r"00_lesson.ipynb:\d+: WARNING: .*stderr"):
        build_site(tmp_path / "out", root=root, timeout=600)


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    root = _mini_root(tmp_path, "print('fine')")
    (root / "docs" / "glossary.md").write_text(
        "# glossary\n\nSee [a lesson](../notebooks/99.ipynb).\n")
    with pytest.raises(ToolchainError, match=r"docs/glossary.md:3: WARNING: .*99.ipynb"):
        build_site(tmp_path / "out", root=root, timeout=600)


def test_a_lesson_that_leaves_a_process_running_fails_the_build(tmp_path: Path) -> None:
    root = _mini_root(tmp_path, "import subprocess\n"
                                "subprocess.Popen(['sleep', '600'], start_new_session=True)")
    with pytest.raises(HostError, match=r"left processes running, now ended: sleep \(") as info:
        build_site(tmp_path / "out", root=root, timeout=600)
    pid = int(re.search(r"sleep \((\d+)\)", str(info.value)).group(1))
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def test_a_build_past_its_timeout_is_stopped_with_its_kernel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _mini_root(tmp_path, "import time\ntime.sleep(600)")
    monkeypatch.setattr(site_build.secrets, "token_hex", lambda size: "feedc0de")
    before = set(Path(tempfile.gettempdir()).glob("tmp*.json"))
    with pytest.raises(ToolchainError, match=r"did not finish within 12 s and was stopped"):
        build_site(tmp_path / "out", root=root, timeout=12)
    assert site_build.leftover_processes("feedc0de") == []
    # No kernel connection file of the stopped build is left in the temporary folder (other
    # kernels on this machine may come and go meanwhile: only new files that stay count).
    new = set(Path(tempfile.gettempdir()).glob("tmp*.json")) - before
    assert {path for path in new if path.exists() and not _kernel_running(path)} == set()


def _kernel_running(connection_file: Path) -> bool:
    """Whether a running process was started with this connection file (someone's kernel)."""
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if connection_file.name.encode() in path.read_bytes():
                return True
        except OSError:
            continue  # ended meanwhile
    return False


def test_a_missing_builder_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setattr(site_build, "_absent", lambda module: module == "myst_nb")
    with pytest.raises(ToolchainError, match=r"myst_nb: not installed.*\.\[site\]"):
        build_site(tmp_path / "out")


def test_out_must_be_a_new_or_empty_folder_or_an_earlier_site(tmp_path: Path) -> None:
    file = tmp_path / "a_file"
    file.write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        build_site(file)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("an instructor's own file")
    with pytest.raises(UsageError, match="with files in it that no site build made"):
        build_site(tmp_path / "mine")


def test_the_command_line_verb_loads_no_notebook_library_or_sphinx(tmp_path: Path) -> None:
    file = tmp_path / "a_file"
    file.write_text("x")
    code = ("import sys\nfrom interopkit.cli import main\n"
            f"code = main(['site', '--out', {str(file)!r}])\n"
            "print(code, sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython', 'sphinx', "
            "'myst_nb', 'docutils') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.stdout.strip() == "2 []", result.stderr
    assert result.stderr.strip() == f"interopkit: {file}: is a file, not a folder. " \
                                    "Give --out a folder"
    assert main(["site", "--out", str(file)]) == 2
