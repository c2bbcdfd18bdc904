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

    from interopkit.kit.samples import SAMPLES_DIR

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


def _check(name: str) -> doctor_module.Check:
    return next(c for c in doctor() if c.name == name)


def test_missing_widgets_front_end_is_reported(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    import jupyter_core.paths

    assert _check("JupyterLab widgets extension").ok
    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(tmp_path)])
    check = _check("JupyterLab widgets extension")
    assert not check.ok and check.required
    assert "jupyter lab" in check.remedy and "jupyterlab-manager" in check.detail


def test_stale_font_cache_is_reported_with_its_cure(tmp_path: Path) -> None:
    """A real stale cache: matplotlib's own list with its bundled fonts taken out."""
    import json
    import os
    import subprocess
    import sys

    from matplotlib import font_manager

    good = font_manager.FontManager()
    stale = tmp_path / f"fontlist-v{font_manager.FontManager.__version__}.json"
    font_manager.json_dump(good, stale)
    listed = json.loads(stale.read_text())
    listed["ttflist"] = [f for f in listed["ttflist"] if "mpl-data" not in f["fname"]
                         and not f["fname"].startswith("fonts/")]
    stale.write_text(json.dumps(listed))
    code = ("from interopkit.doctor import doctor\n"
            "c = next(c for c in doctor() if c.name == 'plot fonts')\n"
            "print(c.ok, '|', c.remedy)")
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}

    def plot_fonts() -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120, check=False, env=env)
        return done.stdout + done.stderr

    found = plot_fonts()
    assert found.startswith("False |") and "fontlist-*.json" in found and "Delete" in found, found
    stale.unlink()  # the cure the remedy gives
    assert plot_fonts().startswith("True |")


def test_missing_wine_and_quick_mode_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import interopkit.kit.wine

    monkeypatch.setattr(interopkit.kit.wine, "find_wine", lambda bits=64: None)
    monkeypatch.setenv("INTEROPKIT_QUICK", "1")
    windows = doctor_module.host_info().os == "windows"
    for bits, package in ((32, "wine32"), (64, "wine64")):
        wine = _check(f"{bits}-bit Windows processes (Wine)")
        assert wine.ok == windows and not wine.required
        assert windows or (package in wine.detail and "interopkit wine-setup" in wine.remedy)
    quick = _check("full-length experiments")
    assert not quick.ok and "Unset INTEROPKIT_QUICK" in quick.remedy
    monkeypatch.setenv("INTEROPKIT_QUICK", "0")
    assert _check("full-length experiments").ok


def test_both_bitnesses_under_wine_are_run_and_reported_as_json(
        wine32: None, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from interopkit.cli import main
    from interopkit.kit import wine

    main(["doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    for bits, probe in ((32, "probe_x86.exe"), (64, "probe_x64.exe")):
        check = checks[f"{bits}-bit Windows processes (Wine)"]
        assert check["ok"] and not check["required"] and check["remedy"] == ""
        assert f"{probe} ran as a {bits}-bit Windows process" in check["detail"]
        assert "(Wine, not Windows)" in check["detail"]
    assert wine.leftover_processes() == []


def test_probe_without_execute_permission_gets_the_chmod_remedy(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A ZIP download or a careless copy drops the execute bits: say so, not 'no IA-32'."""
    import shutil

    import interopkit.kit.host
    import interopkit.kit.samples

    if doctor_module.host_info().os != "linux":
        pytest.skip("the kit's Linux probes")
    copy = tmp_path / "bin"
    shutil.copytree(interopkit.kit.samples.BIN_DIR, copy)
    for program in copy.iterdir():
        program.chmod(0o644)
    monkeypatch.setattr(interopkit.kit.samples, "BIN_DIR", copy)
    interopkit.kit.host.can_run_x86_32.cache_clear()
    try:
        check = _check("32-bit x86 processes")
    finally:
        interopkit.kit.host.can_run_x86_32.cache_clear()
    assert not check.ok and "Permission denied" in check.detail
    assert "chmod +x interopkit/bin/*" in check.remedy
