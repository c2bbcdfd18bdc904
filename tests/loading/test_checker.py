"""The dependency checker on app folders built from the kit's samples and constructed EXEs."""

import shutil
from pathlib import Path

import pytest

from interopkit.errors import UsageError
from interopkit.images.machine import Machine
from interopkit.images.pewriter import write_image
from interopkit.kit.samples import sample_path
from interopkit.loading.checker import check_app
from interopkit.loading.loader import ProcessKind
from interopkit.winerror import WinError


def make_app(folder: Path, machine: Machine = Machine.AMD64, **dlls: str) -> Path:
    """An EXE importing ``add`` from each DLL; each DLL a copy of a sample (name -> arch)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, arch in dlls.items():
        shutil.copy(sample_path("windows", arch), folder / f"{name}.dll")
    imports = {f"{name}.dll": ["add"] for name in dlls}
    imports["KERNEL32.dll"] = ["ExitProcess"]
    return write_image(folder / "app.exe", machine, dll=False, imports=imports)


def by_name(report) -> dict:
    return {d.name.lower(): d for d in report.dlls}


def test_finds_the_wrong_bitness_dll(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", engine="x64", legacy="x86", ui="x64")
    report = check_app(app, host="win11-x64")
    assert report.process is ProcessKind.X64 and not report.ok
    dlls = by_name(report)
    bad = [name for name, d in dlls.items() if not d.loads]
    assert bad == ["legacy.dll"]
    # a static import of the wrong bitness stops the process at start
    assert dlls["legacy.dll"].error is WinError.STATUS_INVALID_IMAGE_FORMAT
    assert "surrogate" in dlls["legacy.dll"].remedy and dlls["legacy.dll"].machine == "I386"
    assert dlls["kernel32.dll"].loads and dlls["engine.dll"].imported_by == ("app.exe",)


def test_a_32_bit_app_is_fine_with_32_bit_dlls(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", Machine.I386, engine="x86")
    report = check_app(app, host="win11-x64")
    assert report.ok and report.process is ProcessKind.X86 and report.start == "WOW64"


def test_missing_dll(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    app = write_image(folder / "app.exe", Machine.AMD64, dll=False,
                      imports={"vcruntime140.dll": ["memcpy"], "api-ms-win-crt-runtime-l1-1-0.dll":
                               ["_exit"]})
    dlls = by_name(check_app(app, host="win11-x64"))
    assert dlls["vcruntime140.dll"].error is WinError.ERROR_MOD_NOT_FOUND
    assert "beside the app" in dlls["vcruntime140.dll"].remedy
    assert dlls["api-ms-win-crt-runtime-l1-1-0.dll"].loads


def test_plugin_folder_and_dlls_nobody_imports(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", engine="x64")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(sample_path("windows", "arm64"), plugins / "arm_plugin.dll")
    shutil.copy(sample_path("windows", "x64"), plugins / "good_plugin.dll")
    (plugins / "broken.dll").write_bytes(b"not a dll at all")
    dlls = by_name(check_app(app, dirs=(plugins,), host="win11-x64"))
    assert dlls["arm_plugin.dll"].error is WinError.ERROR_BAD_EXE_FORMAT  # LoadLibrary: 193
    assert dlls["arm_plugin.dll"].imported_by == ()
    assert dlls["good_plugin.dll"].loads
    assert not dlls["broken.dll"].loads and "not a valid image" in dlls["broken.dll"].reason


def test_cyclic_imports_end(tmp_path: Path) -> None:
    folder = tmp_path / "cycle"
    folder.mkdir()
    write_image(folder / "a.dll", Machine.AMD64, imports={"b.dll": ["f"]})
    write_image(folder / "b.dll", Machine.AMD64, imports={"a.dll": ["g"], "c.dll": ["h"]})
    write_image(folder / "c.dll", Machine.I386, imports={"a.dll": ["g"]})
    app = write_image(folder / "app.exe", Machine.AMD64, dll=False, imports={"a.dll": ["f"]})
    report = check_app(app, host="win11-x64")
    assert [d.name for d in report.dlls] == ["a.dll", "b.dll", "c.dll"]
    dlls = by_name(report)
    assert dlls["a.dll"].imported_by == ("app.exe", "b.dll")
    assert not dlls["c.dll"].loads and dlls["c.dll"].imported_by == ("b.dll",)


def test_a_dll_as_the_app(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    dll = write_image(folder / "host.dll", Machine.ARM64, imports={"dep.dll": ["f"]})
    shutil.copy(sample_path("windows", "x64"), folder / "dep.dll")
    report = check_app(dll, host="win11-arm64")
    assert report.process is ProcessKind.ARM64
    assert not by_name(report)["dep.dll"].loads  # a classic Arm64 process, an x64 DLL
    assert check_app(dll, process="x64", host="win11-arm64").process is ProcessKind.X64


def test_a_thousand_dlls(tmp_path: Path) -> None:
    app = make_app(tmp_path / "big", engine="x64")
    source = sample_path("windows", "x64").read_bytes()
    for index in range(1000):
        (tmp_path / "big" / f"plugin{index:04d}.dll").write_bytes(source)
    report = check_app(app, host="win11-x64")
    assert len(report.dlls) == 1002 and report.ok  # engine, KERNEL32 and 1,000 plug-ins


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is an ELF file"):
        check_app(sample_path("linux", "x86_64"))
    app = make_app(tmp_path / "app", engine="x64")
    with pytest.raises(UsageError, match="is not a folder"):
        check_app(app, dirs=(tmp_path / "nope",))
    arm = write_image(tmp_path / "arm.exe", Machine.ARM64, dll=False)
    with pytest.raises(UsageError, match="cannot run on Windows 11 x64"):
        check_app(arm, host="win11-x64")
    from interopkit.errors import ImageError

    with pytest.raises(ImageError, match="does not exist"):
        check_app(tmp_path / "missing.exe")


def test_a_missing_dependency_of_a_dll_is_reported_with_126(tmp_path) -> None:
    # Issue 15: 126 also means that a DLL the named DLL depends on is missing.
    write_image(tmp_path / "plugin.dll", Machine.AMD64, imports={"helper.dll": ["work"]})
    app = write_image(tmp_path / "app.exe", Machine.AMD64, dll=False,
                      imports={"plugin.dll": ["run"]})
    report = check_app(app, host="win11-x64")
    helper = next(d for d in report.dlls if d.name == "helper.dll")
    assert helper.error is WinError.ERROR_MOD_NOT_FOUND and helper.imported_by == ("plugin.dll",)
    assert "fails with 126 although it is there" in helper.reason


def test_an_app_folder_that_cannot_be_listed_is_the_kits_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "app", engine="x64")
    real_iterdir = Path.iterdir

    def iterdir(self: Path) -> object:
        if self == app.parent:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)  # simulated: root ignores chmod
    with pytest.raises(UsageError, match=r"app: cannot be listed \(Permission denied\)") as caught:
        check_app(app, host="win11-x64")
    assert caught.value.code is WinError.ERROR_ACCESS_DENIED


def test_an_unreadable_dll_is_reported_as_unreadable_not_damaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    app = make_app(tmp_path / "app", engine="x64", codec="x64")
    real_open = os.open

    def open_(path: object, *args: object) -> int:
        if str(path).endswith("codec.dll"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", open_)
    dlls = by_name(check_app(app, host="win11-x64"))
    assert dlls["engine.dll"].loads and not dlls["codec.dll"].loads
    assert dlls["codec.dll"].error is WinError.ERROR_ACCESS_DENIED
    assert dlls["codec.dll"].reason == "cannot be read (permission denied)"
