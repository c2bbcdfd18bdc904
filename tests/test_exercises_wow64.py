"""Notebook 02's checkers against the answers learners really gave (issue 15, section 5)."""

import pytest

from interopkit.exercises import State
from interopkit.exercises.wow64 import q1_installer_file, q2_installer_key


# Every spelling regedit's address bar, reg.exe, PowerShell or the registry API accept.
@pytest.mark.parametrize("answer", [
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Vendor\\Settings",
    "Computer\\HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Vendor\\Settings",
    "HKLM\\SOFTWARE\\WOW6432Node\\Vendor\\Settings",
    "hklm\\software\\wow6432node\\vendor\\settings",
    "HKLM:\\SOFTWARE\\Wow6432Node\\Vendor\\Settings\\",
])
def test_q2_accepts_every_spelling_of_the_key(answer: str) -> None:
    assert q2_installer_key.check(answer).state is State.RIGHT


def test_q2_still_rejects_the_wrong_place_and_a_non_key() -> None:
    moved = q2_installer_key.check("HKLM\\SOFTWARE\\Vendor\\Wow6432Node\\Settings")
    assert moved.state is State.WRONG and "Right node, wrong place" in moved.message
    assert q2_installer_key.check("Computer\\HKEY_NOWHERE\\X").state is State.WRONG


@pytest.mark.parametrize("answer", ["%windir%\\SysWOW64\\vendor.dll",
                                    "c:/windows/syswow64/VENDOR.DLL"])
def test_q1_accepts_the_spellings_windows_accepts(answer: str) -> None:
    assert q1_installer_file.check(answer).state is State.RIGHT
