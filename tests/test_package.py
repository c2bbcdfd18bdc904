"""The public surface: every module's __all__ is real, and importing the kit stays cheap."""

import importlib
import pkgutil
import subprocess
import sys

import pytest

import interopkit

MODULES = sorted(m.name for m in pkgutil.walk_packages(interopkit.__path__, "interopkit.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    for symbol in getattr(module, "__all__", []):
        assert hasattr(module, symbol), f"{name}.__all__ lists missing {symbol}"


def test_lazy_top_level_names() -> None:
    for symbol in interopkit.__all__:
        assert getattr(interopkit, symbol) is not None
    with pytest.raises(AttributeError):
        interopkit.no_such_thing  # noqa: B018


def test_import_defers_heavy_dependencies() -> None:
    code = ("import sys, interopkit; print(sorted(m for m in ('pefile', 'matplotlib', "
            "'ipywidgets', 'unicorn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("dependency,owner", [("pefile", "images/inspection.py"),
                                              ("unicorn", "emulation/emulator.py")])
def test_each_dependency_is_wrapped_at_one_boundary(dependency: str, owner: str) -> None:
    from pathlib import Path

    package = Path(interopkit.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text()
        if f"import {dependency}" in text or f"from {dependency}" in text:
            assert path.relative_to(package).as_posix() == owner, path
