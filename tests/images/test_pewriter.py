from pathlib import Path

import pytest

from interopkit.images.headers import read_headers
from interopkit.images.machine import Machine
from interopkit.images.pewriter import CONSTRUCTED_MARKER, build_image, write_image


@pytest.mark.parametrize("machine", [Machine.I386, Machine.AMD64, Machine.ARM64, Machine.ARMNT,
                                     Machine.ARM64EC, Machine.CHPE_X86])
def test_headers_round_trip(tmp_path: Path, machine: Machine) -> None:
    headers = read_headers(write_image(tmp_path / "x.dll", machine))
    assert headers.machine is machine
    assert headers.bits == machine.bits
    assert headers.pe_magic == ("PE32+" if machine.bits == 64 else "PE32")


def test_every_image_says_it_was_constructed() -> None:
    assert CONSTRUCTED_MARKER in build_image(Machine.AMD64, clr_flags=1)


def test_exe_and_flags(tmp_path: Path) -> None:
    headers = read_headers(write_image(tmp_path / "x.exe", Machine.I386, dll=False,
                                       large_address_aware=True, subsystem=2))
    assert (headers.kind, headers.large_address_aware, headers.subsystem) == (
        "exe", True, "Windows GUI")


def test_pefile_accepts_the_image() -> None:
    import pefile

    pe = pefile.PE(data=build_image(Machine.I386, clr_flags=0x3))
    assert pe.OPTIONAL_HEADER.DATA_DIRECTORY[14].Size == 72
    assert not [w for w in pe.get_warnings() if "suspicious" in w.lower()]
