"""The app folders and the mystery folder notebooks 01 and 03 build from the real samples."""

from pathlib import Path

from interopkit.images.headers import read_headers
from interopkit.kit.samples import sample_path
from interopkit.loading.appfolders import MYSTERY, build_mystery_folder


def test_mystery_folder_holds_the_six_samples_under_names_that_say_nothing(tmp_path: Path) -> None:
    folder = build_mystery_folder(tmp_path / "mystery")
    assert sorted(p.name for p in folder.iterdir()) == sorted(MYSTERY)
    for name, (os_name, arch) in MYSTERY.items():
        assert (folder / name).read_bytes() == sample_path(os_name, arch).read_bytes()
        assert arch not in name
    assert {read_headers(folder / n).bits for n in MYSTERY} == {32, 64}
