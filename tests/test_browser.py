"""Every notebook run the way a learner runs it: JupyterLab on 127.0.0.1, opened in headless
Chromium (Debian's ``chromium``, driven by Playwright with ``executable_path``; no browser is
downloaded), Run All Cells, then every widget checked in the page.

nbval cannot see widgets: with the front-end extension missing, an explorer shows as the text
``VBox(children=...)`` and nbval still passes. Here each notebook is first looked at as a learner
opens it, before anything runs: no saved widget view, no widget shown as text, no output except
the ones nbval compares. Then it runs, and each widget view that the same notebook produces when
executed by nbclient must be rendered in the page, each explorer must change its output when one
of its controls changes, and the self-check slider of notebook 00 must report that it was
rendered. Three more tests prove the checks can fail: a notebook saved with a widget view, a
JupyterLab with the widget extension disabled, and an explorer whose output is not wired to its
control.

On failure a screenshot of the page is saved under ``build/browser/`` and named in the message.
Chromium is installed with apt when it is missing and this runs as root (set
``INTEROPKIT_NO_INSTALL=1`` to forbid that); the tests skip, saying why, only when it cannot be.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import apt_install, free_port

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SHOTS = ROOT / "build" / "browser"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# What a widget looks like when no front end renders it: its Python repr as text.
TEXT_FALLBACKS = ("VBox(children=", "HBox(children=", "IntSlider(value=", "Dropdown(")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
# No autosave (the copies stay as copied), the notebook's own kernel started without asking,
# no news pop-up over the page, and every cell in the page (JupyterLab otherwise renders only the
# cells in view, and a first look must read every saved output).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True,
                                               "windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
}
RUN_TIMEOUT_S = float(os.environ.get("INTEROPKIT_BROWSER_TIMEOUT", "300"))
REACT_TIMEOUT_S = 60

pytestmark = pytest.mark.slow


def _chromium() -> str:
    """Debian's Chromium, installed with apt when missing and allowed; else skip."""
    reason = apt_install("chromium", lambda: shutil.which("chromium") is not None)
    if reason:
        pytest.skip(reason)
    return shutil.which("chromium")


class Lab:
    """A JupyterLab server on 127.0.0.1 serving a copy of the notebooks (so that nothing a
    test does, autosave included, can touch the committed ones)."""

    def __init__(self, home: Path, disabled: tuple[str, ...] = ()) -> None:
        self.port, self.token = free_port(), secrets.token_hex(16)
        shutil.copytree(ROOT / "notebooks", home / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        config = home / "config"
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {name: True for name in disabled}}))
        for plugin, values in LAB_SETTINGS.items():
            path = home / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config),
               "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
               "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "INTEROPKIT_QUICK": "1"}
        self.log = (home / "lab.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
             "--ip", "127.0.0.1", f"--port={self.port}", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={home}", "--LabApp.news_url=",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.home = home
        self._wait_ready()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        self.close()
        raise AssertionError("JupyterLab did not start:\n"
                             + (self.home / "lab.log").read_text()[-2000:])

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=20)
        self.log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def expected_views() -> dict[str, int]:
    """How many widget views each notebook produces when nbclient executes it (quick mode): the
    committed notebooks are clean, so the count comes from a real run, not from saved outputs."""
    import nbformat

    counts = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INTEROPKIT_QUICK", "1")  # the kernel inherits this process's environment
        for path in NOTEBOOKS:
            notebook = nbformat.read(path, as_version=4)
            _client(notebook, path.parent).execute()
            counts[path.name] = views_in(notebook)
    return counts


def views_in(notebook: Any) -> int:
    """Widget views held in a notebook's outputs."""
    return sum(WIDGET_MIME in output.get("data", {})
               for cell in notebook["cells"] for output in cell.get("outputs", []))


