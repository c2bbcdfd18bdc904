"""The surrogate's wire format, declared once: frames, argument types and their encoding.

The 64-bit client and the surrogate process (``interopkit/csrc/surrogate.c``) exchange frames
over the surrogate's stdin and stdout: no socket, nothing for another process to connect to.
Every frame is a 16-byte header and a payload:

    header   magic "IK" (u16), version (u8), kind (u8), call id (u32), status (u32),
             payload length (u32); little-endian
    CALL     u16 export-name length, the name, padding to 4; u8 return type, u8 argument
             count, u16 zero; then each argument: u8 type, 3 bytes of padding, its value
    REPLY    u64 return value, then each out/in-out buffer as u32 length, bytes, padding to 4
    HELLO    (empty) -> REPLY with one line of JSON: pid, pointer size, arch, DLL, exports
    BYE      (empty) -> REPLY, and the surrogate exits
    errors   status != OK; the payload is the message (UTF-8)

Argument values, NDR-style (each aligned to its size from the start of the payload, like MIDL's
interpreted stubs describe each argument by a format character, so one generic stub in the
surrogate can call any export): ``l`` 32-bit int, ``h`` 64-bit int, ``p`` pointer-sized int
(8 bytes on the wire; a 32-bit surrogate keeps the low 32 bits, as a 32-bit process must),
``i`` in-buffer and ``b`` in-out buffer (u32 length, bytes, padding), ``o`` out-buffer (u32
length; the surrogate supplies zeroed memory). The C side includes ``wire.h``, generated from
this module by ``c_header()``; a test checks the committed header against it. Taught in
notebook 05.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache, partial

from interopkit.errors import UsageError
from interopkit.images.layout import Layout

__all__ = [
    "HEADER",
    "MAGIC",
    "MAX_ARGS",
    "MAX_PAYLOAD",
    "VERSION",
    "ArgType",
    "Argument",
    "Kind",
    "Piece",
    "Status",
    "annotate",
    "c_header",
    "decode_call",
    "decode_reply",
    "encode_call",
    "encode_reply",
    "encode_scalars",
    "frame",
    "header",
]

MAGIC = 0x4B49  # "IK" little-endian
VERSION = 1
MAX_PAYLOAD = 64 << 20
"""Largest payload either side accepts (64 MiB); larger frames are refused with TOO_LARGE."""

HEADER = Layout("frame header", [
    ("magic", "H", "0x4B49, 'IK'"),
    ("version", "B", "1"),
    ("kind", "B", "CALL, REPLY, HELLO or BYE"),
    ("call_id", "I", "chosen by the client, echoed in the reply"),
    ("status", "I", "OK (0) or an error"),
    ("length", "I", "payload bytes that follow"),
])


class Kind(IntEnum):
    """What a frame is."""

    CALL = 1
    REPLY = 2
    HELLO = 3
    BYE = 4


class Status(IntEnum):
    """A reply's status."""

    OK = 0
    BAD_FRAME = 1
    UNKNOWN_EXPORT = 2
    BAD_ARGUMENT = 3
    TOO_LARGE = 4
    NO_MEMORY = 5
    FAULT = 6
    """The call faulted and the surrogate survived (the emulated surrogate; a native one dies)."""


class ArgType(IntEnum):
    """Argument and return types, as format characters."""

    INT32 = ord("l")
    INT64 = ord("h")
    PTR = ord("p")
    IN = ord("i")
    OUT = ord("o")
    INOUT = ord("b")
    VOID = ord("v")


@dataclass(frozen=True)
class Argument:
    """One argument of a call."""

    type: ArgType
    """How it travels."""
    value: int | bytes
    """An int for INT32/INT64/PTR and the length (int) for OUT; bytes for IN and INOUT."""


def _pad(data: bytearray, alignment: int) -> None:
    data.extend(b"\0" * (-len(data) % alignment))


def encode_call(export: str, args: list[Argument], returns: ArgType = ArgType.PTR) -> bytes:
    """The payload of a CALL frame."""
    if all(arg.type in _SCALARS for arg in args):
        return encode_scalars(export, tuple(arg.type for arg in args),
                              tuple(int(arg.value) for arg in args), returns)
    return _encode_general(export, args, returns)


