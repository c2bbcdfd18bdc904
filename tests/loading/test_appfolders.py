"""The app folders and the mystery folder notebooks 01 and 03 build from the real samples."""

import inspect
from pathlib import Path

from conftest import SESSION_CACHE

from interopkit.images.headers import read_headers
from interopkit.kit.samples import sample_path
from interopkit.loading.appfolders import MYSTERY, MYSTERY_FOLDER, build_mystery_folder


def test_mystery_folder_holds_the_six_samples_under_names_that_say_nothing(tmp_path: Path) -> None:
    folder = build_mystery_folder(tmp_path / "mystery")
    assert sorted(p.name for p in folder.iterdir()) == sorted(MYSTERY)
    for name, (os_name, arch) in MYSTERY.items():
        assert (folder / name).read_bytes() == sample_path(os_name, arch).read_bytes()
        assert arch not in name
    assert {read_headers(folder / n).bits for n in MYSTERY} == {32, 64}


def test_the_notebooks_mystery_folder_is_one_folder_rebuilt_in_place(tmp_path: Path) -> None:
    # Notebook 01 used to make a new temporary folder on every run, and nothing removed them:
    # now it uses one folder per user in the kit's cache, and a run repairs what was changed.
    default = inspect.signature(build_mystery_folder).parameters["folder"].default
    # In the kit's cache folder (the test run's own: tests/conftest.py sets INTEROPKIT_CACHE).
    assert default == MYSTERY_FOLDER == SESSION_CACHE / "mystery"
    first = build_mystery_folder(tmp_path / "mystery")
    (first / "lib_a.bin").write_bytes(b"damaged by a learner")
    second = build_mystery_folder(tmp_path / "mystery")
    assert first == second and sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == \
        sorted(MYSTERY)
    assert (second / "lib_a.bin").read_bytes() == sample_path("linux", "aarch64").read_bytes()


def test_capstone_app_has_one_32_bit_plugin_among_64_bit_ones(tmp_path: Path) -> None:
    from interopkit.loading.appfolders import CAPSTONE_PLUGINS, build_capstone_app

    app = build_capstone_app(tmp_path / "studio")
    assert app.name == "studio.exe" and read_headers(app).bits == 64
    plugins = app.parent / "plugins"
    assert sorted(p.name for p in plugins.iterdir()) == sorted(CAPSTONE_PLUGINS)
    for name, arch in CAPSTONE_PLUGINS.items():
        assert (plugins / name).read_bytes() == sample_path("windows", arch).read_bytes()
    assert [n for n in CAPSTONE_PLUGINS if read_headers(plugins / n).bits == 32] == \
        ["legacy_meter.dll"]
    (plugins / "legacy_meter.dll").write_bytes(b"damaged")
    assert build_capstone_app(tmp_path / "studio") == app  # rebuilt in place, repaired
    assert read_headers(plugins / "legacy_meter.dll").bits == 32
