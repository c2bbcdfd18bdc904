"""The redirection models against tables typed in from W64-FSR, W64-REGKEYS and W64-ALTVIEW."""

import pytest

from interopkit.errors import UsageError
from interopkit.wow64.redirect import (
    KEY_WOW64_32KEY,
    KEY_WOW64_64KEY,
    REDIRECTED_KEYS,
    SHARED_KEYS,
    canonical_key,
    canonical_path,
    environment,
    redirect_key,
    redirect_path,
)

W = "C:\\Windows"

# (path, process, host) -> where it really goes  [W64-FSR] [ARM-EMU]
PATHS = [
    (f"{W}\\System32\\kernel32.dll", "x86", "win11-x64", f"{W}\\SysWOW64\\kernel32.dll"),
    (f"{W}\\System32\\kernel32.dll", "x64", "win11-x64", f"{W}\\System32\\kernel32.dll"),
    (f"{W}\\System32\\kernel32.dll", "arm32", "win11-arm64", f"{W}\\SysArm32\\kernel32.dll"),
    (f"{W}\\System32\\kernel32.dll", "x64", "win11-arm64", f"{W}\\System32\\kernel32.dll"),
    (f"{W}\\System32\\kernel32.dll", "x86", "win11-arm64", f"{W}\\SysWOW64\\kernel32.dll"),
    (f"{W}\\lastgood\\system32\\a.dll", "x86", "win11-x64", f"{W}\\lastgood\\SysWOW64\\a.dll"),
    (f"{W}\\lastgood\\system32\\a.dll", "arm32", "win10-arm64", f"{W}\\lastgood\\SysArm32\\a.dll"),
    (f"{W}\\regedit.exe", "x86", "win11-x64", f"{W}\\SysWOW64\\regedit.exe"),
    (f"{W}\\regedit.exe", "arm32", "win11-arm64", f"{W}\\SysArm32\\regedit.exe"),
    (f"{W}\\Sysnative\\cmd.exe", "x86", "win11-x64", f"{W}\\System32\\cmd.exe"),
    (f"{W}\\notepad.exe", "x86", "win11-x64", f"{W}\\notepad.exe"),
    ("D:\\Tools\\System32\\x.dll", "x86", "win11-x64", "D:\\Tools\\System32\\x.dll"),
]

EXEMPT = ["catroot", "catroot2", "driverstore", "drivers\\etc", "logfiles", "spool"]


@pytest.mark.parametrize("path,process,host,expected", PATHS)
def test_file_system_redirection(path: str, process: str, host: str, expected: str) -> None:
    result = redirect_path(path, process, host)
    assert result.result == expected
    assert result.redirected is (expected.lower() != path.lower())
    assert "W64-FSR" in result.sources


@pytest.mark.parametrize("folder", EXEMPT)
def test_exempt_subfolders(folder: str) -> None:
    path = f"{W}\\System32\\{folder}\\file"
    assert redirect_path(path, "x86").redirected is False


def test_sysnative_only_exists_for_32_bit_processes() -> None:
    result = redirect_path(f"{W}\\Sysnative\\cmd.exe", "x64")
    assert not result.redirected and "only 32-bit processes" in result.reason


@pytest.mark.parametrize("spelling", ["c:/windows/system32/KERNEL32.DLL",
                                      "%windir%\\System32\\kernel32.dll",
                                      "%SystemRoot%/system32//kernel32.dll",
                                      "C:\\WINDOWS\\SYSTEM32\\kernel32.dll"])
def test_spellings(spelling: str) -> None:
    result = redirect_path(spelling, "x86")
    assert result.redirected and result.result.lower() == f"{W}\\SysWOW64\\kernel32.dll".lower()


