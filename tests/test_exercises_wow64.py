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


@pytest.mark.parametrize("answer", ["%windir%\\System32\\LogFiles\\Vendor\\setup.log",
                                    "c:/windows/system32/logfiles/vendor/SETUP.LOG"])
def test_q1_accepts_the_spellings_windows_accepts(answer: str) -> None:
    assert q1_installer_file.check(answer).state is State.RIGHT


def test_q3_is_no_longer_answered_by_the_table_above_it() -> None:
    # The old q3 asked for %ProgramFiles% in a 32-bit process: a cell of the environment table
    # printed just above. Now the learner combines two columns of it.
    from interopkit.exercises.wow64 import q3_program_files

    folder = q3_program_files.check("C:\\Program Files (x86)")
    assert folder.state is State.WRONG and "full path of app.exe" in folder.message
    native = q3_program_files.check("C:\\Program Files\\Vendor\\app.exe")
    assert native.state is State.WRONG and "The installer was 32-bit" in native.message
    for right in ("C:\\Program Files (x86)\\Vendor\\app.exe",
                  "%ProgramFiles(x86)%\\Vendor\\app.exe"):
        assert q3_program_files.check(right).state is State.RIGHT


def test_q2_a_parent_key_is_incomplete_not_misplaced() -> None:
    feedback = q2_installer_key.check("HKLM\\SOFTWARE\\Wow6432Node\\Vendor")
    assert feedback.state is State.WRONG
    assert "incomplete" in feedback.message and "wrong place" not in feedback.message


@pytest.mark.parametrize(("answer", "phrase"), [
    ("C:\\Windows\\Sysnative", "Right alias"),
    ("C:\\Windows\\SysWOW64\\notepad.exe", "SysWOW64 holds the 32-bit files"),
    ("C:\\Windows\\System32\\drivers", "only drivers\\etc is exempt"),
])
def test_q4_specific_messages(answer: str, phrase: str) -> None:
    from interopkit.exercises.wow64 import q4_sysnative

    feedback = q4_sysnative.check(answer)
    assert feedback.state is State.WRONG and phrase in feedback.message


def test_q4_accepts_a_trailing_backslash() -> None:
    from interopkit.exercises.wow64 import q4_sysnative

    assert q4_sysnative.check("C:\\Windows\\Sysnative\\drivers\\").state is State.RIGHT


@pytest.mark.parametrize("answer", ["C:\\Windows\\SysWOW64", "C:\\Windows\\System32"])
def test_q1_a_folder_alone_is_told_to_give_the_file(answer: str) -> None:
    feedback = q1_installer_file.check(answer)
    assert feedback.state is State.WRONG and "give the full path of setup.log" in feedback.message


def test_q1_asks_about_an_exempt_folder_the_table_does_not_show() -> None:
    feedback = q1_installer_file.check("C:\\Windows\\SysWOW64\\LogFiles\\Vendor\\setup.log")
    assert feedback.state is State.WRONG and "exempt folders" in feedback.message
