import importlib.util
import json
from pathlib import Path

import pytest

from interopkit import build
from interopkit.kit.samples import BIN_DIR, SAMPLES_DIR


@pytest.mark.parametrize("folder", [SAMPLES_DIR, BIN_DIR], ids=["samples", "bin"])
def test_committed_binaries_match_their_manifest(folder: Path) -> None:
    assert build.verify_manifest(folder) == []
    manifest = build.read_manifest(folder)
    assert manifest["zig_version"] == build.ZIG_VERSION
    listed = {e["file"] for e in manifest["files"]}
    assert listed == {t.file for t in build.TARGETS if folder == build._DESTINATIONS[t.dest]}
    for entry in manifest["files"]:
        assert entry["target"] and entry["size"] == (folder / entry["file"]).stat().st_size


def test_manifest_check_notices_a_change(tmp_path: Path) -> None:
    (tmp_path / "a.dll").write_bytes(b"one")
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"files": [
        {"file": "a.dll", "size": 3, "sha256": "0" * 64},
        {"file": "gone.dll", "size": 1, "sha256": "0" * 64}]}))
    assert build.verify_manifest(tmp_path) == [
        "a.dll: size or sha256 differs from the manifest", "gone.dll: missing"]


def test_the_build_extra_pins_one_exact_zig() -> None:
    pyproject = (Path(build.__file__).parents[1] / "pyproject.toml").read_text()
    assert f'"ziglang=={build.ZIG_VERSION}"' in pyproject


@pytest.mark.skipif(importlib.util.find_spec("ziglang") is None,
                    reason='the build extra is not installed (pip install -e ".[build]")')
def test_rebuild_is_byte_for_byte_identical() -> None:
    assert build.check() == []


def test_missing_zig_is_a_toolchain_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.errors import ToolchainError

    monkeypatch.setattr(build.sys, "executable", "/nonexistent/python")
    with pytest.raises(ToolchainError, match="could not run"):
        build.zig_version()