def test_bad_paths() -> None:
    with pytest.raises(UsageError, match="relative path"):
        redirect_path("System32\\kernel32.dll", "x86")
    with pytest.raises(UsageError, match="not a path"):
        redirect_path("   ", "x86")
    unc = redirect_path("\\\\server\\share\\Windows\\System32\\a.dll", "x86")
    assert not unc.redirected and "UNC" in unc.reason
    with pytest.raises(UsageError, match="does not exist on Windows 11 x64"):
        redirect_path(f"{W}\\System32\\a.dll", "arm32", "win11-x64")


# (key, process, flags) -> (redirected?, result)  [W64-REGKEYS] [W64-REGR] [W64-ALTVIEW]
KEYS = [
    ("HKLM\\SOFTWARE\\Classes\\CLSID", "x86", 0, True,
     "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\CLSID"),
    ("HKLM\\SOFTWARE\\Classes\\AppID", "x86", 0, False, "HKLM\\SOFTWARE\\Classes\\AppID"),
    ("HKLM\\SOFTWARE\\Classes\\Interface\\{1}", "x86", 0, True,
     "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\Interface\\{1}"),
    ("HKCU\\SOFTWARE\\Classes\\CLSID", "x86", 0, True,
     "HKCU\\SOFTWARE\\Classes\\Wow6432Node\\CLSID"),
    ("HKCU\\SOFTWARE\\Vendor", "x86", 0, False, "HKCU\\SOFTWARE\\Vendor"),
    ("HKLM\\SOFTWARE\\Vendor\\App", "x86", 0, True, "HKLM\\SOFTWARE\\Wow6432Node\\Vendor\\App"),
    ("HKLM\\SOFTWARE\\Vendor\\App", "x64", 0, False, "HKLM\\SOFTWARE\\Vendor\\App"),
    ("HKLM\\SOFTWARE\\Vendor\\App", "x64", KEY_WOW64_32KEY, True,
     "HKLM\\SOFTWARE\\Wow6432Node\\Vendor\\App"),
    ("HKLM\\SOFTWARE\\Vendor\\App", "x86", KEY_WOW64_64KEY, False,
     "HKLM\\SOFTWARE\\Vendor\\App"),
    ("HKLM\\SOFTWARE\\Vendor\\App", "arm32", 0, True, "HKLM\\SOFTWARE\\WowAA32Node\\Vendor\\App"),
    ("HKLM\\SOFTWARE\\Microsoft\\OLE", "x86", 0, False, "HKLM\\SOFTWARE\\Microsoft\\OLE"),
    ("HKLM\\SYSTEM\\CurrentControlSet", "x86", 0, False, "HKLM\\SYSTEM\\CurrentControlSet"),
    ("HKCR\\CLSID\\{1}", "x86", 0, True, "HKCR\\Wow6432Node\\CLSID\\{1}"),
    ("HKLM\\SOFTWARE\\Wow6432Node\\Classes\\CLSID", "x64", 0, True,
     "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\CLSID"),
    ("HKLM\\SOFTWARE\\Classes\\Wow6432Node\\AppID\\{2}", "x64", 0, True,
     "HKLM\\SOFTWARE\\Classes\\AppID\\{2}"),
    ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor", "x86", 0, True, "HKLM\\SOFTWARE\\Wow6432Node\\Vendor"),
]


@pytest.mark.parametrize("key,process,flags,redirected,expected", KEYS)
def test_registry_redirection(key: str, process: str, flags: int, redirected: bool,
                              expected: str) -> None:
    host = "win11-arm64" if process == "arm32" else "win11-x64"
    result = redirect_key(key, process, flags, host)
    assert (result.redirected, result.result) == (redirected, expected)


def test_x64_on_arm_shares_the_native_view() -> None:
    assert not redirect_key("HKLM\\SOFTWARE\\Vendor", "x64", 0, "win11-arm64").redirected


def test_shared_keys_ignore_the_flags() -> None:
    for flags in (0, KEY_WOW64_32KEY, KEY_WOW64_64KEY):
        assert not redirect_key("HKLM\\SOFTWARE\\Classes\\AppID\\{1}", "x64", flags).redirected


