"""The Windows probe EXE, run for real under Wine (Debian's wine64) where it is installed.

Wine is not Windows: these tests check the kit's Windows code path (LoadLibrary-free EXE,
IsWow64Process2 through GetProcAddress, FindFirstFileA, the command line) on a real Windows API
implementation. Only the 64-bit EXE runs: Debian's wine32 needs an i386 multiarch setup.
"""

import pytest

from interopkit.wow64.measure import list_folder, measure
from interopkit.wow64.redirect import environment


@pytest.fixture
def launcher(wine_launcher: tuple[str, ...]) -> tuple[str, ...]:
    return wine_launcher  # conftest installs Debian's wine64 where it can


def test_x64_probe_reports_a_native_64_bit_process(launcher: tuple[str, ...]) -> None:
    space = measure("probe_x64.exe", cap_gib=16, launcher=launcher)
    assert space.pointer_size == 8 and space.cap_bytes == 16 << 30
    assert space.reserved_bytes == 16 << 30  # capped: Wine books every reserved page
    # IsWow64Process2: not a WOW64 process (0), on an x64 machine (0x8664)
    assert space.windows["wow64_process_machine"] == 0
    assert space.windows["native_machine"] == 0x8664
    model = environment("x64", "win11-x64")
    for name in ("PROCESSOR_ARCHITECTURE", "ProgramFiles", "ProgramW6432"):
        assert space.windows["environment"][name] == model[name]


def test_x64_probe_lists_system32(launcher: tuple[str, ...]) -> None:
    listing = list_folder("probe_x64.exe", "C:\\windows\\system32", launcher=launcher)
    assert listing.found and listing.bits == 64
    assert "kernel32.dll" in {name.lower() for name in listing.entries}
    pattern = list_folder("probe_x64.exe", "C:\\windows\\system32\\kernel3*", launcher=launcher)
    assert [name.lower() for name in pattern.entries] == ["kernel32.dll"]
    missing = list_folder("probe_x64.exe", "C:\\no\\such\\folder", launcher=launcher)
    assert not missing.found and missing.entries == ()
