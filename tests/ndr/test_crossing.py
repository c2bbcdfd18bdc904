"""The live path: an address above 4 GiB and handle values through real surrogates."""

import pytest

from interopkit.kit.samples import sample_path
from interopkit.ndr.basetsd import INVALID_HANDLE_VALUE
from interopkit.ndr.crossing import high_memory, send_address, send_handle
from interopkit.surrogate.client import Surrogate


@pytest.fixture(params=[32, 64], ids=["32-bit", "64-bit"])
def hosted(request: pytest.FixtureRequest):
    with Surrogate(sample_path("windows", {32: "x86", 64: "x64"}[request.param])) as surrogate:
        yield surrogate


def test_an_address_above_4_gib_loses_its_upper_half_in_32_bits(hosted: Surrogate) -> None:
    with high_memory() as page:
        assert page.address >= 1 << 32
        echoes = {e.declared: e for e in send_address(hosted, page.address)}
    low = page.address & 0xFFFF_FFFF
    assert echoes["DWORD"].held == low and echoes["DWORD"].lossy
    assert echoes["UINT_PTR"].held == (low if hosted.bits == 32 else page.address)
    assert echoes["ULONG64"].held == page.address and not echoes["ULONG64"].lossy


def test_handles_survive_by_sign_extension() -> None:
    with Surrogate(sample_path("windows", "x86")) as hosted:
        invalid = send_handle(hosted, INVALID_HANDLE_VALUE)
        assert invalid["echoed (32 bits)"] == 0xFFFF_FFFF
        assert invalid["Handle32ToHandle"] == INVALID_HANDLE_VALUE
        assert invalid["Ptr32ToPtr"] == 0xFFFF_FFFF  # zero-extension breaks it
        small = send_handle(hosted, 0x1A4)
        assert small["Handle32ToHandle"] == small["Ptr32ToPtr"] == 0x1A4


def test_a_page_closed_twice_is_still_closed() -> None:
    page = high_memory()
    page.close()
    page.close()  # a notebook cell run again after Run All closes it a second time
    assert page.address >= 1 << 32