def _encode_general(export: str, args: list[Argument], returns: ArgType) -> bytes:
    """Any arguments, piece by piece (the tests hold the scalar fast path to this)."""
    name = export.encode("ascii")
    if not 0 < len(name) < 256 or len(args) > MAX_ARGS:
        raise UsageError(export, "cannot be called with these arguments",
                         "Export names are 1-255 ASCII characters; at most 16 arguments")
    parts = [struct.pack("<H", len(name)), name, _zeros(-(2 + len(name)) % 4),
             struct.pack("<BBH", returns, len(args), 0)]
    size = sum(len(part) for part in parts)
    for arg in args:  # parts joined once at the end: a 1 MiB buffer is copied a single time
        piece: list[bytes] = [struct.pack("<B3x", arg.type)]
        if arg.type is ArgType.INT32:
            piece.append(struct.pack("<I", int(arg.value) % (1 << 32)))
        elif arg.type in (ArgType.INT64, ArgType.PTR):
            piece.append(_zeros(-(size + 4) % 8))
            piece.append(struct.pack("<Q", int(arg.value) % (1 << 64)))
        elif arg.type is ArgType.OUT:
            if not 0 <= int(arg.value) <= MAX_PAYLOAD:
                raise UsageError(f"an out-buffer of {arg.value} bytes", "cannot travel",
                                 "Ask for 0 to 64 MiB")
            piece.append(struct.pack("<I", int(arg.value)))
        elif arg.type in (ArgType.IN, ArgType.INOUT):
            data = arg.value if isinstance(arg.value, (bytes, bytearray, memoryview)) else \
                bytes(arg.value)  # type: ignore[arg-type]
            piece += [struct.pack("<I", len(data)), data, _zeros(-(4 + len(data)) % 4)]
        else:
            raise UsageError(repr(arg.type), "is not an argument type", "Use l, h, p, i, o or b")
        parts += piece
        size += sum(len(part) for part in piece)
    return b"".join(parts)


_SCALARS = (ArgType.INT32, ArgType.INT64, ArgType.PTR)


@lru_cache(maxsize=256)
def _scalar_call(export: str, returns: ArgType,
                 types: tuple[ArgType, ...]) -> tuple[Callable[..., bytes], tuple[int, ...]]:
    """How to pack a call whose arguments are all scalars: one struct for the whole payload
    (name, types and padding are constants of the layout) and each value's mask. Most calls
    take this path."""
    name = export.encode("ascii")
    if not 0 < len(name) < 256 or len(types) > MAX_ARGS:
        raise UsageError(export, "cannot be called with these arguments",
                         "Export names are 1-255 ASCII characters; at most 16 arguments")
    head = struct.pack(f"<H{len(name)}s{-(2 + len(name)) % 4}xBBH", len(name), name, returns,
                       len(types), 0)
    layout, size = [f"{len(head)}s"], len(head)
    for kind in types:
        if kind is ArgType.INT32:
            layout.append("B3xI")
            size += 8
        else:  # INT64 and PTR: the value aligned to 8
            layout.append(f"B3x{-(size + 4) % 8}xQ")
            size += 4 + (-(size + 4) % 8) + 8
    packer = struct.Struct("<" + "".join(layout)).pack
    masks = tuple((1 << 32) - 1 if kind is ArgType.INT32 else (1 << 64) - 1 for kind in types)
    return partial(packer, head), masks


def encode_scalars(export: str, types: tuple[ArgType, ...], values: tuple[int, ...],
                   returns: ArgType = ArgType.PTR) -> bytes:
    """``encode_call`` for integer arguments only (INT32, INT64, PTR), by a cached layout:
    the same bytes, a few times faster."""
    pack, masks = _scalar_call(export, returns, types)
    return pack(*[item for kind, value, mask in zip(types, values, masks)
                  for item in (kind, value & mask)])


def _zeros(count: int) -> bytes:
    return b"\0" * count


MAX_ARGS = 16
"""Arguments one call may carry (the surrogate passes at most 16 words to the export)."""


def decode_call(payload: bytes) -> tuple[str, ArgType, list[Argument]]:
    """Parse a CALL payload: the emulated surrogate's reading of the format, held by the tests
    to the C side's. Anything malformed (a field past the end, more than 16 arguments, a
    buffer longer than what follows, an out-buffer over the limit, an unknown type) is a
    UsageError naming it, never another exception."""
    try:
        return _decode_call(payload)
    except struct.error as exc:
        raise UsageError("call payload", f"ends early: its {len(payload)} bytes do not hold "
                         "every field it announces", "Encode it with encode_call") from exc
    except (ValueError, IndexError) as exc:
        raise UsageError("call payload", f"is malformed ({exc})",
                         "Encode it with encode_call") from exc


