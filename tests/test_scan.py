import os
import shutil
from pathlib import Path

import pytest

from interopkit.errors import UsageError
from interopkit.samples import sample_paths
from interopkit.scan import scan


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
