"""The loader for real, both ways: LoadLibraryW in 32-bit and 64-bit Windows processes under
Wine (issue 18, part 5), and the loader model's LoadLibrary cases held against it."""

from __future__ import annotations

import sys

import pytest

from interopkit.kit import wine
from interopkit.loading import winload

BOTH = pytest.mark.parametrize("wine_bits", [32, 64], indirect=True)


def _labelled(platform: str, bits: int) -> None:
    expected = "Windows " if sys.platform == "win32" else "Wine "
    assert platform.startswith(expected) and platform.endswith(f", {bits}-bit process")


@BOTH
def test_every_sample_in_every_mode(wine_bits: int) -> None:
    attempts = {(a.path, a.mode): a for a in winload.load_all(wine_bits)}
    assert len(attempts) == 9
    own = "sample_x86.dll" if wine_bits == 32 else "sample_x64.dll"
    for (path, mode), attempt in attempts.items():
        _labelled(attempt.platform, wine_bits)
        if mode == "execute":
            # 193 (ERROR_BAD_EXE_FORMAT) both ways, exactly as Wine gives it
            assert (attempt.loaded, attempt.code) == ((True, 0) if path == own else
                                                      (False, 193)), path
        elif path != "sample_arm64.dll" or mode == "datafile":
            assert attempt.loaded and attempt.code == 0, (path, mode)  # no code runs
    assert attempts[(own, "execute")].module is not None
    assert attempts[(own, "execute")].module.lower().endswith(own)


@BOTH
def test_a_missing_dependency_is_126(wine_bits: int) -> None:
    attempt = winload.missing_dependency(wine_bits)
    _labelled(attempt.platform, wine_bits)
    assert (attempt.loaded, attempt.code) == (False, 126)  # ERROR_MOD_NOT_FOUND


@BOTH
def test_a_wrong_bitness_dll_earlier_on_the_search_path(wine_bits: int) -> None:
    # No source settles this on Windows; this is Wine's answer, asserted as Wine's: its loader
    # passes over the wrong-bitness file in the EXE's folder and takes the right one later.
    attempt = winload.search_order(wine_bits)
    _labelled(attempt.platform, wine_bits)
    assert (attempt.loaded, attempt.code) == (True, 0)
    assert attempt.module == "the current folder's (right bitness)"


@pytest.mark.parametrize("wine_bits", [64], indirect=True)
def test_the_loader_models_cases_held_against_wine(wine_bits: int) -> None:

    if wine.find_wine(32) is None:
        pytest.skip("32-bit Wine is not installed (wine32:i386): the x86 cases cannot run")
    checks = winload.held_loads()
    assert len(checks) == 18  # 3 samples x 3 modes x 2 processes
    assert all(c.agrees is not None for c in checks)
    assert {c.case for c in checks if not c.agrees} == set(winload.WINE_DIFFERENCES)
