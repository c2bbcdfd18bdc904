"""The code stays ruff-clean (the house style), checked by the same test run as everything else."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean() -> None:
    if shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists():
        pytest.skip('ruff is not installed (pip install -e ".[test]")')
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "interopkit", "tests",
                             "benchmarks"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
