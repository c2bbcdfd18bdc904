import os
import shutil
from pathlib import Path

import pytest

from interopkit.errors import UsageError
from interopkit.images.scan import scan
from interopkit.kit.samples import sample_paths


def test_scan_classifies_images_and_skips_the_rest(tmp_path: Path,
                                                   broken: dict[str, Path]) -> None:
    tmp_path = tmp_path / "app"  # the broken files live beside it, not in it
    tmp_path.mkdir()
    for name, path in sample_paths().items():
        shutil.copy(path, tmp_path / name)
    nested = tmp_path / "plugins" / "old"
    nested.mkdir(parents=True)
    shutil.copy(sample_paths()["sample_x86.dll"], nested / "legacy.dll")
    (tmp_path / "notes.txt").write_text("not a binary")
    shutil.copy(broken["truncated_pe"], tmp_path / "cut.dll")
    os.symlink(tmp_path / "sample_x64.dll", tmp_path / "link.dll")
    result = scan(tmp_path)
    assert result.by_machine == {"AMD64": 2, "ARM64": 2, "I386": 3, "damaged": 1}
    paths = {e.path for e in result.entries}
    assert str(Path("plugins", "old", "legacy.dll")) in paths
    assert "notes.txt" not in paths and "link.dll" not in paths
    damaged = [e for e in result.entries if e.headers is None]
    assert [e.path for e in damaged] == ["cut.dll"] and "truncated" in (damaged[0].error or "")


def test_scan_of_a_file_or_nothing_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a file, not a folder"):
        scan(sample_paths()["sample_x86.dll"])
    with pytest.raises(UsageError, match="does not exist"):
        scan(tmp_path / "nope")


def test_progress_is_reported(tmp_path: Path) -> None:
    for index in range(600):
        (tmp_path / f"f{index}.txt").write_text("x")
    seen: list[int] = []
    assert scan(tmp_path, progress=seen.append).files_seen == 600
    assert seen == [256, 512]


def test_a_16_bit_ne_program_is_called_what_it_is(tmp_path: Path,
                                                 broken: dict[str, Path]) -> None:
    app = tmp_path / "old"
    app.mkdir()
    shutil.copy(broken["ne_16bit"], app / "winhelp.exe")
    shutil.copy(broken["truncated_pe"], app / "cut.dll")
    result = scan(app)
    assert result.by_machine == {"16-bit NE": 1, "damaged": 1}
    (old,) = [e for e in result.entries if e.path == "winhelp.exe"]
    assert old.legacy == "NE" and old.label == "16-bit NE" and "16-bit NE" in (old.error or "")


def test_unreadable_folders_and_files_are_listed_not_damaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Permissions are simulated (this may run as root, whom chmod does not stop).
    app = tmp_path / "app"
    (app / "locked").mkdir(parents=True)
    shutil.copy(sample_paths()["sample_x64.dll"], app / "good.dll")
    shutil.copy(sample_paths()["sample_x86.dll"], app / "locked" / "hidden.dll")
    (app / "secret.bin").write_bytes(b"not readable")
    real_scandir, real_open = os.scandir, os.open

    def scandir(path: str) -> object:
        if path.endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    def open_(path: object, *args: object) -> int:
        if str(path).endswith("secret.bin"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    result = scan(app)
    assert result.by_machine == {"AMD64": 1}  # nothing counted as damaged
    assert [(u.path, u.folder) for u in result.unreadable] == [("locked", True),
                                                               ("secret.bin", False)]
    assert result.unreadable[0].error == "Permission denied"
    assert "permission denied" in result.unreadable[1].error
    assert result.files_seen == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_pipes_are_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.dll")
    shutil.copy(sample_paths()["sample_x64.dll"], tmp_path / "good.dll")
    result = scan(tmp_path)
    assert result.files_seen == 1 and result.by_machine == {"AMD64": 1}
