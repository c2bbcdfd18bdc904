"""Shared fixtures: the kit's real samples and a set of broken files made from them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interopkit.samples import sample_path

# The test command runs notebooks in quick mode; a learner's JupyterLab runs full mode.
os.environ.setdefault("INTEROPKIT_QUICK", "1")

# What each sample must be, written here independently of the kit's own tables:
# (os, arch) -> (format, machine name, bits, kind)
EXPECTED_SAMPLES = {
    ("windows", "x86"): ("PE", "I386", 32, "dll"),
    ("windows", "x64"): ("PE", "AMD64", 64, "dll"),
    ("windows", "arm64"): ("PE", "ARM64", 64, "dll"),
    ("linux", "i386"): ("ELF", "I386", 32, "dll"),
    ("linux", "x86_64"): ("ELF", "AMD64", 64, "dll"),
    ("linux", "aarch64"): ("ELF", "ARM64", 64, "dll"),
}

SAMPLE_EXPORTS = {"add", "checksum", "fill", "ptr_size", "echo_ptr", "counter_next",
                  "counter_reset", "arch_name"}


@pytest.fixture(params=sorted(EXPECTED_SAMPLES), ids=lambda p: f"{p[0]}-{p[1]}")
def sample(request: pytest.FixtureRequest) -> tuple[Path, tuple[str, str, int, str]]:
    """Each sample with its expected (format, machine, bits, kind)."""
    return sample_path(*request.param), EXPECTED_SAMPLES[request.param]


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    """Files a learner might point the kit at by mistake."""
    dll = sample_path("windows", "x64").read_bytes()
    so = sample_path("linux", "i386").read_bytes()
    files = {
        "empty": b"",
        "truncated_dos": dll[:40],
        "truncated_pe": dll[:100],
        "truncated_sections": dll[:1500],
        "truncated_elf_header": so[:30],
        "truncated_elf_sections": so[:1000],
        "random": os.urandom(4096),
        "text": b"This is a README, not a DLL.\n" * 10,
        "mz_only": b"MZ" + b"\0" * 62,
        "ne_16bit": b"MZ" + b"\0" * 58 + (64).to_bytes(4, "little") + b"NE" + b"\0" * 62,
    }
    out = {}
    for name, data in files.items():
        path = tmp_path / f"{name}.dll"
        path.write_bytes(data)
        out[name] = path
    out["folder"] = tmp_path / "a_folder.dll"
    out["folder"].mkdir()
    out["missing"] = tmp_path / "missing.dll"
    return out
