"""NDR's rules for integer and pointer-sized types on the wire, sender to receiver.

``transfer("DWORD_PTR", 0x123456789, sender_bits=64, receiver_bits=32)`` says what a MIDL stub
of each bitness does with one value: what the sender's variable holds, the bytes on the wire
(little-endian, aligned to their size), what the receiver's variable holds, and whether
information was lost. The rules, with the keys of their sources (``interopkit.sources``):

* fixed-size types (``__int32``, ``DWORD``; ``__int64``, ``hyper``) are the same on both sides;
* ``__int3264`` and its family (``INT_PTR``, ``UINT_PTR``, ``LONG_PTR``, ``ULONG_PTR``,
  ``DWORD_PTR``, ``SIZE_T``) are 4 bytes on the NDR20 wire whatever the bitness: the sender
  truncates, the receiver sign-extends a signed type and zero-extends an unsigned one
  (MIDL-3264, MS-DTYP-3264, MS-RPCE-3264). Their NDR64 size is **unverified**: no [MS-RPCE]
  text states it; NDR64's format characters have no int3264 code, which suggests 8 bytes
  (NTCORELIB-NDR64). The kit models 8 and marks it so;
* ``HANDLE_PTR`` and ``SHANDLE_PTR`` are not ``__int3264``: a 64-bit build carries 8 bytes and
  a 32-bit build 4 (W64-PROCINT, SDK-BASETSD). Microsoft recommends ``HANDLE_PTR`` for porting
  RPC interfaces that pass handles (W64-PROCINT). That a 32-bit and a 64-bit stub built from the
  same IDL then lay the message out differently is the kit's reading of ``basetsd.h``
  (derived), and it rests on an assumption no source confirms: that MIDL defines ``_WIN64``
  when it builds 64-bit stubs (unverified; Wine's widl does not);
* NDR64 exists only for 64-bit stubs, and a server accepts one of the client's transfer
  syntaxes, so any 32/64 pair ends up on NDR20 (MIDL-PROTO, MS-RPCE-NEG, RPC-NDR64).

The rules follow Microsoft's documentation. Real proxies built by Wine's widl and run by Wine's
rpcrt4 agree with them byte for byte except in two places, which ``interopkit.com.capture``
measures and lists (``KNOWN_DIFFERENCES``): a 64-bit Wine stub sign-extends an unsigned
``__int3264`` (WINE-WIDL, WINE-RPCRT4), and widl builds 64-bit stubs without ``_WIN64``, so its
``HANDLE_PTR`` is 4 bytes there (WINE-WIDL).

Taught in notebook 06.
"""

from __future__ import annotations

from dataclasses import dataclass

from interopkit.errors import UsageError

__all__ = ["SYNTAXES", "TYPES", "BitRow", "Transfer", "WireType", "bit_rows", "show",
           "transfer"]

SYNTAXES = ("ndr20", "ndr64")


@dataclass(frozen=True)
class WireType:
    """How MIDL sees one type."""

    name: str
    """As IDL spells it."""
    family: str
    """``fixed32``, ``fixed64``, ``int3264`` or ``handle_ptr``."""
    signed: bool
    """Signed types are sign-extended when they widen."""
    definition: str
    """Its definition, in C terms (basetsd.h for the pointer-precision ones)."""


def _types(family: str, signed: bool, definition: str, *names: str) -> dict[str, WireType]:
    return {name: WireType(name, family, signed, definition) for name in names}


TYPES: dict[str, WireType] = {
    **_types("fixed32", True, "32-bit signed", "__int32", "long", "LONG", "INT", "int", "BOOL",
             "HRESULT"),
    **_types("fixed32", False, "32-bit unsigned", "DWORD", "ULONG", "UINT",
             "unsigned __int32"),
    **_types("fixed64", True, "64-bit signed", "__int64", "hyper", "LONGLONG", "LONG64",
             "INT64"),
    **_types("fixed64", False, "64-bit unsigned", "unsigned __int64", "unsigned hyper",
             "ULONGLONG", "ULONG64", "DWORD64", "UINT64"),
    **_types("int3264", True, "__int3264: 32 bits in a 32-bit build, 64 in a 64-bit one",
             "__int3264", "INT_PTR", "LONG_PTR", "SSIZE_T"),
    **_types("int3264", False, "unsigned __int3264", "unsigned __int3264", "UINT_PTR",
             "ULONG_PTR", "DWORD_PTR", "SIZE_T"),
    **_types("handle_ptr", False, "unsigned __int64 in a 64-bit build, unsigned long in a "
             "32-bit one; not __int3264", "HANDLE_PTR"),
    **_types("handle_ptr", True, "__int64 in a 64-bit build, long in a 32-bit one; not "
             "__int3264", "SHANDLE_PTR"),
}
"""The types the kit knows, by IDL name."""


