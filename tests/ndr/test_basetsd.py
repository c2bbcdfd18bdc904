"""basetsd.h's conversions: which extend by sign and which by zero (values worked by hand)."""

import pytest

from interopkit.ndr.basetsd import CONVERSIONS, INVALID_HANDLE_VALUE

HIGH = 0x1_8000_0004  # a 64-bit value whose low half has its top bit set

# name -> (result for HIGH, result for 0xFFFFFFFF), as a 64-bit process holds them
EXPECTED = {
    "HandleToLong": (-0x7FFF_FFFC, -1),
    "PtrToLong": (-0x7FFF_FFFC, -1),
    "HandleToULong": (0x8000_0004, 0xFFFF_FFFF),
    "PtrToUlong": (0x8000_0004, 0xFFFF_FFFF),
    "LongToHandle": (0xFFFF_FFFF_8000_0004, 0xFFFF_FFFF_FFFF_FFFF),
    "LongToPtr": (0xFFFF_FFFF_8000_0004, 0xFFFF_FFFF_FFFF_FFFF),
    "Handle32ToHandle": (0xFFFF_FFFF_8000_0004, 0xFFFF_FFFF_FFFF_FFFF),
    "ULongToHandle": (0x8000_0004, 0xFFFF_FFFF),
    "ULongToPtr": (0x8000_0004, 0xFFFF_FFFF),
    "Ptr32ToPtr": (0x8000_0004, 0xFFFF_FFFF),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_conversion(name: str) -> None:
    conversion = CONVERSIONS[name]
    assert (conversion.apply(HIGH), conversion.apply(0xFFFF_FFFF)) == EXPECTED[name]
    # through LONG_PTR a value keeps its sign; through ULONG_PTR it does not
    signed_cast = "(LONG_PTR)" in conversion.definition
    assert signed_cast == (conversion.effect == "sign-extends" or
                           name in ("HandleToLong", "PtrToLong"))


def test_every_conversion_is_checked() -> None:
    assert set(CONVERSIONS) == set(EXPECTED)


def test_invalid_handle_value_survives_the_round_trip_through_32_bits() -> None:
    as32 = CONVERSIONS["HandleToULong"].apply(INVALID_HANDLE_VALUE)
    assert as32 == 0xFFFF_FFFF
    assert CONVERSIONS["Handle32ToHandle"].apply(as32) == INVALID_HANDLE_VALUE
    assert CONVERSIONS["Ptr32ToPtr"].apply(as32) != INVALID_HANDLE_VALUE  # zero-extension breaks it
    small = 0x1A4  # a typical handle value: survives either way
    assert CONVERSIONS["Handle32ToHandle"].apply(small) == small
