"""The Binder environment is fully pinned and installs the kit itself."""

import re
from pathlib import Path

BINDER = Path(__file__).resolve().parents[1] / "binder"


def requirements() -> dict[str, str]:
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)", line)
            assert match, f"not pinned to one exact version: {line!r}"
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_every_requirement_is_pinned_and_the_core_is_there() -> None:
    pins = requirements()
    for name in ("jupyterlab", "ipywidgets", "jupyterlab-widgets", "matplotlib", "pefile",
                 "unicorn", "capstone"):
        assert name in pins, name


def test_widget_front_end_matches_the_kernel_side() -> None:
    pins = requirements()
    assert pins["ipywidgets"].split(".")[0] == "8" and pins["jupyterlab-widgets"].startswith("3.")


def test_post_build_installs_the_kit_and_fails_loudly() -> None:
    script = (BINDER / "postBuild").read_text().splitlines()
    assert "set -e" in script
    assert any("pip install" in line and "-e ." in line for line in script)