def test_both_flags_is_error_87() -> None:
    with pytest.raises(UsageError, match="ERROR_INVALID_PARAMETER \\(87\\)"):
        redirect_key("HKLM\\SOFTWARE\\X", "x64", KEY_WOW64_32KEY | KEY_WOW64_64KEY)


def test_unknown_hive_and_empty_key() -> None:
    with pytest.raises(UsageError, match="not a registry hive"):
        redirect_key("HKEY_NOWHERE\\X", "x86")
    with pytest.raises(UsageError, match="not a registry key"):
        redirect_key("", "x86")


def test_a_key_not_in_the_table_says_it_inherits() -> None:
    result = redirect_key("HKLM\\SOFTWARE\\Vendor", "x86")
    assert "inherits this from HKLM\\SOFTWARE" in result.reason
    assert "selection" not in result.reason and "fact sheet" not in result.reason
    shared = redirect_key("HKLM\\SYSTEM\\CurrentControlSet", "x86")
    assert "HKLM\\SYSTEM\\CurrentControlSet inherits from HKLM, which is shared" in shared.reason
    listed = redirect_key("HKLM\\SOFTWARE\\Classes\\AppID", "x86")
    assert listed.reason.startswith("Shared: HKLM\\SOFTWARE\\Classes\\AppID is shared")


def test_the_tables_are_microsofts_whole_windows_7_column() -> None:
    # W64-REGKEYS lists 67 keys for Windows 7 and later: 11 redirected, 56 shared.
    assert (len(REDIRECTED_KEYS), len(SHARED_KEYS)) == (11, 56)
    assert len({k.lower() for k in (*REDIRECTED_KEYS, *SHARED_KEYS)}) == 67
    for key in ("HKLM\\SOFTWARE\\Microsoft\\Shared Tools\\MSInfo",
                "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Time Zones",
                "HKLM\\SOFTWARE\\RegisteredApplications", "HKCU\\SOFTWARE\\Classes\\AppID"):
        assert key in SHARED_KEYS


# Spellings regedit's address bar, reg.exe, PowerShell and the registry API accept for one key.
@pytest.mark.parametrize("spelling", [
    "HKLM\\SOFTWARE\\Wow6432Node\\Vendor",
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Vendor",
    "Computer\\HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Vendor",
    "hklm\\software\\wow6432node\\vendor\\",
    "HKLM:\\SOFTWARE\\Wow6432Node\\Vendor",
    "Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Wow6432Node\\Vendor",
    "  \\HKLM\\SOFTWARE\\\\Wow6432Node\\Vendor ",
])
def test_canonical_key(spelling: str) -> None:
    assert canonical_key(spelling).lower() == "hklm\\software\\wow6432node\\vendor"


def test_canonical_key_and_path_reject_what_is_not_a_key_or_a_path() -> None:
    with pytest.raises(UsageError, match="not a registry hive"):
        canonical_key("Computer\\HKEY_NOWHERE\\X")
    with pytest.raises(UsageError, match="relative path"):
        canonical_path("Windows\\SysWOW64")
    assert canonical_path("%SystemRoot%/SysWOW64//a.dll") == "C:\\Windows\\SysWOW64\\a.dll"


# [W64-IMPL] section 1: the environment of 32-bit and 64-bit processes
def test_environment() -> None:
    x86 = environment("x86", "win11-x64")
    assert x86["PROCESSOR_ARCHITECTURE"] == "x86" and x86["PROCESSOR_ARCHITEW6432"] == "AMD64"
    assert x86["ProgramFiles"] == "C:\\Program Files (x86)"
    assert x86["ProgramW6432"] == "C:\\Program Files"
    assert environment("x86", "win11-arm64")["PROCESSOR_ARCHITEW6432"] == "ARM64"
    x64 = environment("x64", "win11-x64")
    assert x64["ProgramFiles"] == x64["ProgramW6432"] == "C:\\Program Files"
    assert set(environment("arm32", "win11-arm64").values()) == {None}  # not in the sources