def open_notebook(browser: Any, lab: Lab, notebook: str) -> Any:
    """Open a notebook in a fresh page, as a learner does, and wait for its kernel."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(lab.url(f"lab/workspaces/t{secrets.token_hex(4)}/tree/notebooks/{notebook}")
              + "&reset")
    page.wait_for_selector(".jp-Notebook .jp-CodeCell")
    # Run only once the kernel is up: the status bar reads "Python 3 (ipykernel) | Idle".
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=120_000)
    return page


def first_look_problems(page: Any, notebook: Path) -> list[str]:
    """What a learner would wrongly see on opening a notebook before running anything."""
    problems = []
    text = page.locator(".jp-OutputArea-output").all_inner_texts()
    for fallback in TEXT_FALLBACKS:
        if any(fallback in part for part in text):
            problems.append(f"before running, a saved widget shows as text ({fallback}...)")
    views = page.locator(".jp-OutputArea-output > .jupyter-widgets").count()
    if views:
        problems.append(f"before running, {views} saved widget view(s) are on the page")
    # Only the cells whose output nbval compares may show one before they run.
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    checked = sum(len(c.get("outputs", [])) for c in cells
                  if "nbval-check-output" in c.get("metadata", {}).get("tags", []))
    if len(text) > checked:
        problems.append(f"before running, {len(text) - checked} saved output(s) answer cells "
                        "nobody has run")
    return problems


def run_all(page: Any, notebook: str) -> Any:
    """Clear the saved outputs, run all cells, and wait until no cell is queued or running."""
    for menu, item in (("Edit", "Clear Outputs of All Cells"), ("Run", "Run All Cells")):
        page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
        page.locator(".lm-Menu-itemLabel", has_text=item).first.click()
    try:
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                    .map(p => p.textContent.trim()).filter(t => t);
                return prompts.length && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
            }""", timeout=RUN_TIMEOUT_S * 1000, polling=500)
    except Exception as exc:
        shot = _shot(page, Path(notebook).stem + "_run")
        page.close()
        raise AssertionError(f"{notebook} did not finish running in {RUN_TIMEOUT_S} s "
                             f"(screenshot: {shot})") from exc
    return page


def open_and_run(browser: Any, lab: Lab, notebook: str) -> Any:
    """Open a notebook and run all its cells."""
    return run_all(open_notebook(browser, lab, notebook), notebook)


