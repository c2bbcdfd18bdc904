"""The wire format: exact bytes, round trips, and the C header generated from it."""

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.errors import UsageError
from interopkit.kit.quick import is_quick
from interopkit.surrogate.wire import (
    HEADER,
    MAX_PAYLOAD,
    ArgType,
    Argument,
    Kind,
    Status,
    annotate,
    c_header,
    decode_call,
    decode_reply,
    encode_call,
    encode_reply,
    frame,
)


def test_exact_bytes_of_a_call() -> None:
    payload = encode_call("checksum", [Argument(ArgType.IN, b"hello"),
                                       Argument(ArgType.INT32, 5)], ArgType.INT32)
    assert payload.hex() == (
        "0800" + b"checksum".hex() + "0000"      # name length, name, padding to 4
        + "6c" + "02" + "0000"                   # returns 'l', 2 arguments
        + "69000000" + "05000000" + b"hello".hex() + "000000"  # 'i', length 5, bytes, pad
        + "6c000000" + "05000000")               # 'l', 5


def test_pointer_sized_values_are_8_byte_aligned() -> None:
    payload = encode_call("echo_ptr", [Argument(ArgType.PTR, 0x123456789)])
    at = payload.index(bytes([ArgType.PTR]))
    value = payload.index((0x123456789).to_bytes(8, "little"))
    assert value % 8 == 0 and value > at


def test_frame_header() -> None:
    data = frame(Kind.CALL, 7, b"xyz")
    assert data[:2] == b"IK" and len(data) == HEADER.size + 3
    assert HEADER.unpack(data) == {"magic": 0x4B49, "version": 1, "kind": 1, "call_id": 7,
                                   "status": 0, "length": 3}


arguments = st.lists(st.one_of(
    st.builds(Argument, st.just(ArgType.INT32), st.integers(0, 2**32 - 1)),
    st.builds(Argument, st.sampled_from([ArgType.INT64, ArgType.PTR]), st.integers(0, 2**64 - 1)),
    st.builds(Argument, st.sampled_from([ArgType.IN, ArgType.INOUT]), st.binary(max_size=40)),
    st.builds(Argument, st.just(ArgType.OUT), st.integers(0, 1000))), max_size=16)


@given(name=st.text("abcdefghijklmnopqrstuvwxyz_@0123456789", min_size=1, max_size=40),
       args=arguments)
def test_calls_round_trip(name: str, args: list[Argument]) -> None:
    assert decode_call(encode_call(name, args, ArgType.INT64)) == (name, ArgType.INT64, args)


def test_replies_round_trip() -> None:
    payload = encode_reply(2**64 - 1, [b"abc", b"", b"12345"])
    assert decode_reply(payload, 3) == (2**64 - 1, [b"abc", b"", b"12345"])
    with pytest.raises(UsageError, match="overruns the reply"):
        decode_reply(payload[:8] + (100).to_bytes(4, "little") + b"abc", 1)


def test_bad_calls() -> None:
    with pytest.raises(UsageError):
        encode_call("", [])
    with pytest.raises(UsageError):
        encode_call("f", [Argument(ArgType.INT32, 1)] * 17)
    with pytest.raises(UsageError, match="malformed"):
        decode_call(b"\x05\x00ab")
    with pytest.raises(UsageError, match="an out-buffer of -1 bytes: cannot travel"):
        encode_call("f", [Argument(ArgType.OUT, -1)])


def test_the_committed_c_header_is_generated_from_this_module() -> None:
    committed = Path(__file__).resolve().parents[2] / "interopkit" / "csrc" / "wire.h"
    assert committed.read_text() == c_header()
    assert "#define IK_STATUS_UNKNOWN_EXPORT 2" in c_header() and Status.UNKNOWN_EXPORT == 2