@dataclass(frozen=True)
class Transfer:
    """One value from a sender's variable, across the wire, into a receiver's variable."""

    type: WireType
    """The declared type."""
    value: int
    """What the caller meant to send."""
    sender_bits: int
    """32 or 64: the sending stub's build."""
    receiver_bits: int
    """32 or 64: the receiving stub's build."""
    syntax: str
    """The transfer syntax used (after negotiation)."""
    held: int
    """The value as the sender's variable holds it (its native width and sign)."""
    padding: int
    """Zero bytes before the value, to align it (from ``offset``)."""
    wire: bytes
    """The value's bytes on the wire."""
    received: int | None
    """The value as the receiver's variable holds it; None when the stubs disagree so that
    what arrives is not defined."""
    lossy: bool
    """True when the receiver does not hold what the sender meant."""
    steps: tuple[str, ...]
    """What happened, in order, in sentences."""
    certainty: str
    """``documented``, ``derived`` (follows from documented rules) or ``unverified``."""
    sources: tuple[str, ...]
    """Keys of the sources behind the rules used (``interopkit.sources``)."""

    @property
    def wire_hex(self) -> str:
        """The wire bytes as hex, lowest address first."""
        return self.wire.hex()


def _width(wire_type: WireType, bits: int) -> int:
    """The type's size in bits in a build of ``bits``."""
    return {"fixed32": 32, "fixed64": 64}.get(wire_type.family, bits)


def _fits(value: int, bits: int) -> bool:
    """Whether ``value`` fits a variable of ``bits``, read as signed or as unsigned."""
    return -(1 << (bits - 1)) <= value < 1 << bits


