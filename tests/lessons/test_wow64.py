"""interopkit.lessons.wow64: its tables, diagrams, explorers and exercises."""

import pytest

from interopkit.lessons.exercise import State
from interopkit.lessons.wow64 import q1_installer_file, q2_installer_key, redirect_explorer


def test_key_redirections_name_the_process_and_the_flags() -> None:
    # Issue 15 fresh read: three rows all read HKLM\SOFTWARE\Vendor\App, and the x64 row with
    # KEY_WOW64_32KEY gave the same "why" as the plain x86 row.
    from interopkit.lessons.wow64 import key_redirections_html
    from interopkit.wow64.redirect import KEY_WOW64_32KEY, redirect_key

    key = "HKLM\\SOFTWARE\\Vendor\\App"
    html = key_redirections_html([("x86", 0, redirect_key(key, "x86")),
                                  ("x64", KEY_WOW64_32KEY, redirect_key(key, "x64",
                                                                        KEY_WOW64_32KEY))])
    assert "process" in html and "view flags" in html and ">none<" in html
    assert "asked for it with KEY_WOW64_32KEY" in html
    assert html.count("asked for it with") == 1


def _space(bits: int, reserved: int) -> object:
    from interopkit.wow64.measure import AddressSpace

    return AddressSpace(probe="p", arch="i386" if bits == 32 else "x86_64",
                        pointer_size=bits // 8, code_address=0x10000, stack_address=0x20000,
                        heap_address=0x30000, reserved_bytes=reserved,
                        highest_address=reserved, syscall_abi="", windows={})


def test_the_log_axis_says_how_far_apart_the_bars_really_are() -> None:
    # 4 GiB against 128 TiB looks like 1:2 on a log axis; the title gives the measured ratio.
    from interopkit.lessons.wow64 import draw_address_spaces

    spaces = [_space(32, 4 << 30), _space(64, 128 << 40)]
    ax = draw_address_spaces(spaces)
    assert "yet holds 32,768 times as much" in ax.get_title()
    assert "log scale" in ax.get_xlabel()
    assert "times" not in draw_address_spaces([spaces[0]]).get_title()


def test_the_linear_axis_draws_the_real_proportions() -> None:
    from interopkit.lessons.wow64 import draw_address_spaces_linear

    spaces = [_space(32, 4 << 30), _space(64, 128 << 40)]
    ax = draw_address_spaces_linear(spaces)
    assert [p.get_width() for p in ax.patches] == [4 << 30, 128 << 40]
    labels = [t.get_text() for t in ax.texts]
    assert labels == [" 4 GiB, 1/32,768 of the longest: too thin to see", " 128 TiB"]
    assert ax.get_xscale() == "linear"


def test_address_space_title_gives_the_apparent_and_the_real_ratio() -> None:
    # Issue 15 fresh read: the title said the bars "look alike" on the log axis, while the
    # 64-bit bar looked about twice as long as the 32-bit one.
    from interopkit.lessons.wow64 import draw_address_spaces

    title = draw_address_spaces([_space(32, 4 << 30), _space(64, 128 << 40)]).get_title()
    assert "look alike" not in title
    assert "looks 1.9 times as long" in title and "32,768 times as much" in title


def test_redirect_explorer_follows_every_control() -> None:
    box = redirect_explorer()
    target, (process, _host), (view64, view32), output = (
        box.children[0], box.children[1].children, box.children[2].children, box.children[3])
    assert "SysWOW64" in output.value
    process.value = "x64"
    assert "(not redirected)" in output.value
    target.value = "HKLM\\SOFTWARE\\Vendor"
    view32.value = True
    assert "Wow6432Node" in output.value
    view64.value = True
    assert "ERROR_INVALID_PARAMETER" in output.value
    view64.value = False
    target.value = "Computer\\HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor"  # regedit's address bar
    assert "HKLM\\SOFTWARE\\Wow6432Node\\Vendor" in output.value


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
    from interopkit.lessons.wow64 import q3_program_files

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
    from interopkit.lessons.wow64 import q4_sysnative

    feedback = q4_sysnative.check(answer)
    assert feedback.state is State.WRONG and phrase in feedback.message


def test_q4_accepts_a_trailing_backslash() -> None:
    from interopkit.lessons.wow64 import q4_sysnative

    assert q4_sysnative.check("C:\\Windows\\Sysnative\\drivers\\").state is State.RIGHT


@pytest.mark.parametrize("answer", ["C:\\Windows\\SysWOW64", "C:\\Windows\\System32"])
def test_q1_a_folder_alone_is_told_to_give_the_file(answer: str) -> None:
    feedback = q1_installer_file.check(answer)
    assert feedback.state is State.WRONG and "give the full path of setup.log" in feedback.message


def test_q1_asks_about_an_exempt_folder_the_table_does_not_show() -> None:
    feedback = q1_installer_file.check("C:\\Windows\\SysWOW64\\LogFiles\\Vendor\\setup.log")
    assert feedback.state is State.WRONG and "exempt folders" in feedback.message


def test_real_tables_show_the_recorded_run_when_wine_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.kit import wine
    from interopkit.lessons import recorded, wow64

    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)
    monkeypatch.setattr(wine, "session", None)  # calling it would fail: Wine must not start
    monkeypatch.setattr(recorded, "_CACHE", {})  # nothing answered live before
    page = (wow64.real_wow64_html() + wow64.real_redirects_html(32) + wow64.real_threads_html()
            + wow64.real_registry_html())
    assert page.count("recorded on ") == 5  # 32-bit and 64-bit facts, opens, threads, registry
    assert "IsWow64Process" in page and "Wow6432Node" in page
    assert "agree" in page and "W64-FSR" in page
