"""The kit's cache folder: ~/.cache/interopkit, or $INTEROPKIT_CACHE; never the Wine prefix's."""

from pathlib import Path

import pytest
from conftest import SESSION_CACHE, TESTS_CACHE

from interopkit.kit import cache, wine
from interopkit.loading import appfolders


def test_default_is_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTEROPKIT_CACHE")
    assert cache.folder() == cache.DEFAULT_FOLDER == Path.home() / ".cache" / "interopkit"
    monkeypatch.setenv("INTEROPKIT_CACHE", "")  # set but empty: the default, not the cwd
    assert cache.folder() == cache.DEFAULT_FOLDER


def test_the_environment_variable_names_another_folder(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setenv("INTEROPKIT_CACHE", str(tmp_path / "elsewhere"))
    assert cache.folder() == tmp_path / "elsewhere"
    assert not (tmp_path / "elsewhere").exists()  # made by whoever writes into it
    monkeypatch.setenv("INTEROPKIT_CACHE", "~/kit-cache")
    assert cache.folder() == Path.home() / "kit-cache"


def test_the_test_run_keeps_its_own_cache_and_the_wine_prefix_stays_put() -> None:
    # tests/conftest.py points the cache at a folder of the run's own before the kit is
    # imported (the Python tests at a folder inside it); the mystery folder follows it, the
    # Wine prefix (made once, shared) does not.
    assert cache.folder() == TESTS_CACHE and TESTS_CACHE.parent == SESSION_CACHE
    assert not SESSION_CACHE.is_relative_to(cache.DEFAULT_FOLDER)
    assert appfolders.MYSTERY_FOLDER == SESSION_CACHE / "mystery"
    assert wine._KIT_PREFIX == Path.home() / ".cache" / "interopkit" / "wineprefix"
