"""Malformed frames into each kind of surrogate: every one answered, none fatal, memory bounded.

Each surrogate (native 32-bit and 64-bit, emulated) gets 5,000 frames in full mode (300 in quick
mode): CALL payloads built from the wire format's pieces with random arguments (more than 16,
unknown types, buffers longer than the frame, out-buffers at the limit) and then mutated (bytes
flipped, fields set to values at the edges, cut short, lengthened), framed by honest lengths,
with a header now and then of the wrong magic, version or kind. Every frame must get exactly
its reply, within a time limit, from the same process; the surrogate's peak memory and its
stderr (no Python traceback) are checked at the end, and the counts are printed. The frames
never name an export that dereferences a pointer argument (checksum, fill): handing the DLL a
wild pointer tests the DLL, not the surrogate.
"""

from __future__ import annotations

import random
import struct
import time
from collections import Counter

import pytest

from interopkit.errors import UsageError
from interopkit.kit.host import can_run_x86_32, host_info
from interopkit.kit.quick import is_quick
from interopkit.kit.samples import sample_path
from interopkit.surrogate.client import Surrogate
from interopkit.surrogate.wire import (
    HEADER,
    MAGIC,
    MAX_PAYLOAD,
    VERSION,
    ArgType,
    Kind,
    Status,
    decode_call,
)

FRAMES = 300 if is_quick() else 5000
LIMIT = 10.0  # seconds one frame may take, reply included
PEAK_MIB = {"native": 64, "emulated": 256}  # the fuzz sends at most 1 MiB per frame

X86_LINUX = host_info().os == "linux" and host_info().cpu == "x86_64"
needs_native = pytest.mark.skipif(not X86_LINUX, reason="the native surrogates here are x86 "
                                  "Linux programs")
needs_32 = pytest.mark.skipif(not (X86_LINUX and can_run_x86_32().ran),
                              reason="this kernel cannot run 32-bit x86 processes")

SAFE_EXPORTS = ["add", "echo_ptr", "echo_u64", "ptr_size", "counter_next", "counter_reset",
                "arch_name", "add_stdcall@8", "add_stdcall", "no_such_export", "x" * 255]
EDGES = [0, 1, 3, 4, 8, 15, 16, 17, 255, 256, 0x7FFF, 0xFFFF, 0x10000, 0x100000, 0x7FFF_FFFF,
         0x8000_0000, 0xFFFF_FFFF, MAX_PAYLOAD - 1, MAX_PAYLOAD, MAX_PAYLOAD + 1]
TYPES = [t.value for t in ArgType] + [0, 0xFF, ord("x")]


def _call(rng: random.Random) -> bytes:
    """A CALL payload written field by field, as wire.py declares it, with random contents
    (no encoder here refuses what the surrogate must refuse)."""
    name = rng.choice(SAFE_EXPORTS).encode()
    out = bytearray(struct.pack("<H", len(name)) + name)
    out += bytes(-len(out) % 4)
    out += struct.pack("<BBH", rng.choice(TYPES), rng.choice([0, 1, 2, 3, 8, 16, 17, 40]), 0)
    for _ in range(rng.randrange(0, 20)):
        kind = rng.choice(TYPES)
        out += struct.pack("<B3x", kind)
        if kind in (ArgType.INT64, ArgType.PTR):
            out += bytes(-len(out) % 8) + struct.pack("<Q", rng.getrandbits(64))
        elif kind in (ArgType.IN, ArgType.INOUT):
            data = rng.randbytes(rng.choice([0, 1, 5, 64, 4096]))
            out += struct.pack("<I", len(data)) + data + bytes(-(4 + len(data)) % 4)
        elif kind == ArgType.OUT:
            out += struct.pack("<I", rng.choice([0, 1, 7, 4096, 1 << 20]))
        else:
            out += struct.pack("<I", rng.getrandbits(32))
    return bytes(out)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 5)):
        action = rng.randrange(7)
        at = rng.randrange(len(out) + 1)
        if action == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif action == 1 and out:
            out[min(at, len(out) - 1)] = rng.choice(TYPES + [rng.randrange(256)])
        elif action == 2 and len(out) >= 4:
            at = min(at, len(out) - 4) & ~(rng.choice([0, 3]))
            struct.pack_into("<I", out, at, rng.choice(EDGES))
        elif action == 3:
            del out[at:]
        elif action == 4:
            out[at:at] = rng.randbytes(rng.randrange(1, 40))
        elif action == 5:
            del out[at:at + rng.randrange(1, 16)]
        else:
            out += rng.randbytes(rng.randrange(1, 64))
    return bytes(out)


