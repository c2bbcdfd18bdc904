"""The real NDR bytes: what a widl-built COM proxy marshals for a pointer-sized value, beside the
kit's NDR model (``interopkit.ndr.rules``), and what a real stub makes of them.

``capture("DWORD_PTR", 0x180000000, bits=64)`` runs the capture tool (``comcapture_x64.exe``,
interopkit/csrc/com/capture.c) under Wine, or directly on Windows. It loads the proxy/stub DLL
built from isample.idl, makes a proxy and a stub with its IPSFactoryBuffer, and stands between
them as the RPC channel: the request buffer the proxy hands to ``SendReceive`` is recorded, and
then given to the stub, whose server object reports the value it received. No server process
runs. ``replay`` hands bytes straight to a stub, so one bitness's bytes can be read by the
other's stub.

The model follows Microsoft's documentation; where Wine's widl and rpcrt4 do something else, the
case is listed in ``KNOWN_DIFFERENCES`` with the documented rule, Wine's behaviour and the
sources of each, and a case counts as that difference only when the real bytes and the received
value are exactly what Wine's rule predicts. Taught in notebook 06; ``interopkit com ndr`` prints
one case; ``interopkit.lessons.ndr_recording`` keeps a recorded run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import HostError, UsageError
from interopkit.kit.samples import BIN_DIR
from interopkit.kit.winprobe import batch, native_path, run_exe
from interopkit.ndr.rules import transfer
from interopkit.winerror import WinError

__all__ = ["BUILDS", "KNOWN_DIFFERENCES", "METHODS", "REPLAYS", "VALUES", "Capture",
           "Comparison", "Difference", "Replay", "ReplayComparison", "StubBuild", "Sweep",
           "capture", "compare", "compare_replay", "hresult_name", "ndr_case", "parse_value",
           "replay", "stub_build", "sweep"]

METHODS = {"DWORD_PTR": "EchoDwordPtr", "INT_PTR": "EchoIntPtr", "HANDLE_PTR": "EchoHandlePtr",
           "ULONG64": "EchoUlong64"}
"""The ISample method that takes each type as its one [in] parameter (isample.idl)."""

VALUES = (0x1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x180000000,
          0xFFFFFFFF80000000, 0xFFFFFFFFFFFFFFFF)
"""The values every type is sent with: small, the top bit of the low half clear and set, above
4 GiB, a sign-extended 0x80000000 and -1 (INVALID_HANDLE_VALUE's bits)."""

_MASK64 = (1 << 64) - 1
_TIMEOUT = 60.0
_CUT = ("the request buffer holds only the method's [in] parameters (COM's channel adds the "
        "ORPCTHIS header outside it); the value is the only one, at offset 0, so its bytes are "
        "the whole buffer")


@dataclass(frozen=True)
class StubBuild:
    """One proxy/stub DLL built by widl from isample.idl."""

    dll: str
    """Its file name in interopkit/bin/."""
    bits: int
    """32 or 64: the DLL's bitness."""
    win64: bool
    """True when widl was given -D_WIN64 (HANDLE_PTR is then 8 bytes, FC_HYPER)."""

    @property
    def label(self) -> str:
        """``64-bit``, ``64-bit with _WIN64``."""
        return f"{self.bits}-bit" + (" with _WIN64" if self.win64 else "")


BUILDS = (StubBuild("isampleps_x86.dll", 32, False), StubBuild("isampleps_x64.dll", 64, False),
          StubBuild("isampleps_x64_win64.dll", 64, True))
"""Every proxy/stub build: widl -m32, -m64, and -m64 -D_WIN64."""


def stub_build(bits: int, win64: bool = False) -> StubBuild:
    """The build for ``bits`` (and ``_WIN64``); UsageError for another bitness, or for _WIN64 in
    a 32-bit build (no 32-bit compiler defines it)."""
    for build in BUILDS:
        if (build.bits, build.win64) == (bits, win64):
            return build
    if bits in (32, 64):
        raise UsageError("--win64 with --bitness 32", "_WIN64 is defined only for 64-bit builds",
                         "Drop --win64, or use --bitness 64")
    raise UsageError(f"bitness {bits}", "is not 32 or 64", "Give 32 or 64")


@dataclass(frozen=True)
class Difference:
    """A case where Wine does not do what Microsoft documents."""

    case: str
    """When it applies."""
    documented: str
    """The documented rule (the model follows it)."""
    wine: str
    """What Wine's widl and rpcrt4 do."""
    documented_sources: tuple[str, ...]
    """Keys of the documentation (``interopkit.sources``)."""
    wine_sources: tuple[str, ...]
    """Keys of Wine's source."""


KNOWN_DIFFERENCES = {
    "unsigned-int3264-sign-extended": Difference(
        "an unsigned __int3264 (DWORD_PTR here) whose 32 wire bits have the top bit set, "
        "received by a 64-bit stub",
        "__int3264 is 4 bytes on the wire and the receiver extends it: sign-extended if "
        "signed, zero-extended if unsigned, so 0x80000000 arrives as 0x0000000080000000",
        "widl's interpreted (-Oicf) stubs describe every __int3264 as FC_INT3264, the signed "
        "one, even an unsigned DWORD_PTR, and rpcrt4 sign-extends FC_INT3264: 0x80000000 "
        "arrives as 0xFFFFFFFF80000000",
        ("MIDL-3264", "MS-DTYP-3264"), ("WINE-WIDL", "WINE-RPCRT4")),
    "handle-ptr-without-win64": Difference(
        "HANDLE_PTR in a 64-bit proxy/stub built without _WIN64",
        "HANDLE_PTR is not __int3264: basetsd.h makes it unsigned __int64 when _WIN64 is "
        "defined, so a 64-bit stub carries 8 bytes (the model assumes MIDL defines _WIN64 "
        "for 64-bit stubs, which no source confirms)",
        "widl does not define _WIN64 when it compiles IDL for -m64: HANDLE_PTR is then the "
        "32-bit branch of basetsd.h, a 4-byte FC_LONG, and the 64-bit proxy sends the low "
        "32 bits; the 64-bit stub zero-extends them",
        ("W64-PROCINT", "SDK-BASETSD"), ("WINE-WIDL",)),
}
"""Where Wine and the documentation part, by key."""

# HRESULTs and exception codes a capture or replay can report (WINERROR-H, MS-ERREF).
_HRESULTS = {0: "S_OK", 0x80004001: "E_NOTIMPL", 0x80004002: "E_NOINTERFACE",
             0x80004003: "E_POINTER", 0x80004005: "E_FAIL", 0x8000000A: "E_PENDING",
             0x8007000E: "E_OUTOFMEMORY", 0x80070057: "E_INVALIDARG",
             0x800706F7: "RPC_X_BAD_STUB_DATA", 0x800706D1: "RPC_S_PROCNUM_OUT_OF_RANGE",
             0x800706F4: "RPC_X_NULL_REF_POINTER", 0x80010104: "RPC_E_INVALIDMETHOD",
             0x8001FFFF: "RPC_E_UNEXPECTED", 0xC0000005: "STATUS_ACCESS_VIOLATION"}


def hresult_name(code: int) -> str:
    """``RPC_X_BAD_STUB_DATA (0x800706F7)``; the number alone when the kit has no name for it."""
    name = _HRESULTS.get(code & 0xFFFFFFFF)
    return f"{name} (0x{code:08X})" if name else f"0x{code:08X}"


@dataclass(frozen=True)
class Capture:
    """One value through a real proxy, and into a real stub of the same DLL."""

    type: str
    """The [in] parameter's type (a key of ``METHODS``)."""
    value: int
    """What the caller passed, as 64 bits (cast to the type as C casts it)."""
    build: StubBuild
    """The proxy/stub DLL, and so the process's bitness."""
    request_hex: str
    """RPCOLEMESSAGE.Buffer as the proxy handed it to SendReceive, lowercase hex."""
    imethod: int
    """RPCOLEMESSAGE.iMethod (the method's index, with 0x8000 set by the proxy)."""
    drep: int
    """RPCOLEMESSAGE.dataRepresentation (0x10: little-endian, ASCII, IEEE)."""
    server_saw: int | None
    """What the server object received, widened to 64 bits as C widens the type (unsigned
    64-bit bits); None when the stub did not call it."""
    call_hr: int
    """What the proxy's method returned."""
    seconds: float
    """Wall time of the tool's run, starting Wine included."""
    platform: str
    """``Wine 8.0 (...), 64-bit process`` or ``Windows, 64-bit process``."""


@dataclass(frozen=True)
class Replay:
    """Bytes handed to a real stub, and what its server object received."""

    type: str
    """The method's [in] parameter type."""
    request_hex: str
    """The bytes given to IRpcStubBuffer::Invoke."""
    build: StubBuild
    """The stub's DLL."""
    invoke_hr: int
    """What Invoke returned (a stub's unmarshaling failure shows here)."""
    server_saw: int | None
    """What the server object received (64 bits), or None when it was not called."""
    seconds: float
    """Wall time of the tool's run."""
    platform: str
    """Where it ran."""

    @property
    def error(self) -> str | None:
        """The stub's failure by name, or None."""
        return hresult_name(self.invoke_hr) if self.invoke_hr else None


# -- running the tool -------------------------------------------------------------------------


def _type(name: str) -> str:
    found = next((t for t, m in METHODS.items() if name in (t, m)), None)
    if found is None:
        raise UsageError(repr(name), "is not a type the capture tool sends",
                         f"Use one of {', '.join(METHODS)} (or {', '.join(METHODS.values())})")
    return found


def parse_value(text: str) -> int:
    """A value as the command line gives it (42, 0x2a, -1), as 64 bits; UsageError outside
    -2**63 .. 2**64 - 1."""
    try:
        value = int(text, 0)
    except ValueError:
        raise UsageError(repr(text), "is not an integer", "Write 42, 0x2a or -1") from None
    if not -(1 << 63) <= value <= _MASK64:
        raise UsageError(text, "does not fit 64 bits", "Give a value of at most 64 bits")
    return value & _MASK64


def _tool(bits: int) -> Path:
    tool = BIN_DIR / f"comcapture_{'x86' if bits == 32 else 'x64'}.exe"
    if not tool.is_file():
        raise HostError(str(tool), "is missing", "Rebuild the kit's binaries: "
                        "python -m interopkit.build")
    return tool


def _run(build: StubBuild, args: list[str]) -> tuple[dict, float, str]:
    tool = _tool(build.bits)
    dll = BIN_DIR / build.dll
    if not dll.is_file():
        raise HostError(str(dll), "is missing", "Rebuild the kit's binaries: "
                        "python -m interopkit.build")
    what = f"{tool.name} {args[0]}"
    ran = run_exe(tool, [args[0], native_path(dll), *args[1:]], bits=build.bits,
                  timeout=_TIMEOUT)
    code, out, err = ran.returncode, ran.stdout, ran.stderr
    try:
        report = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise HostError(what, f"gave no report (exit status {code}): {err.strip()[-300:]}",
                        "Check Wine with interopkit doctor") from exc
    if "stage" in report or "exception" in report or code != 0:
        stage = report.get("stage", "the call")
        number = report.get("hr", report.get("error", report.get("exception", code)))
        known = number in {int(e) for e in WinError}  # a Win32 code from LoadLibrary
        raise HostError(f"{what} ({dll.name})", f"failed at {stage}: "
                        f"{hresult_name(number) if number > 0xFFFF else number}",
                        "Check the DLL's bitness and rebuild the kit's binaries",
                        WinError(number) if known else None)
    return report, ran.seconds, ran.platform


def _saw(report: dict) -> int | None:
    return None if report.get("server_saw") is None else int(report["server_saw"], 16)


def capture(type_name: str, value: int, bits: int, win64: bool = False) -> Capture:
    """Send ``value`` as ``type_name`` through the real proxy of that build (see the module)."""
    type_name, build = _type(type_name), stub_build(bits, win64)
    if not 0 <= value <= _MASK64:
        raise UsageError(hex(value), "is not a 64-bit value", "Give 0 .. 2**64 - 1")
    report, seconds, where = _run(build, ["capture", METHODS[type_name], f"0x{value:x}"])
    return Capture(type_name, value, build, report["request_hex"], report["imethod"],
                   report["drep"], _saw(report), report["call_hr"], seconds, where)


def replay(type_name: str, request_hex: str, bits: int, win64: bool = False) -> Replay:
    """Hand ``request_hex`` to the real stub of that build, as ``type_name``'s method."""
    type_name, build = _type(type_name), stub_build(bits, win64)
    try:
        raw = bytes.fromhex(request_hex)
    except ValueError:
        raise UsageError(repr(request_hex), "is not hex bytes", "Write two hex digits a byte, "
                         "e.g. 00000080") from None
    if not 0 < len(raw) <= 256:
        raise UsageError(repr(request_hex), "is not 1 to 256 bytes", "Give the request buffer")
    report, seconds, where = _run(build, ["replay", METHODS[type_name], raw.hex()])
    return Replay(type_name, raw.hex(), build, report["invoke_hr"], _saw(report), seconds, where)


# -- beside the model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """A capture beside the model's transfer (sender and receiver of the capture's bitness)."""

    capture: Capture
    """The real run."""
    model_hex: str
    """The model's wire bytes."""
    model_received: int | None
    """What the model says the receiver holds (64 bits), or None (not defined)."""
    difference: str | None
    """A key of ``KNOWN_DIFFERENCES`` when the case is one and Wine behaved as it says."""

    @property
    def bytes_agree(self) -> bool:
        """The real bytes are the model's."""
        return self.capture.request_hex == self.model_hex

    @property
    def received_agree(self) -> bool:
        """The server object received what the model says."""
        return self.capture.server_saw == self.model_received

    @property
    def agree(self) -> bool:
        """Both agree."""
        return self.bytes_agree and self.received_agree


def _mask(value: int | None) -> int | None:
    return None if value is None else value & _MASK64


def _wine_rule(type_name: str, value: int, build: StubBuild) -> tuple[str, int] | None:
    """The bytes and received value Wine's rule predicts where it parts from the model."""
    low = value & 0xFFFFFFFF
    if type_name == "DWORD_PTR" and build.bits == 64 and low >> 31:
        return low.to_bytes(4, "little").hex(), low | 0xFFFFFFFF00000000
    if type_name == "HANDLE_PTR" and build.bits == 64 and not build.win64:
        return low.to_bytes(4, "little").hex(), low
    return None


def _key(type_name: str) -> str:
    return ("unsigned-int3264-sign-extended" if type_name == "DWORD_PTR"
            else "handle-ptr-without-win64")


def _difference(type_name: str, value: int, build: StubBuild, real_hex: str,
                real_saw: int | None) -> str | None:
    predicted = _wine_rule(type_name, value, build)
    if predicted is None or predicted != (real_hex, real_saw):
        return None
    return _key(type_name)


def compare(real: Capture) -> Comparison:
    """``real`` beside ``transfer(type, value, bits, bits)``."""
    model = transfer(real.type, real.value, real.build.bits, real.build.bits)
    comparison = Comparison(real, model.wire_hex, _mask(model.received), None)
    if comparison.agree:
        return comparison
    return Comparison(real, model.wire_hex, _mask(model.received),
                      _difference(real.type, real.value, real.build, real.request_hex,
                                  real.server_saw))


@dataclass(frozen=True)
class ReplayComparison:
    """One side's captured bytes read by the other side's stub, beside the model."""

    sent: Capture
    """The capture whose bytes were replayed."""
    replay: Replay
    """What the other stub did with them."""
    model_received: int | None
    """The model's receiver (``transfer(type, value, sender, receiver)``), or None when it says
    what arrives is not defined."""
    lossy: bool
    """The model says information was lost."""
    difference: str | None
    """A key of ``KNOWN_DIFFERENCES`` when Wine behaved as it says."""

    @property
    def agree(self) -> bool:
        """The stub received what the model says; an undefined read counts as agreeing when the
        stub refused the bytes."""
        if self.model_received is None:
            return self.replay.server_saw is None
        return self.replay.server_saw == self.model_received


REPLAYS = (("HANDLE_PTR", BUILDS[2], BUILDS[0]), ("HANDLE_PTR", BUILDS[2], BUILDS[1]),
           ("HANDLE_PTR", BUILDS[0], BUILDS[2]), ("DWORD_PTR", BUILDS[0], BUILDS[1]),
           ("INT_PTR", BUILDS[1], BUILDS[0]))
"""(type, sending build, receiving build): 8-byte HANDLE_PTR read by 4-byte stubs (32-bit,
and 64-bit without _WIN64), 4 bytes where a _WIN64 stub wants 8, a 32-bit DWORD_PTR read by a
64-bit stub, and a 64-bit INT_PTR truncated for a 32-bit one."""


def compare_replay(sent: Capture, got: Replay) -> ReplayComparison:
    """``got`` beside ``transfer(type, value, sender bits, receiver bits)``. The model follows
    the documentation here as in ``compare``: a 64-bit stub reads HANDLE_PTR in 8 bytes, with or
    without _WIN64. Where the stub received what Wine's rule predicts instead, the case is that
    difference (``KNOWN_DIFFERENCES``), named as ``compare`` names it."""
    model = transfer(sent.type, sent.value, sent.build.bits, got.build.bits)
    received = _mask(model.received)
    difference = None
    if got.server_saw != received and received is not None:
        wire = int.from_bytes(bytes.fromhex(got.request_hex)[:4], "little")
        rule = _wine_rule(sent.type, wire, got.build)
        if rule is not None and rule[1] == got.server_saw:
            difference = _key(sent.type)
    return ReplayComparison(sent, got, received, model.lossy, difference)


# -- the whole set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """Every type and value through every build, and the replays."""

    comparisons: tuple[Comparison, ...]
    """One per (build, type, value)."""
    replays: tuple[ReplayComparison, ...]
    """One per (REPLAYS entry, value)."""
    seconds: float
    """Wall time of the whole sweep."""

    @property
    def agreeing(self) -> int:
        """Captures that agree with the model."""
        return sum(c.agree for c in self.comparisons)

    @property
    def unexplained(self) -> tuple[Comparison | ReplayComparison, ...]:
        """Cases that neither agree nor are a known difference (none, when Wine behaves as
        its source says)."""
        return tuple(c for c in (*self.comparisons, *self.replays)
                     if not c.agree and c.difference is None)


def _each(values: tuple[int, ...]) -> Iterator[tuple[StubBuild, str, int]]:
    for build in BUILDS:
        for type_name in METHODS:
            for value in values:
                yield build, type_name, value


def sweep(values: tuple[int, ...] = VALUES) -> Sweep:
    """Capture every type and value in every build, and replay per ``REPLAYS``, in one Wine
    session (about 0.1 s a run here)."""
    start = time.monotonic()
    with batch():
        captured = {(b.dll, t, v): capture(t, v, b.bits, b.win64) for b, t, v in _each(values)}
        replays = []
        for type_name, sender, receiver in REPLAYS:
            for value in values:
                sent = captured[(sender.dll, type_name, value)]
                got = replay(type_name, sent.request_hex, receiver.bits, receiver.win64)
                replays.append(compare_replay(sent, got))
    return Sweep(tuple(compare(c) for c in captured.values()), tuple(replays),
                 time.monotonic() - start)



def ndr_case(type_name: str, value: int, bits: int, win64: bool = False) -> dict[str, object]:
    """One capture beside the model, as ``interopkit com ndr`` prints it."""
    found = compare(capture(type_name, value, bits, win64))
    real = found.capture
    difference = KNOWN_DIFFERENCES.get(found.difference or "")
    return {"type": real.type, "method": METHODS[real.type], "value": f"0x{real.value:x}",
            "bitness": bits, "win64": win64, "dll": real.build.dll, "platform": real.platform,
            "bytes_hex": real.request_hex, "model_hex": found.model_hex,
            "agree": found.agree, "bytes_agree": found.bytes_agree,
            "server_saw": None if real.server_saw is None else f"0x{real.server_saw:x}",
            "model_received": None if found.model_received is None
            else f"0x{found.model_received:x}",
            "received_agree": found.received_agree, "cut": _CUT,
            "imethod": real.imethod, "drep": real.drep, "call_hr": hresult_name(real.call_hr),
            "known_difference": None if difference is None else {
                "key": found.difference, "case": difference.case,
                "documented": difference.documented, "wine": difference.wine,
                "documented_sources": list(difference.documented_sources),
                "wine_sources": list(difference.wine_sources)},
            "seconds": round(real.seconds, 3)}