def test_annotate_cuts_a_frame_into_all_its_bytes() -> None:
    call = frame(Kind.CALL, 7, encode_call("fill", [
        Argument(ArgType.OUT, 6), Argument(ArgType.INT32, 6), Argument(ArgType.PTR, 65),
        Argument(ArgType.IN, b"hello")], ArgType.VOID))
    pieces = annotate(call)
    assert b"".join(p.data for p in pieces) == call  # every byte accounted for, in order
    assert [p.offset for p in pieces] == sorted(p.offset for p in pieces)
    fields = {p.field: p for p in pieces}
    assert fields["header.kind"].value == "CALL" and fields["export name"].value == "fill"
    assert fields["arg 2 value"].offset % 8 == 0 and fields["arg 2 value"].data == \
        (65).to_bytes(8, "little")
    reply = frame(Kind.REPLY, 7, encode_reply(6, [b"ABCDEF"]))
    assert b"".join(p.data for p in annotate(reply)) == reply
    assert [p.field for p in annotate(reply)][-3:] == ["buffer length", "buffer bytes",
                                                        "padding"]
    error = annotate(frame(Kind.REPLY, 7, b"no such export", Status.UNKNOWN_EXPORT))
    assert error[4].value == "UNKNOWN_EXPORT" and error[-1].value == "no such export"
    with pytest.raises(UsageError, match="fewer than a header"):
        annotate(b"IK")


_SCALAR = st.sampled_from([ArgType.INT32, ArgType.INT64, ArgType.PTR])


@given(name=st.text("abcdefgh_@0123456789", min_size=1, max_size=20),
       args=st.lists(st.tuples(_SCALAR, st.integers(-(2 ** 63), 2 ** 64 - 1)), max_size=16))
def test_the_scalar_fast_path_writes_the_general_paths_bytes(
        name: str, args: list[tuple[ArgType, int]]) -> None:
    from interopkit.surrogate.wire import _encode_general, encode_scalars

    general = _encode_general(name, [Argument(t, v) for t, v in args], ArgType.INT32)
    fast = encode_scalars(name, tuple(t for t, _ in args), tuple(v for _, v in args),
                          ArgType.INT32)
    assert fast == general


def test_malformed_call_payloads_are_usage_errors() -> None:
    """The emulated surrogate answers what decode_call refuses with an error reply: each
    malformed payload must be a UsageError that says what is wrong, never IndexError."""
    name = struct.pack("<H3s3x", 3, b"add")
    with pytest.raises(UsageError, match="ends early: its 12 bytes"):
        decode_call(bytes.fromhex("06006e6f7375636870020000"))  # "nosuch", 2 args, none
    with pytest.raises(UsageError, match="17 arguments, more than 16"):
        decode_call(name + struct.pack("<BBH", ArgType.INT32, 17, 0)
                    + struct.pack("<B3xI", ArgType.INT32, 1) * 17)
    with pytest.raises(UsageError, match="a buffer of 100 bytes overruns the call frame"):
        decode_call(name + struct.pack("<BBH", ArgType.INT32, 1, 0)
                    + struct.pack("<B3xI", ArgType.INOUT, 100) + bytes(10))
    with pytest.raises(UsageError, match="out-buffer of 67108865 bytes"):
        decode_call(name + struct.pack("<BBH", ArgType.INT32, 1, 0)
                    + struct.pack("<B3xI", ArgType.OUT, MAX_PAYLOAD + 1))
    with pytest.raises(UsageError, match="type VOID, which is not an argument"):
        decode_call(name + struct.pack("<BBH", ArgType.INT32, 1, 0)
                    + struct.pack("<B3xI", ArgType.VOID, 0))


@settings(max_examples=3000 if not is_quick() else 300)
@given(payload=st.one_of(st.binary(max_size=120), st.builds(
    lambda good, cut, junk: good[:cut] + junk,
    st.builds(encode_call, st.just("fill"), arguments, st.just(ArgType.INT32)),
    st.integers(0, 200), st.binary(max_size=8))))
def test_any_payload_decodes_or_is_refused(payload: bytes) -> None:
    try:
        name, _, args = decode_call(payload)
    except UsageError:
        return
    assert 0 < len(name) < 256 and len(args) <= 16


@settings(max_examples=3000 if not is_quick() else 300)
@given(kind=st.sampled_from(list(Kind) + [0, 9]), status=st.sampled_from([0, 1, 6, 99]),
       payload=st.binary(max_size=80))
def test_annotate_reads_any_frame_or_refuses_it(kind: int, status: int, payload: bytes) -> None:
    data = HEADER.struct.pack(0x4B49, 1, kind, 1, status, len(payload)) + payload
    try:
        pieces = annotate(data)
    except UsageError:
        return
    assert pieces[0].offset == 0
