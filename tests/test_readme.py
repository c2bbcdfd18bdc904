"""The README's promises: its commands are the ones CI runs, its notebook list is complete."""

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks() -> list[str]:
    return re.findall(r"```\n(.*?)```", README, flags=re.DOTALL)


def test_the_two_commands_are_at_the_top() -> None:
    setup, test = code_blocks()[:2]
    assert "jupyter lab notebooks/00_start_here.ipynb" in setup
    assert "pip install -e \".[test,build]\"" in test and "pytest" in test
    assert README.index(test) < README.index("---")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = code_blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_every_notebook_is_listed_with_minutes() -> None:
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name in notebooks:
        row = next((line for line in README.splitlines() if line.startswith(f"| `{name}`")), "")
        assert row, f"{name} is missing from the README's notebook table"
        assert re.search(r"\| \d+ \|$", row), f"{name} has no minutes"


def test_runtime_dependencies_are_the_documented_ones() -> None:
    requirements = metadata.requires("interopkit") or []
    runtime = {re.split(r"[<>=!~ ;]", r)[0] for r in requirements if "extra ==" not in r}
    assert runtime == {"jupyterlab", "ipywidgets", "matplotlib", "pefile", "unicorn", "capstone"}
    for name in runtime:
        assert name in README.split("## Dependencies")[1], f"the README does not list {name}"
    test_extra = {re.split(r"[<>=!~ ;]", r)[0] for r in requirements if 'extra == "test"' in r}
    assert test_extra
    for name in test_extra:
        assert name in README, f"the README does not say why {name} is needed"
