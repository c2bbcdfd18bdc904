from pathlib import Path

import pytest

import interopkit.doctor as doctor_module
from interopkit.doctor import doctor


def test_every_check_has_a_remedy_unless_ok() -> None:
    checks = doctor()
    names = [c.name for c in checks]
    for expected in ("Python", "32-bit x86 processes", "the kit's sample binaries",
                     "emulator (Unicorn)", "notebook widgets", "Windows features"):
        assert expected in names
    for check in checks:
        assert check.detail
        assert bool(check.remedy) == (not check.ok)


def test_kit_binaries_are_intact_here() -> None:
    check = next(c for c in doctor() if c.name == "the kit's sample binaries")
    assert check.ok, check.detail


def test_tampered_sample_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shutil

    from interopkit.samples import SAMPLES_DIR

    copy = tmp_path / "samples"
    shutil.copytree(SAMPLES_DIR, copy)
    (copy / "sample_x86.dll").write_bytes(b"MZ tampered")
    monkeypatch.setattr(doctor_module, "SAMPLES_DIR", copy)
    check = next(c for c in doctor() if c.name == "the kit's sample binaries")
    assert not check.ok and check.required
    assert "sample_x86.dll" in check.detail and "python -m interopkit.build" in check.remedy


def test_missing_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = doctor_module.importlib.util.find_spec
    monkeypatch.setattr(doctor_module.importlib.util, "find_spec",
                        lambda name: None if name == "capstone" else real(name))
    check = next(c for c in doctor() if c.name.startswith("disassembler"))
    assert not check.ok and check.required and "pip install capstone" in check.remedy
