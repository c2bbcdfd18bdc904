"""Real loads on this machine, and the Windows code path with a stand-in for kernel32."""

import os
import sys
from pathlib import Path

import pytest

from interopkit.kit.host import host_info
from interopkit.kit.samples import sample_path
from interopkit.loading.loader import load_outcome
from interopkit.loading.realload import RealLoad, agrees, load_posix, load_windows, try_load

linux_x64 = pytest.mark.skipif(
    host_info().os != "linux" or host_info().cpu != "x86_64" or host_info().process_bits != 64,
    reason="the expected messages are those of glibc's loader in a 64-bit x86-64 process")


@linux_x64
def test_linux_loader_refuses_the_32_bit_object() -> None:
    real = try_load(sample_path("linux", "i386"))
    assert not real.loaded and "wrong ELF class: ELFCLASS32" in real.message
    assert real.said.startswith("libsample_i386.so: ") and "/" not in real.said


@linux_x64
def test_linux_loader_refuses_the_arm64_object() -> None:
    real = try_load(sample_path("linux", "aarch64"))
    assert not real.loaded and real.message  # glibc's words vary; notebook 03 shows them


@linux_x64
def test_linux_loader_accepts_its_own_kind() -> None:
    assert try_load(sample_path("linux", "x86_64")).loaded


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX dlopen")
def test_a_windows_dll_is_not_an_elf_file() -> None:
    real = try_load(sample_path("windows", "x64"))
    assert not real.loaded and "ELF" in real.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_load_that_hangs_is_cut_off(tmp_path: Path) -> None:
    fifo = tmp_path / "blocks.so"
    os.mkfifo(fifo)  # dlopen opens it and waits for data that never comes
    real = try_load(fifo, timeout=1.0)
    assert not real.loaded and "did not finish within 1 s" in real.message


def test_a_child_that_dies_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    crash = tmp_path / "python"
    crash.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crash.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(crash))
    real = try_load(sample_path("linux", "x86_64"))
    assert not real.loaded and "without a report" in real.message


class FakeKernel32:
    """LoadLibraryW and FreeLibrary as Windows would answer for one DLL."""

    def __init__(self, handle: int) -> None:
        self.handle, self.freed = handle, []

    def LoadLibraryW(self, path: str) -> int:
        return self.handle

    def FreeLibrary(self, handle: int) -> int:
        self.freed.append(handle)
        return 1


def test_windows_path_reports_get_last_error() -> None:
    result = load_windows("C:\\kit\\sample_x86.dll", FakeKernel32(0), lambda: 193,
                          lambda code: "%1 is not a valid Win32 application.\r\n")
    assert result == {"loaded": False, "code": 193,
                      "message": "%1 is not a valid Win32 application."}


def test_windows_path_frees_what_it_loaded() -> None:
    kernel32 = FakeKernel32(0x7FF0000)
    assert load_windows("x.dll", kernel32, lambda: 0, str)["loaded"]
    assert kernel32.freed == [0x7FF0000]


def test_posix_path() -> None:
    def refuse(path: str) -> None:
        raise OSError(f"{path}: wrong ELF class: ELFCLASS32")

    assert load_posix("a.so", refuse) == {"loaded": False, "code": None,
                                          "message": "a.so: wrong ELF class: ELFCLASS32"}
    assert load_posix("a.so", lambda path: None)["loaded"]


def test_agreement_with_the_model() -> None:
    model = load_outcome("x64", "I386", "win11-x64")
    real = RealLoad("x.dll", "win32", False, 193, "not a valid Win32 application")
    assert agrees(real, model) == (True, "Both say it fails with ERROR_BAD_EXE_FORMAT.")
    other = RealLoad("x.dll", "win32", False, 216, "not compatible")
    assert agrees(other, model)[0]  # 216 is the documented alternative
    surprise = RealLoad("x.dll", "win32", True, None, "loaded")
    same, verdict = agrees(surprise, model)
    assert not same and "the real result wins" in verdict
    odd = RealLoad("x.dll", "win32", False, 126, "module not found")
    assert not agrees(odd, model)[0] and "the real code wins" in agrees(odd, model)[1]