def _unsafe(payload: bytes) -> bool:
    """A well-formed call to an export that dereferences its arguments."""
    try:
        name, _, _ = decode_call(payload)
    except UsageError:
        return False
    return name in ("checksum", "fill")


def _header(rng: random.Random, call_id: int, length: int) -> bytes:
    magic, version, kind, status = MAGIC, VERSION, Kind.CALL, 0
    roll = rng.random()
    if roll < 0.05:
        kind = Kind.HELLO
    elif roll < 0.08:
        kind = rng.choice([0, Kind.REPLY, 5, 0xFF])
    elif roll < 0.11:
        magic = rng.getrandbits(16)
    elif roll < 0.13:
        version = rng.choice([0, 2, 0xFF])
    elif roll < 0.15:
        status = rng.getrandbits(32)
    return HEADER.struct.pack(magic, version, kind, call_id, status, length)


def _peak_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize(("kind", "bits"), [
    pytest.param("native", 32, marks=needs_32, id="native-32"),
    pytest.param("native", 64, marks=needs_native, id="native-64"),
    pytest.param("emulated", 32, id="emulated-32"),
    pytest.param("emulated", 64, id="emulated-64"),
])
def test_malformed_frames_into_each_surrogate(kind: str, bits: int,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(f"interopkit-{kind}-{bits}")
    statuses: Counter[str] = Counter()
    slowest = 0.0
    with Surrogate(sample_path("windows", "x86" if bits == 32 else "x64"), kind=kind,
                   timeout=LIMIT) as hosted:
        assert hosted._process is not None and hosted._channel is not None
        pid, channel = hosted._process.pid, hosted._channel
        sent = 0
        while sent < FRAMES:
            payload = _mutate(rng, _call(rng))
            if _unsafe(payload):
                continue
            call_id = 0x10000 + sent
            start = time.monotonic()
            deadline = start + LIMIT
            channel.write([_header(rng, call_id, len(payload)), payload], deadline)
            try:
                reply = HEADER.unpack(channel.read(HEADER.size, deadline))
                channel.read(reply["length"], deadline)
            except (EOFError, TimeoutError) as exc:
                stderr = hosted._stderr.tail if hosted._stderr else ""
                pytest.fail(f"frame {sent} ({payload.hex()}): {exc!r}; stderr: {stderr}")
            slowest = max(slowest, time.monotonic() - start)
            assert (reply["magic"], reply["kind"], reply["call_id"]) == \
                (MAGIC, Kind.REPLY, call_id), payload.hex()
            statuses[Status(reply["status"]).name] += 1
            sent += 1
        assert hosted._process.poll() is None and hosted._process.pid == pid  # no crash
        peak = _peak_mib(pid)
        assert hosted.call("add", 2, 3).result == 5
        stderr = hosted._stderr.tail if hosted._stderr else ""
    assert "Traceback" not in stderr, stderr
    assert peak < PEAK_MIB[kind], f"peak memory {peak:.0f} MiB"
    assert sum(statuses.values()) == FRAMES and statuses["OK"] < FRAMES  # most are refused
    with capsys.disabled():
        counts = ", ".join(f"{name} {count}" for name, count in statuses.most_common())
        print(f"\n[fuzz] {kind}-{bits} surrogate: {FRAMES} malformed frames, every one answered "
              f"({counts}); slowest {slowest * 1000:.1f} ms; peak memory {peak:.1f} MiB; "
              "0 crashes, 0 hangs, 0 tracebacks")
