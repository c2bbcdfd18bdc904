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


def test_the_large_address_aware_probe_differs_by_that_flag_only() -> None:
    from interopkit.images.headers import read_headers

    plain, aware = BIN_DIR / "winprobe_x86.exe", BIN_DIR / "winprobe_x86_laa.exe"
    assert read_headers(aware).large_address_aware
    assert not read_headers(plain).large_address_aware
    differing = [i for i, (a, b) in enumerate(zip(plain.read_bytes(), aware.read_bytes(),
                                                  strict=True)) if a != b]
    assert len(differing) == 1  # the Characteristics byte of the COFF header


def test_setting_large_address_aware_needs_a_pe(tmp_path: Path) -> None:
    not_pe = tmp_path / "x.exe"
    not_pe.write_bytes(bytes(0x100))
    with pytest.raises(build.ToolchainError, match="is not a PE image after linking"):
        build._set_large_address_aware(not_pe)