def _decode_call(payload: bytes) -> tuple[str, ArgType, list[Argument]]:
    (size,) = struct.unpack_from("<H", payload, 0)
    if not 0 < size < 256 or 2 + size > len(payload):
        raise ValueError(f"an export name of {size} bytes")
    name = payload[2:2 + size].decode("ascii")
    at = 2 + size + (-(2 + size) % 4)
    returns, count, _ = struct.unpack_from("<BBH", payload, at)
    if count > MAX_ARGS:
        raise ValueError(f"{count} arguments, more than {MAX_ARGS}")
    at += 4
    args = []
    for index in range(count):
        (code,) = struct.unpack_from("<B", payload, at)
        kind = ArgType(code)
        at += 4
        if kind is ArgType.INT32:
            args.append(Argument(kind, struct.unpack_from("<I", payload, at)[0]))
            at += 4
        elif kind in (ArgType.INT64, ArgType.PTR):
            at += -at % 8
            args.append(Argument(kind, struct.unpack_from("<Q", payload, at)[0]))
            at += 8
        elif kind is ArgType.OUT:
            (length,) = struct.unpack_from("<I", payload, at)
            if length > MAX_PAYLOAD:
                raise ValueError(f"argument {index} asks for an out-buffer of {length} bytes")
            args.append(Argument(kind, length))
            at += 4
        elif kind in (ArgType.IN, ArgType.INOUT):
            (length,) = struct.unpack_from("<I", payload, at)
            if length > len(payload) - at - 4:  # refused, as the native surrogate does
                raise ValueError(f"argument {index}: a buffer of {length} bytes overruns the "
                                 "call frame")
            args.append(Argument(kind, payload[at + 4:at + 4 + length]))
            at += 4 + length + (-(4 + length) % 4)
        else:
            raise ValueError(f"argument {index} has type {kind.name}, which is not an argument")
    return name, ArgType(returns), args


def encode_reply(result: int, buffers: list[bytes]) -> bytes:
    """The payload of an OK REPLY to a CALL."""
    out = bytearray(struct.pack("<Q", result % (1 << 64)))
    for data in buffers:
        out += struct.pack("<I", len(data)) + data
        _pad(out, 4)
    return bytes(out)


def decode_reply(payload: bytes, buffer_count: int) -> tuple[int, list[bytes]]:
    """The return value and the out/in-out buffers of an OK REPLY."""
    try:
        (result,) = struct.unpack_from("<Q", payload, 0)
        at, buffers = 8, []
        for _ in range(buffer_count):
            (length,) = struct.unpack_from("<I", payload, at)
            if at + 4 + length > len(payload):
                raise ValueError(f"a buffer of {length} bytes overruns the reply")
            buffers.append(payload[at + 4:at + 4 + length])
            at += 4 + length + (-(4 + length) % 4)
        return result, buffers
    except (struct.error, ValueError) as exc:
        raise UsageError("reply payload", f"is malformed ({exc})",
                         "The surrogate sent a frame the client cannot read") from exc


def header(kind: Kind, call_id: int, length: int, status: Status = Status.OK) -> bytes:
    """A frame's 16-byte header (made on every call: one struct, no field-name dictionary)."""
    return _PACK(MAGIC, VERSION, kind, call_id, status, length)


def frame(kind: Kind, call_id: int, payload: bytes = b"", status: Status = Status.OK) -> bytes:
    """A whole frame: header and payload."""
    return header(kind, call_id, len(payload), status) + payload


_PACK = HEADER.struct.pack


@dataclass(frozen=True)
class Piece:
    """One field of a frame as it travelled, for reading a frame byte by byte."""

    offset: int
    """Where it starts in the frame."""
    data: bytes
    """Its bytes."""
    field: str
    """What it is."""
    value: str
    """What it says."""


