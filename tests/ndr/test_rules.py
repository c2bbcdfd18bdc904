"""NDR's integer rules: exact bytes and received values, typed in by hand from FACTS section 7."""

import pytest

from interopkit.errors import UsageError
from interopkit.ndr.rules import TYPES, bit_rows, transfer

BIG = 0x1_2345_6789  # above 4 GiB
EDGE = 0x8000_0000  # the 32-bit sign bit

# (names, from, to, value) -> (wire hex, received, lossy); NDR20, little-endian.
# Written by hand: truncation keeps 89 67 45 23; extension follows the type's sign.
CASES = [
    # __int3264 family, signed: 4 bytes on the wire, sign-extended on arrival
    (("__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"), 64, 32, BIG, "89674523", 0x2345_6789, True),
    (("__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"), 64, 64, BIG, "89674523", 0x2345_6789, True),
    (("__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"), 32, 64, -1, "ffffffff", -1, False),
    (("__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"), 64, 32, -1, "ffffffff", -1, False),
    (("__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"), 64, 64, EDGE, "00000080", -EDGE, True),
    (("__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"), 32, 32, 5, "05000000", 5, False),
    # __int3264 family, unsigned: 4 bytes on the wire, zero-extended on arrival
    (("unsigned __int3264", "UINT_PTR", "ULONG_PTR", "DWORD_PTR", "SIZE_T"), 64, 32, BIG,
     "89674523", 0x2345_6789, True),
    (("unsigned __int3264", "UINT_PTR", "ULONG_PTR", "DWORD_PTR", "SIZE_T"), 32, 64, EDGE,
     "00000080", EDGE, False),
    (("unsigned __int3264", "UINT_PTR", "ULONG_PTR", "DWORD_PTR", "SIZE_T"), 64, 64, EDGE,
     "00000080", EDGE, False),
    # HANDLE_PTR: 8 bytes from a 64-bit stub, 4 from a 32-bit one
    (("HANDLE_PTR",), 64, 64, BIG, "8967452301000000", BIG, False),
    (("HANDLE_PTR",), 32, 32, EDGE, "00000080", EDGE, False),
    (("HANDLE_PTR",), 64, 32, BIG, "8967452301000000", 0x2345_6789, True),
    (("HANDLE_PTR",), 32, 64, 5, "05000000", None, True),
    (("SHANDLE_PTR",), 64, 64, -2, "feffffffffffffff", -2, False),
    (("SHANDLE_PTR",), 32, 32, -2, "feffffff", -2, False),
    # fixed sizes: the same on both sides; a value too wide is cut at the sender
    (("DWORD", "ULONG", "UINT", "unsigned __int32"), 64, 32, BIG, "89674523", 0x2345_6789,
     True),
    (("DWORD", "ULONG", "UINT", "unsigned __int32"), 32, 64, EDGE, "00000080", EDGE, False),
    (("__int32", "long", "LONG", "INT", "int", "BOOL", "HRESULT"), 32, 64, -1, "ffffffff", -1,
     False),
    (("__int64", "hyper", "LONGLONG", "LONG64", "INT64"), 32, 64, -2, "feffffffffffffff", -2,
     False),
    (("__int64", "hyper", "LONGLONG", "LONG64", "INT64"), 64, 32, BIG, "8967452301000000",
     BIG, False),
    (("unsigned __int64", "unsigned hyper", "ULONGLONG", "ULONG64", "DWORD64", "UINT64"), 64,
     32, BIG, "8967452301000000", BIG, False),
]


@pytest.mark.parametrize("names, sender, receiver, value, wire, received, lossy", CASES)
def test_exact_bytes_and_received_values(names: tuple[str, ...], sender: int, receiver: int,
                                         value: int, wire: str, received: int | None,
                                         lossy: bool) -> None:
    for name in names:
        moved = transfer(name, value, sender, receiver)
        assert (moved.wire_hex, moved.received, moved.lossy) == (wire, received, lossy), name


def test_every_type_is_covered_by_the_hand_table() -> None:
    covered = {name for names, *_ in CASES for name in names}
    assert covered == set(TYPES)


def test_the_issue_examples() -> None:
    cut = transfer("DWORD_PTR", BIG, 64, 32)
    assert (len(cut.wire), cut.received, cut.lossy) == (4, 0x2345_6789, True)
    kept = transfer("HANDLE_PTR", BIG, 64, 64)
    assert (len(kept.wire), kept.received, kept.lossy) == (8, BIG, False)


def test_sign_extension_into_a_different_value_is_named() -> None:
    moved = transfer("INT_PTR", 0xFFFF_FFFF, 64, 64)
    assert moved.received == -1 and moved.lossy
    assert any("large positive value into a negative" in step for step in moved.steps)
    assert any("sign-extends" in step for step in transfer("LONG_PTR", -1, 32, 64).steps)
    assert any("zero-extends" in step for step in transfer("ULONG_PTR", 1, 32, 64).steps)