def _shot(page: Any, name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return str(path.relative_to(ROOT))


def widget_problems(page: Any, expected: int) -> list[str]:
    """What is wrong with the widgets on a page whose notebook has run (empty: nothing)."""
    problems = []
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    for i in range(errors.count()):
        problems.append("a cell wrote to stderr (an error or a warning every learner would "
                        f"see): {errors.nth(i).text_content()[:300]}")
    text = page.locator(".jp-OutputArea-output").all_inner_texts()
    for fallback in TEXT_FALLBACKS:
        if any(part.lstrip().startswith(fallback) for part in text):
            problems.append(f"a widget shows as text ({fallback}...): the front end did not "
                            "render it")
    if any(part.lstrip().startswith("<Figure size") for part in text):
        problems.append("a figure shows as text (<Figure size ...>): the kernel has no inline "
                        "backend (is MPLBACKEND set?)")
    views = page.locator(".jp-OutputArea-output > .jupyter-widgets")
    if views.count() != expected:
        problems.append(f"{views.count()} widget view(s) rendered, the notebook shows {expected}")
    for i in range(views.count()):
        problems += _reacts(page, views.nth(i), i)
    return problems


def _reacts(page: Any, view: Any, index: int, wait_s: float = REACT_TIMEOUT_S) -> list[str]:
    """Change one control of widget view ``index`` and check what depends on it follows."""
    view.scroll_into_view_if_needed()
    if _has(view, ".widget-slider"):
        readout = view.locator(".widget-readout")
        before = readout.inner_text()
        view.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        return _follows(page, readout, before, f"slider {index}", wait_s)
    if _has(view, ".widget-hprogress"):
        bar = view.locator(".progress-bar")
        width = bar.evaluate("el => el.style.width")
        return [] if width == "100%" else [f"progress bar {index} stopped at {width or '0'}"]
    if _has(view, ".widget-toggle-buttons"):
        # A picker over an Output that redraws a figure: the image must change.
        image = view.locator(".widget-output img").first
        before = image.get_attribute("src") or ""
        view.locator(".widget-toggle-button:not(.mod-active)").first.click()
        return _follows_attribute(page, image, "src", before, f"picker {index}", wait_s)
    selects, outputs = view.locator("select"), view.locator(".widget-html-content")
    if not selects.count() or not outputs.count():
        return [f"widget view {index} has no dropdown and output to try"]
    select = selects.first
    before = outputs.last.inner_text()
    chosen = select.evaluate("el => el.selectedIndex")
    select.select_option(index=1 if chosen != 1 else 0)
    return _follows(page, outputs.last, before, f"explorer {index}", wait_s)


def _has(view: Any, selector: str) -> bool:
    """Whether the view is, or holds, an element matching ``selector``."""
    return view.evaluate("(el, s) => el.matches(s) || !!el.querySelector(s)", selector)


def _follows(page: Any, output: Any, before: str, what: str, wait_s: float) -> list[str]:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if output.inner_text() != before:
            return []
        page.wait_for_timeout(250)
    return [f"{what} did not react: its output stayed {before[:120]!r}"]


def _follows_attribute(page: Any, element: Any, name: str, before: str, what: str,
                       wait_s: float) -> list[str]:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if (element.get_attribute(name) or "") != before:
            return []
        page.wait_for_timeout(250)
    return [f"{what} did not react: its picture stayed the same"]


def _check(page: Any, name: str, problems: list[str]) -> None:
    if problems:
        shot = _shot(page, name)
        raise AssertionError(f"{name}: " + "; ".join(problems) + f" (screenshot: {shot})")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_every_widget_renders_and_reacts(browser: Any, lab: Lab, notebook: Path,
                                         expected_views: dict[str, int]) -> None:
    expected = expected_views[notebook.name]
    assert expected, f"{notebook.name} shows no widget: the kit promises one per notebook"
    page = open_notebook(browser, lab, notebook.name)
    try:
        _check(page, notebook.stem + "_before", first_look_problems(page, notebook))
        run_all(page, notebook.name)
        _check(page, notebook.stem, widget_problems(page, expected))
    finally:
        page.close()


def test_the_self_check_of_notebook_00_sees_the_slider(browser: Any, lab: Lab) -> None:
    """Re-run the self-check cell once the slider is on screen: it must count a view."""
    page = open_and_run(browser, lab, "00_start_here.ipynb")
    try:
        cell = page.locator(".jp-CodeCell", has_text="render_status(").first
        cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Shift+Enter")
        output = cell.locator(".jp-OutputArea-output")
        output.filter(has_text="Widgets work").wait_for(timeout=REACT_TIMEOUT_S * 1000)
    except Exception:
        _check(page, "00_self_check", ["the self-check did not report a rendered slider"])
        raise
    finally:
        page.close()


def test_the_first_look_fails_on_a_notebook_saved_with_a_widget(
        browser: Any, lab: Lab, expected_views: dict[str, int]) -> None:
    """A notebook committed after a run shows its explorer as text before anything runs."""
    import nbformat

    notebook = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    _client(notebook, ROOT / "notebooks").execute()
    assert views_in(notebook) == expected_views["00_start_here.ipynb"]
    saved = lab.home / "notebooks" / "saved_run.ipynb"
    nbformat.write(notebook, saved)
    page = open_notebook(browser, lab, saved.name)
    try:
        problems = first_look_problems(page, saved)
    finally:
        page.close()
    assert any("shows as text" in p for p in problems), problems
    assert any("answer cells nobody has run" in p for p in problems), problems


def test_the_check_fails_when_the_widget_extension_is_missing(
        browser: Any, tmp_path: Path, expected_views: dict[str, int]) -> None:
    """The classic classroom failure, made on purpose: widgets must be reported as text."""
    broken = Lab(tmp_path, disabled=("@jupyter-widgets/jupyterlab-manager",))
    try:
        page = open_and_run(browser, broken, "00_start_here.ipynb")
        problems = widget_problems(page, expected_views["00_start_here.ipynb"])
        page.close()
    finally:
        broken.close()
    assert any("shows as text" in p for p in problems), problems
    assert any("0 widget view(s) rendered" in p for p in problems), problems


def test_the_check_fails_when_an_explorer_does_not_react(
        browser: Any, lab: Lab) -> None:
    """An explorer whose output is not wired to its control must be caught."""
    unwired = {"cells": [{"cell_type": "code", "execution_count": None, "id": "unwired",
                          "metadata": {}, "outputs": [], "source": [
                              "import ipywidgets as w\n",
                              "w.VBox([w.Dropdown(options=['a', 'b']), w.HTML('fixed')])"]}],
               "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}},
               "nbformat": 4, "nbformat_minor": 5}
    (lab.home / "notebooks" / "unwired.ipynb").write_text(json.dumps(unwired))
    page = open_and_run(browser, lab, "unwired.ipynb")
    try:
        view = page.locator(".jp-OutputArea-output > .jupyter-widgets").first
        problems = _reacts(page, view, 0, wait_s=5)
    finally:
        page.close()
    assert problems and "did not react" in problems[0], problems


def _client(notebook: Any, folder: Path) -> Any:
    """nbclient without its imitation of JupyterLab's Output widget, which stalled runs until
    the cell timeout after notebook 03's explorer (see interopkit.site.run)."""
    import nbclient

    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    client.widget_registry = {}
    return client