def _as(value: int, bits: int, signed: bool) -> int:
    """The low ``bits`` of ``value``, read as signed or unsigned."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if signed and value >> (bits - 1) else value


def transfer(type_name: str, value: int, sender_bits: int, receiver_bits: int,
             syntax: str = "ndr20", offset: int = 0) -> Transfer:
    """What the stubs do with ``value`` declared as ``type_name``; see the module's text.
    ``offset`` is where the value starts in the stream (it sets the alignment padding)."""
    wire_type = TYPES.get(type_name)
    if wire_type is None:
        raise UsageError(repr(type_name), "is not a type the kit's NDR model knows",
                         f"Use one of {', '.join(TYPES)}")
    if sender_bits not in (32, 64) or receiver_bits not in (32, 64):
        raise UsageError(f"{sender_bits} to {receiver_bits}", "are not bitnesses",
                         "Give 32 or 64 for each side")
    if syntax not in SYNTAXES:
        raise UsageError(repr(syntax), "is not a transfer syntax", "Use ndr20 or ndr64")
    steps: list[str] = []
    sources: list[str] = []
    certainty = "documented"
    if syntax == "ndr64" and 32 in (sender_bits, receiver_bits):
        syntax = "ndr20"
        steps.append("NDR64 exists only for 64-bit stubs; the server accepts one syntax that "
                     "both sides offer, so a 32/64 pair negotiates NDR20.")
        sources += ["MIDL-PROTO", "MS-RPCE-NEG", "RPC-NDR64"]

    sender_width = _width(wire_type, sender_bits)
    held = _as(value, sender_width, wire_type.signed)
    fits = _fits(value, sender_width)
    if not fits:
        steps.append(f"{type_name} has {sender_width} bits in a {sender_bits}-bit build: the "
                     f"sender's variable already holds {show(held)}, not {show(value)}.")

    family = wire_type.family
    if family == "int3264" and syntax == "ndr20":
        wire_bits = 32
        sources += ["MIDL-3264", "MS-DTYP-3264", "MS-RPCE-3264"]
        if sender_width > 32:
            steps.append(f"{type_name} is __int3264: 4 bytes on the NDR20 wire. The 64-bit "
                         "sender truncates to the low 32 bits.")
    elif family == "int3264":
        wire_bits = 64
        certainty = "unverified"
        sources += ["MS-RPCE-NDR64", "NTCORELIB-NDR64"]
        steps.append("Under NDR64 the kit models __int3264 as 8 bytes. No [MS-RPCE] text says "
                     "so: NDR64's format characters have no int3264 code (unverified).")
    elif family == "handle_ptr":
        wire_bits = sender_width
        sources += ["W64-PROCINT", "SDK-BASETSD"]
        steps.append(f"{type_name} is not __int3264: the {sender_bits}-bit stub sends it in "
                     f"{wire_bits // 8} bytes.")
    else:
        wire_bits = sender_width
    wire = (held & ((1 << wire_bits) - 1)).to_bytes(wire_bits // 8, "little")
    padding = -offset % (wire_bits // 8)

    receiver_width = _width(wire_type, receiver_bits)
    if family == "handle_ptr" and receiver_width != wire_bits:
        certainty = "derived"
        if receiver_width < wire_bits:
            received: int | None = _as(held, receiver_width, wire_type.signed)
            steps.append(f"The {receiver_bits}-bit stub from the same IDL expects 4 bytes: it "
                         "reads the low half, and takes the high half for the next value. "
                         "The stubs disagree on the layout (derived; it assumes MIDL defines "
                         "_WIN64 for 64-bit stubs, unverified).")
        else:
            received = None
            steps.append(f"The {receiver_bits}-bit stub expects 8 bytes, aligned to 8, where 4 "
                         "were sent: what it reads is not defined (derived; it assumes MIDL "
                         "defines _WIN64 for 64-bit stubs, unverified).")
        lossy = True
    else:
        raw = int.from_bytes(wire, "little")
        received = _as(raw, wire_bits, wire_type.signed)  # extension keeps the signed value
        if receiver_width > wire_bits:
            how = "sign-extends" if wire_type.signed else "zero-extends"
            steps.append(f"The {receiver_bits}-bit receiver {how} the {wire_bits} bits to "
                         f"{receiver_width}.")
        lossy = not fits or held != received
        if held >= 0 > received:
            steps.append("Sign extension turned a large positive value into a negative one.")
    steps.append(f"The receiver holds {show(received)}" + (": information was lost."
                                                          if lossy else ": nothing was lost."))
    return Transfer(wire_type, value, sender_bits, receiver_bits, syntax, held, padding, wire,
                    received, lossy, tuple(steps), certainty, tuple(dict.fromkeys(sources)))


def show(value: int | None) -> str:
    """A value as the steps print it: hex, with the signed decimal when negative."""
    if value is None:
        return "an undefined value"
    return f"{value} (0x{value & ((1 << 64) - 1):x})" if value < 0 else f"0x{value:x}"


@dataclass(frozen=True)
class BitRow:
    """One row of a bit picture: the sender's variable, the wire, or the receiver's variable."""

    label: str
    """What the row shows (``sender's INT_PTR (64 bits)``)."""
    bits: tuple[int | None, ...]
    """64 entries, bit 0 first: 0, 1, or None where the row has no such bit."""
    states: tuple[str, ...]
    """64 entries, bit 0 first: ``sent`` (travels), ``held back`` (the sender has it, the wire
    does not), ``arrived``, ``extended`` (made by sign or zero extension), ``wrong`` (differs
    from what the sender meant), ``lost`` (meant, but the receiver has no such bit),
    ``undefined`` (stubs disagree) or ``none``."""


def bit_rows(moved: Transfer) -> tuple[BitRow, BitRow, BitRow]:
    """The 64 bits of the sender's variable, the wire and the receiver's variable."""
    sender = _width(moved.type, moved.sender_bits)
    receiver = _width(moved.type, moved.receiver_bits)
    on_wire = len(moved.wire) * 8
    fits = _fits(moved.value, sender)
    # What the receiver should hold: the sender's variable, or the value the caller meant
    # when the variable could not hold it (the same yardstick as Transfer.lossy).
    meant = (moved.held if fits else moved.value) & ((1 << 64) - 1)
    name = moved.type.name

    def bit(value: int, index: int) -> int:
        return (value >> index) & 1  # Python ints are two's complement at every width

    held = [bit(moved.held, i) if i < sender else None for i in range(64)]
    held_states = ["none" if i >= sender else "sent" if i < on_wire else "held back"
                   for i in range(64)]
    raw = int.from_bytes(moved.wire, "little")
    wire = [bit(raw, i) if i < on_wire else None for i in range(64)]
    wire_states = ["sent" if i < on_wire else "none" for i in range(64)]
    got: list[int | None] = []
    got_states = []
    for i in range(64):
        if moved.received is None:
            got.append(None)
            got_states.append("undefined" if i < receiver else "none")
            continue
        widened = bit(moved.received, i)  # what the receiver's value means, widened to 64
        got.append(widened if i < receiver else None)
        if widened != bit(meant, i):
            got_states.append("wrong" if i < receiver else "lost")
        else:
            got_states.append("none" if i >= receiver else "arrived" if i < on_wire
                              else "extended")
    return (BitRow(f"sender's {name} ({sender} bits)", tuple(held), tuple(held_states)),
            BitRow(f"on the {moved.syntax.upper()} wire ({on_wire // 8} bytes)", tuple(wire),
                   tuple(wire_states)),
            BitRow(f"receiver's {name} ({receiver} bits)", tuple(got), tuple(got_states)))
