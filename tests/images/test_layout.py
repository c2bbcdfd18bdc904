import pytest

from interopkit.images.layout import Layout, ShortRead

PAIR = Layout("pair", [("a", "H", "first"), ("b", "I", "second"), ("tag", "4s", "bytes")])


def test_offsets_and_size() -> None:
    assert PAIR.size == 10
    assert [(f.name, f.offset, f.size) for f in PAIR.fields] == [
        ("a", 0, 2), ("b", 2, 4), ("tag", 6, 4)]


def test_pack_and_unpack_round_trip_little_endian() -> None:
    data = PAIR.pack(a=0x1234, b=0xAABBCCDD, tag=b"PE\0\0")
    assert data == bytes.fromhex("3412ddccbbaa") + b"PE\0\0"
    assert PAIR.unpack(data) == {"a": 0x1234, "b": 0xAABBCCDD, "tag": b"PE\0\0"}


def test_missing_fields_pack_as_zero() -> None:
    assert PAIR.pack() == b"\0" * 10


def test_short_read_says_how_many_bytes() -> None:
    with pytest.raises(ShortRead, match="read 3 bytes of the pair at offset 0x2, expected 10"):
        PAIR.unpack(b"\0" * 5, 2)


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(KeyError, match="no field"):
        PAIR.pack(c=1)