def annotate(data: bytes) -> list[Piece]:
    """A whole frame (header and payload) cut into its fields, each with what it means."""
    pieces: list[Piece] = []

    def take(at: int, size: int, field: str, value: str) -> int:
        pieces.append(Piece(at, data[at:at + size], field, value))
        return at + size

    if len(data) < HEADER.size:
        raise UsageError("frame", f"has {len(data)} bytes, fewer than a header",
                         "Give a whole frame: 16 bytes of header, then the payload")
    fields = HEADER.unpack(data[:HEADER.size])
    kind = Kind(fields["kind"]) if fields["kind"] in Kind._value2member_map_ else None
    status = fields["status"]
    names = {"magic": "'IK'", "version": str(fields["version"]),
             "kind": kind.name if kind else f"unknown ({fields['kind']})",
             "call_id": str(fields["call_id"]),
             "status": Status(status).name if status in Status._value2member_map_ else str(status),
             "length": f"{fields['length']} bytes follow"}
    for item in HEADER.fields:
        take(item.offset, item.size, f"header.{item.name}",
             names[item.name])
    at, payload = HEADER.size, data[HEADER.size:]
    if status != Status.OK:
        take(at, len(payload), "message", payload.decode("utf-8", "replace"))
    elif kind is Kind.CALL:
        _annotate_call(take, at, payload)
    elif kind is Kind.REPLY and len(payload) >= 8:
        at = take(at, 8, "return value", str(struct.unpack_from("<Q", payload)[0]))
        while at + 4 <= len(data):
            (size,) = struct.unpack_from("<I", data, at)
            at = take(at, 4, "buffer length", str(size))
            at = take(at, size, "buffer bytes", repr(data[at:at + size][:24]))
            if -size % 4:
                at = take(at, -size % 4, "padding", "to a multiple of 4")
    elif payload:
        take(at, len(payload), "payload", payload[:60].decode("utf-8", "replace"))
    return pieces


def _annotate_call(take: Callable[[int, int, str, str], int], at: int, payload: bytes) -> None:
    name, returns, args = decode_call(payload)
    start = at
    at = take(at, 2, "name length", str(len(name)))
    at = take(at, len(name), "export name", name)
    if (at - start) % 4:
        at = take(at, -(at - start) % 4, "padding", "to a multiple of 4")
    at = take(at, 1, "return type", f"'{chr(returns)}' {returns.name}")
    at = take(at, 1, "argument count", str(len(args)))
    at = take(at, 2, "reserved", "zero")
    for index, arg in enumerate(args):
        at = take(at, 1, f"arg {index} type", f"'{chr(arg.type)}' {arg.type.name}")
        at = take(at, 3, "padding", "the value is aligned")
        if arg.type in (ArgType.INT64, ArgType.PTR) and (at - start) % 8:
            at = take(at, -(at - start) % 8, "padding", "to a multiple of 8")
        if arg.type in (ArgType.IN, ArgType.INOUT):
            data = bytes(arg.value)  # type: ignore[arg-type]
            at = take(at, 4, f"arg {index} length", str(len(data)))
            at = take(at, len(data), f"arg {index} bytes", repr(data[:24]))
            if -(4 + len(data)) % 4:
                at = take(at, -(4 + len(data)) % 4, "padding", "to a multiple of 4")
        else:
            size = 8 if arg.type in (ArgType.INT64, ArgType.PTR) else 4
            meaning = "bytes to allocate" if arg.type is ArgType.OUT else "value"
            at = take(at, size, f"arg {index} {meaning}", f"{arg.value} (0x{int(arg.value):x})")


def c_header() -> str:
    """``wire.h`` for the surrogate, generated from the declarations above."""
    lines = ["/* Generated by interopkit.surrogate.wire.c_header(): do not edit; edit wire.py. */",
             "#ifndef INTEROPKIT_WIRE_H", "#define INTEROPKIT_WIRE_H",
             f"#define IK_WIRE_MAGIC 0x{MAGIC:04X}", f"#define IK_WIRE_VERSION {VERSION}",
             f"#define IK_WIRE_HEADER_SIZE {HEADER.size}",
             f"#define IK_WIRE_MAX_PAYLOAD {MAX_PAYLOAD}"]
    for field in HEADER.fields:
        lines.append(f"#define IK_WIRE_OFFSET_{field.name.upper()} {field.offset}")
    for enum, prefix in ((Kind, "IK_KIND"), (Status, "IK_STATUS"), (ArgType, "IK_ARG")):
        lines += [f"#define {prefix}_{member.name} {member.value}" for member in enum]
    lines += ["#endif", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(c_header(), end="")