def test_alignment_padding_from_the_stream_offset() -> None:
    assert transfer("hyper", 1, 64, 64, offset=4).padding == 4
    assert transfer("hyper", 1, 64, 64, offset=8).padding == 0
    assert transfer("DWORD_PTR", 1, 64, 64, offset=2).padding == 2  # 4 bytes: aligned to 4
    assert transfer("HANDLE_PTR", 1, 64, 64, offset=12).padding == 4
    assert transfer("HANDLE_PTR", 1, 32, 32, offset=12).padding == 0


def test_ndr64_is_negotiated_away_for_a_32_64_pair_and_unverified_otherwise() -> None:
    mixed = transfer("DWORD_PTR", BIG, 64, 32, "ndr64")
    assert mixed.syntax == "ndr20" and mixed.wire_hex == "89674523"
    assert "MS-RPCE-NEG" in mixed.sources
    both = transfer("DWORD_PTR", BIG, 64, 64, "ndr64")
    assert (both.syntax, both.wire_hex, both.lossy) == ("ndr64", "8967452301000000", False)
    assert both.certainty == "unverified"  # FACTS: the NDR64 size of __int3264 is unverified
    assert transfer("hyper", 1, 64, 64, "ndr64").certainty == "documented"


def test_handle_ptr_across_bitness_is_derived_not_documented() -> None:
    for sender, receiver in ((64, 32), (32, 64)):
        moved = transfer("HANDLE_PTR", 1, sender, receiver)
        assert moved.certainty == "derived" and moved.lossy
        assert any("unverified" in step for step in moved.steps)
    assert transfer("HANDLE_PTR", 1, 64, 64).certainty == "documented"


def test_every_source_key_resolves() -> None:
    from interopkit.sources import SOURCES

    for name in TYPES:
        for sender in (32, 64):
            for receiver in (32, 64):
                for syntax in ("ndr20", "ndr64"):
                    assert set(transfer(name, 1, sender, receiver, syntax).sources) <= \
                        set(SOURCES)


def test_bad_arguments() -> None:
    with pytest.raises(UsageError, match="not a type"):
        transfer("PVOID", 1, 64, 32)
    with pytest.raises(UsageError, match="bitnesses"):
        transfer("DWORD", 1, 16, 32)
    with pytest.raises(UsageError, match="transfer syntax"):
        transfer("DWORD", 1, 64, 32, "xdr")


def _digits(row) -> str:
    return "".join("." if bit is None else str(bit) for bit in reversed(row.bits))


def test_bit_rows_show_the_upper_half_held_back_and_lost() -> None:
    sender, wire, receiver = bit_rows(transfer("DWORD_PTR", 0x1_2345_6789, 64, 32))
    assert _digits(sender) == f"{0x1_2345_6789:064b}"
    assert _digits(wire) == "." * 32 + f"{0x2345_6789:032b}"
    assert _digits(receiver) == "." * 32 + f"{0x2345_6789:032b}"
    assert sender.states[32:] == ("held back",) * 32 and sender.states[:32] == ("sent",) * 32
    assert receiver.states[32] == "lost" and receiver.states[33:] == ("none",) * 31
    assert receiver.states[:32] == ("arrived",) * 32
    assert receiver.label == "receiver's DWORD_PTR (32 bits)"


def test_bit_rows_show_extension_right_and_wrong() -> None:
    *_, signed = bit_rows(transfer("INT_PTR", -1, 32, 64))
    assert _digits(signed) == "1" * 64 and signed.states[32:] == ("extended",) * 32
    *_, unsigned = bit_rows(transfer("UINT_PTR", 0xFFFF_FFFF, 32, 64))
    assert _digits(unsigned) == "0" * 32 + "1" * 32 and "wrong" not in unsigned.states
    *_, flipped = bit_rows(transfer("LONG_PTR", 0x8000_0000, 64, 64))  # NDR20 between 64s
    assert flipped.states[32:] == ("wrong",) * 32 and flipped.states[31] == "arrived"


def test_bit_rows_of_disagreeing_stubs_are_undefined() -> None:
    _, wire, receiver = bit_rows(transfer("HANDLE_PTR", 5, 32, 64))
    assert set(receiver.states) == {"undefined"} and set(receiver.bits) == {None}
    assert wire.label == "on the NDR20 wire (4 bytes)"
    kept = bit_rows(transfer("HANDLE_PTR", 0x1_2345_6789, 64, 64))[2]
    assert _digits(kept) == f"{0x1_2345_6789:064b}" and "lost" not in kept.states
