"""Surrogate processes hosting the kit's sample DLLs: native (a real 32-bit process here), the
Windows build under Wine (LoadLibraryW), and emulated; all behind the same client."""

import importlib.util
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interopkit import build
from interopkit.cli import SURROGATE_KINDS
from interopkit.emulation.emulator import Buffer
from interopkit.emulation.native import NativeLibrary
from interopkit.errors import HostError, SurrogateError, UsageError
from interopkit.kit.host import can_run_x86_32, host_info
from interopkit.kit.quick import is_quick
from interopkit.kit.samples import probe_path, sample_path
from interopkit.surrogate.client import KINDS, Surrogate, choose_kind
from interopkit.surrogate.pipes import Channel
from interopkit.surrogate.wire import (
    HEADER,
    MAX_PAYLOAD,
    ArgType,
    Argument,
    Kind,
    Status,
    frame,
    header,
)

X86_LINUX = host_info().os == "linux" and host_info().cpu == "x86_64"
needs_native = pytest.mark.skipif(not X86_LINUX, reason="the native surrogates here are x86 "
                                  "Linux programs (Windows runs its own build)")
needs_32 = pytest.mark.skipif(not (X86_LINUX and can_run_x86_32().ran),
                              reason="this kernel cannot run 32-bit x86 processes")
ARCH = {32: "x86", 64: "x64"}
HOSTS = [pytest.param(("native", 32), marks=needs_32, id="native-32"),
         pytest.param(("native", 64), marks=needs_native, id="native-64"),
         pytest.param(("wine", 32), id="wine-32"),
         pytest.param(("wine", 64), id="wine-64"),
         pytest.param(("emulated", 32), id="emulated-32"),
         pytest.param(("emulated", 64), id="emulated-64")]


@pytest.fixture(params=HOSTS)
def surrogate(request: pytest.FixtureRequest):
    kind, bits = request.param
    if kind == "wine":  # installs Wine for both bitnesses, or skips with the reason
        request.getfixturevalue("wine32" if bits == 32 else "wine_launcher")
    with Surrogate(sample_path("windows", ARCH[bits]), kind=kind) as hosted:
        yield hosted


def test_the_surrogate_reports_itself(surrogate: Surrogate) -> None:
    info = surrogate.info
    assert info is not None
    assert info.pointer_size * 8 == surrogate.bits
    assert info.kind == ("emulated" if surrogate.kind == "emulated"
                         else f"{surrogate.kind}-{surrogate.bits}")
    assert info.pid != os.getpid()
    assert info.loader == {"native": "interopkit PE loader", "wine": "LoadLibraryW",
                           "emulated": "interopkit.images.pemap on the Unicorn emulator"
                           }[surrogate.kind]
    assert info.os == ("linux" if surrogate.kind == "native" else "windows")
    assert info.image_base == (0x1000_0000 if surrogate.bits == 32 else 0x1_8000_0000)


@needs_native
def test_calls_equal_native(surrogate: Surrogate) -> None:
    native = NativeLibrary()
    data = bytes(range(200))
    assert surrogate.call("add", 40, 2, returns=ArgType.INT32).result == 42
    assert surrogate.call("add", -7, 2, returns=ArgType.INT32).result == 0xFFFF_FFFB
    stdcall = "add_stdcall@8" if surrogate.bits == 32 else "add_stdcall"
    assert surrogate.call(stdcall, 40, 2, returns=ArgType.INT32).result == 42
    assert surrogate.call(stdcall, 1, 2).result == 3  # the stack is still balanced
    assert surrogate.call("checksum", Argument(ArgType.IN, data), len(data),
                          returns=ArgType.INT32).result == \
        native.call("checksum", Buffer(data), len(data)).result & 0xFFFFFFFF
    filled = surrogate.call("fill", Argument(ArgType.OUT, 6), 6, 65)
    assert filled.buffers == (b"ABCDEF",)
    inout = surrogate.call("fill", Buffer(b"xyz"), 2, 66)
    assert inout.buffers == (b"BCz",)  # value, value + 1, ...: in place, up to size
    assert surrogate.call("counter_next").result + 1 == surrogate.call("counter_next").result
    assert surrogate.call("ptr_size").result == surrogate.bits // 8


def test_pointer_sized_values_keep_the_surrogates_width(surrogate: Surrogate) -> None:
    echoed = surrogate.call("echo_ptr", 0x1_2345_6789).result
    assert echoed == (0x2345_6789 if surrogate.bits == 32 else 0x1_2345_6789)


def test_unknown_export_and_bad_argument(surrogate: Surrogate) -> None:
    with pytest.raises(SurrogateError, match="ERROR_PROC_NOT_FOUND") as caught:
        surrogate.call("no_such_export")
    assert caught.value.code == 127
    with pytest.raises(UsageError, match="not an int, a Buffer or an Argument"):
        surrogate.call("add", "two", 3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="1-255 ASCII"):
        surrogate.call("")
    assert surrogate.call("add", 1, 1).result == 2  # still alive


def test_a_fault_is_reported_and_the_next_call_works(surrogate: Surrogate) -> None:
    assert surrogate.info is not None
    first = surrogate.info.pid
    expected = {"native": "signal 11", "wine": "exception 0xC0000005",
                "emulated": "FAULT.*UC_ERR_READ_UNMAPPED"}[surrogate.kind]
    with pytest.raises(SurrogateError, match=expected):
        surrogate.call("checksum", 0x10, 16)  # a bad pointer: the DLL faults in the surrogate
    assert surrogate.call("add", 2, 3).result == 5
    assert surrogate.info is not None
    if surrogate.kind == "emulated":  # the emulated CPU stopped; its process lives on
        assert surrogate.info.pid == first
    elif surrogate.kind == "native":  # the process died and a new one started
        assert surrogate.info.pid != first


def test_a_killed_surrogate_is_reported_within_a_second(surrogate: Surrogate) -> None:
    surrogate.kill()  # dead before the call: the call says so
    start = time.monotonic()
    with pytest.raises(SurrogateError, match="ended \\(signal 9\\)"):
        surrogate.call("add", 1, 2)
    assert time.monotonic() - start < 1.0
    assert surrogate.call("add", 1, 2).result == 3  # restarted


@pytest.mark.parametrize("kind", ["native", "emulated"])
def test_a_dll_of_the_other_bitness_is_refused_by_the_surrogate(kind: str) -> None:
    if kind == "native" and not X86_LINUX:
        pytest.skip("the native surrogates here are x86 Linux programs")
    hosted = Surrogate(sample_path("windows", "x86"), bitness=64, kind=kind)
    with pytest.raises(SurrogateError, match="this is the 64-bit .*surrogate") as caught:
        hosted.start()
    assert caught.value.code == 193


def test_the_wine_surrogate_refuses_with_loadlibrarys_own_error(
        wine_launcher: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    hosted = Surrogate(sample_path("windows", "x86"), bitness=64, kind="wine")
    with pytest.raises(SurrogateError, match="LoadLibraryW failed \\(error 193") as caught:
        hosted.start()
    assert caught.value.code == 193
    from interopkit.kit import wine

    real = wine.find_wine
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None if bits == 32 else real(bits))
    with pytest.raises(HostError, match="wine32.*interopkit wine-setup"):
        Surrogate(sample_path("windows", "x86"), kind="wine")


@needs_native
def test_unhostable_images() -> None:
    with pytest.raises(SurrogateError, match="ELF"):
        Surrogate(sample_path("linux", "x86_64"))
    with pytest.raises(SurrogateError, match="ARM64"):
        Surrogate(sample_path("windows", "arm64"))  # natively: x86 and x64 only
    hosted = Surrogate(probe_path("probe_x64.exe"))  # has imports: the Linux loader refuses
    with pytest.raises(SurrogateError, match="imports functions from other DLLs"):
        hosted.start()
    with pytest.raises(UsageError, match="not a surrogate kind"):
        Surrogate(sample_path("windows", "x64"), kind="dllhost")
    with pytest.raises(UsageError, match="not 32 or 64"):
        Surrogate(sample_path("windows", "x64"), bitness=16)


def test_the_emulated_surrogate_hosts_arm64_too() -> None:
    with Surrogate(sample_path("windows", "arm64"), kind="emulated") as hosted:
        assert hosted.call("add", 2, 3).result == 5
        assert hosted.info is not None and hosted.info.arch == "aarch64"


def test_auto_picks_native_where_it_runs() -> None:
    assert SURROGATE_KINDS == KINDS
    if X86_LINUX:
        assert choose_kind(64) == "native"
        assert choose_kind(32) == ("native" if can_run_x86_32().ran else "emulated")


@needs_32
def test_calls_from_several_threads() -> None:
    calls = 1000
    errors: list[str] = []
    with Surrogate(sample_path("windows", "x86")) as hosted:
        def work(offset: int) -> None:
            for index in range(calls):
                got = hosted.call("add", offset, index, returns=ArgType.INT32).result
                if got != offset + index:
                    errors.append(f"{offset}+{index} gave {got}")
        threads = [threading.Thread(target=work, args=(1000 * t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


def _children() -> set[int]:
    path = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
    if not os.path.exists(path):
        return set()
    with open(path) as listing:
        return {int(pid) for pid in listing.read().split()}


@needs_native
def test_start_stop_cycles_leave_nothing_behind() -> None:
    before_fds = len(os.listdir("/proc/self/fd"))
    before_children = _children()
    for _ in range(200):
        with Surrogate(sample_path("windows", "x64")) as hosted:
            hosted.call("ptr_size")
    assert _children() == before_children
    assert len(os.listdir("/proc/self/fd")) <= before_fds  # every pipe was closed


@needs_native
@settings(max_examples=2000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.binary(min_size=12, max_size=12), body=st.binary(max_size=200))
def test_malformed_frames_get_errors_not_crashes(header: bytes, body: bytes) -> None:
    hosted = _FUZZ_TARGET
    process = hosted._process
    assert process is not None
    if header[:2] == b"IK" and header[2] == 1 and header[3] == Kind.BYE:
        return  # a well-formed BYE ends the surrogate, as designed
    # Anything in the header and the body, framed by an honest length: one reply each.
    process.stdin.write(header + len(body).to_bytes(4, "little") + body)
    reply = HEADER.unpack(hosted._read(HEADER.size))
    hosted._read(reply["length"])
    assert reply["kind"] == Kind.REPLY
    assert process.poll() is None  # still running


_FUZZ_TARGET = Surrogate(sample_path("windows", "x64"))


def setup_module() -> None:
    if X86_LINUX:
        _FUZZ_TARGET.start()


def teardown_module() -> None:
    _FUZZ_TARGET.close()


@needs_native
def test_the_fuzzed_surrogate_still_answers() -> None:
    _FUZZ_TARGET.start()
    assert _FUZZ_TARGET.call("add", 2, 2).result == 4
    assert frame(Kind.HELLO, 1)[:2] == b"IK"


def test_a_trace_records_the_frames_as_they_travelled(surrogate: Surrogate) -> None:
    surrogate.trace = []
    surrogate.call("fill", Argument(ArgType.OUT, 3), 3, 97, returns=ArgType.VOID)
    (sent_kind, sent), (received_kind, received) = surrogate.trace
    assert (sent_kind, received_kind) == ("sent", "received")
    assert sent[3] == Kind.CALL and received[3] == Kind.REPLY and sent[4:8] == received[4:8]
    assert received.endswith(b"abc\0")  # the buffer, padded to 4


def test_the_emulated_surrogate_answers_malformed_frames() -> None:
    with Surrogate(sample_path("windows", "x64"), kind="emulated") as hosted:
        assert hosted._process is not None and hosted._process.stdin is not None
        for junk in (b"XX" + bytes(10), bytes([0x49, 0x4B, 1, Kind.CALL]) + bytes(8)):
            hosted._process.stdin.write(junk + (3).to_bytes(4, "little") + b"abc")
            reply = HEADER.unpack(hosted._read(HEADER.size))
            assert reply["status"] != 0
            hosted._read(reply["length"])
        assert hosted.call("add", 2, 2).result == 4


@needs_native
@pytest.mark.parametrize("threaded", [False, True], ids=["selectors", "reader-thread"])
def test_channel_reads_by_deadline_and_notices_a_dead_child(threaded: bool) -> None:
    echo = subprocess.Popen([str(probe_path("pipeecho-x86_64"))], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
    try:
        channel = Channel(echo, threaded=threaded)
        message = frame(Kind.CALL, 7, b"payload!")
        channel.write([message[:16], memoryview(message)[16:]])
        assert channel.read(len(message), time.monotonic() + 5) == message
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            channel.read(1, time.monotonic() + 0.3)
        assert 0.25 < time.monotonic() - start < 1.0
        echo.kill()
        with pytest.raises(EOFError):
            channel.read(1, time.monotonic() + 5)
    finally:
        echo.kill()
        echo.wait()
        for stream in (echo.stdin, echo.stdout):
            assert stream is not None
            stream.close()


@needs_32
def test_the_reader_thread_transport_carries_calls_and_notices_a_kill(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEROPKIT_PIPE_THREAD", "1")  # how Windows reads its pipes
    with Surrogate(sample_path("windows", "x86")) as hosted:
        assert hosted._channel is not None and hosted._channel._threaded
        data = bytes(range(256)) * 1024
        assert hosted.call("checksum", Argument(ArgType.IN, data), len(data),
                           returns=ArgType.INT32).result == \
            NativeLibrary().call("checksum", Buffer(data), len(data)).result & 0xFFFFFFFF
        assert hosted.call("fill", Argument(ArgType.OUT, 3), 3, 97).buffers == (b"abc",)
        hosted.kill()
        with pytest.raises(SurrogateError, match="signal 9"):
            hosted.call("add", 1, 2)
        assert hosted.call("add", 1, 2).result == 3


def test_auto_picks_emulated_where_32_bit_processes_cannot_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import interopkit.surrogate.client as module
    from interopkit.kit.host import HostInfo, ProbeRun

    def host(os_name: str, cpu: str) -> HostInfo:
        return HostInfo(os_name, "", cpu, None, 64, "CPython")

    refused = ProbeRun("probe-i386", False, None, None, "Exec format error")
    monkeypatch.setattr(module, "can_run_x86_32", lambda: refused)
    for os_name, cpu, bits, expected in (("darwin", "aarch64", 32, "emulated"),
                                         ("darwin", "x86_64", 64, "emulated"),
                                         ("linux", "aarch64", 64, "emulated"),
                                         ("linux", "x86_64", 32, "emulated"),
                                         ("linux", "x86_64", 64, "native"),
                                         ("windows", "aarch64", 32, "native")):
        monkeypatch.setattr(module, "host_info", lambda o=os_name, c=cpu: host(o, c))
        assert choose_kind(bits) == expected, (os_name, cpu, bits)


# -- issue 16: limits, stderr, lifetime, forged frames, the PE loader ---------------------------

BAD_SOURCE = Path(__file__).parent / "bad_dlls" / "misbehave.c"
NATIVE = [pytest.param(32, marks=needs_32, id="native-32"),
          pytest.param(64, marks=needs_native, id="native-64")]


@pytest.fixture(scope="session")
def bad_dlls(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """tests/bad_dlls/misbehave.c built for x86 and x64 with the kit's recipe for the samples."""
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip('the build extra is not installed (pip install -e ".[build]")')
    folder = tmp_path_factory.mktemp("bad_dlls")
    shutil.copyfile(BAD_SOURCE, folder / BAD_SOURCE.name)
    built = {}
    for bits, triple in ((32, "x86-windows-gnu"), (64, "x86_64-windows-gnu")):
        name = f"misbehave_{ARCH[bits]}.dll"
        build._zig(["cc", "-target", triple, *build._DLL, "-o", name, BAD_SOURCE.name],
                   cwd=str(folder))
        built[bits] = folder / name
    return built


def _bad_dll(dlls: dict[int, Path], bits: int, mode: str, folder: Path) -> Path:
    """A copy of the misbehaving DLL whose DllMain does ``mode`` (see misbehave.c)."""
    data = dlls[bits].read_bytes()
    marker = b"interopkit-bad-mode:"
    at = data.index(marker) + len(marker)
    path = folder / f"misbehave_{ARCH[bits]}_{mode}.dll"
    path.write_bytes(data[:at] + mode.encode() + data[at + 1:])
    return path


def _within(seconds: float, hosted: Surrogate, work: Callable[[], object]) -> object:
    """Run ``work`` in a thread; if it has not finished in ``seconds`` (a hang: the old
    client blocked in write() forever), kill the surrogate to free it and fail."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if hosted._process is not None:
            hosted._process.kill()
        thread.join(10)
        pytest.fail(f"still blocked after {seconds} s")
    return outcome[0]


def test_a_call_over_the_wire_limit_is_refused_before_it_is_sent(surrogate: Surrogate) -> None:
    big = Argument(ArgType.IN, bytes(MAX_PAYLOAD))
    refused = _within(60, surrogate, lambda: surrogate.call("checksum", big, 0))
    assert isinstance(refused, UsageError), refused
    assert re.search("a call to checksum: would send a request of 671089.. bytes, more than "
                     "the wire's limit of 64 MiB", str(refused))
    assert "Split the data" in str(refused)
    refused = _within(60, surrogate, lambda: surrogate.call(
        "fill", Argument(ArgType.OUT, MAX_PAYLOAD), 0, 0))
    assert isinstance(refused, UsageError) and "get a reply of 67108876 bytes" in str(refused)
    assert surrogate.call("add", 2, 3).result == 5


def test_the_surrogate_stays_framed_after_an_over_limit_payload(surrogate: Surrogate) -> None:
    """A peer that sends more than the limit anyway: the surrogate reads the payload, drops
    it, answers TOO_LARGE, and reads the next header where it is."""
    channel = surrogate._channel
    assert channel is not None
    size = MAX_PAYLOAD + 1
    _within(60, surrogate, lambda: channel.write(
        [header(Kind.CALL, 0xABCD, size), bytes(size)], time.monotonic() + 50))
    reply = HEADER.unpack(surrogate._read(HEADER.size))
    message = surrogate._read(reply["length"])
    assert (reply["call_id"], reply["status"]) == (0xABCD, Status.TOO_LARGE), message
    assert b"64 MiB" in message
    assert surrogate.call("add", 2, 3).result == 5  # the next frame is read as a frame


@pytest.mark.parametrize("bits", NATIVE)
def test_stderr_is_drained_and_its_tail_kept(bits: int, bad_dlls: dict[int, Path]) -> None:
    with Surrogate(bad_dlls[bits], timeout=5) as hosted:
        assert hosted.call("chatter", 300_000).result == 300_000  # more than a pipe holds
        assert hosted.call("chatter", 100).result == 100
        with pytest.raises(SurrogateError,
                           match="(?s)signal 11.*last words from the DLL") as caught:
            hosted.call("last_words")
        assert "chatter ends here" in str(caught.value) and len(str(caught.value)) < 600


def _gone(pid: int) -> bool:
    """True when ``pid`` has ended (a zombie waiting for init to reap it has ended too)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


_CLIENT = """
import sys
from interopkit.surrogate.client import Surrogate
hosted = Surrogate(sys.argv[1], kind=sys.argv[2], timeout=600)
hosted.start()
print(hosted._process.pid, flush=True)
hosted.call("spin")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux parent-death signal")
@pytest.mark.parametrize("kind", [pytest.param("native", marks=needs_native), "emulated", "wine"])
@pytest.mark.parametrize("bits", [32, 64])
def test_a_surrogate_ends_with_its_client_even_in_a_call(kind: str, bits: int,
                                                         bad_dlls: dict[int, Path],
                                                         request: pytest.FixtureRequest) -> None:
    if kind == "native" and bits == 32 and not can_run_x86_32().ran:
        pytest.skip("this kernel cannot run 32-bit x86 processes")
    if kind == "wine":
        request.getfixturevalue("wine32" if bits == 32 else "wine_launcher")
    client = subprocess.Popen([sys.executable, "-c", _CLIENT, str(bad_dlls[bits]), kind],
                              stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    pid = int(client.stdout.readline())
    try:
        time.sleep(0.5)  # the surrogate is spinning in the DLL now
        assert not _gone(pid)
        client.kill()  # as a kernel restart kills a notebook's kernel
        client.wait(10)
        # within a second: the emulated CPU's instruction limit would end the call only
        # seconds later, and a native surrogate's loop never
        deadline = time.monotonic() + 1
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid), f"the {kind} surrogate {pid} outlived its client"
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
        client.kill()
        client.wait(10)
        client.stdout.close()


@pytest.mark.parametrize("bits", NATIVE)
def test_a_child_of_the_dll_holding_stderr_makes_no_wait(bits: int,
                                                          bad_dlls: dict[int, Path]) -> None:
    with Surrogate(bad_dlls[bits], timeout=10) as hosted:
        start = time.monotonic()
        with pytest.raises(SurrogateError, match="ended \\(status 3\\): sleeper") as caught:
            hosted.call("fork_sleeper", 30)
        assert time.monotonic() - start < 4
    sleeper = int(re.search("sleeper (\\d+)", str(caught.value)).group(1))  # type: ignore[union-attr]
    try:
        deadline = time.monotonic() + 3
        while not _gone(sleeper) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(sleeper), "the DLL's child was left running"  # its process group ended
    finally:
        if not _gone(sleeper):
            os.kill(sleeper, signal.SIGKILL)


@pytest.mark.parametrize("bits", NATIVE)
def test_frames_forged_by_the_hosted_code_are_named(bits: int, bad_dlls: dict[int, Path],
                                                     tmp_path: Path) -> None:
    with Surrogate(bad_dlls[bits], timeout=10) as hosted:
        with pytest.raises(SurrogateError, match="bytes that are not a reply frame "
                           "\\(b'hello from the D.*wrote to stdout"):
            hosted.call("write_stdout")
        start = time.monotonic()
        with pytest.raises(SurrogateError, match="closed its end of the pipes and kept running"):
            hosted.call("close_stdout", 20)
        assert time.monotonic() - start < 4
        assert hosted.call("chatter", 1).result == 1  # a new surrogate


@pytest.mark.parametrize("bits", NATIVE)
@pytest.mark.parametrize(("mode", "expected"), [
    ("1", "bytes that are not a reply frame \\(b'loading the DLL"),
    ("2", "sent a HELLO that is not JSON: b'this is not JSON'"),
    ("3", "sent a HELLO that lacks 'pointer_size, arch, os, loader, image_base, relocated'"),
    ("4", "answered with status 77, which the wire does not define"),
    ("5", "sent a HELLO that is wrong \\(invalid literal for int"),
], ids=["text", "not-json", "fields", "status", "value"])
def test_a_forged_hello_is_named(bits: int, mode: str, expected: str,
                                 bad_dlls: dict[int, Path], tmp_path: Path) -> None:
    hosted = Surrogate(_bad_dll(bad_dlls, bits, mode, tmp_path), timeout=10)
    with pytest.raises(SurrogateError, match=expected):
        hosted.start()
    assert hosted._process is None  # stopped: its stream cannot be trusted
    hosted.close()


def _raw_call(hosted: Surrogate, call_id: int, payload: bytes) -> tuple[int, bytes]:
    """Send a CALL payload as it is (no encoder to refuse it): the reply's status and bytes."""
    assert hosted._channel is not None
    hosted._channel.write([header(Kind.CALL, call_id, len(payload)), payload],
                          time.monotonic() + 5)
    reply = HEADER.unpack(hosted._read(HEADER.size))
    assert reply["call_id"] == call_id
    return reply["status"], hosted._read(reply["length"])


@pytest.mark.parametrize("kind", [pytest.param("native", marks=needs_native), "emulated"])
def test_malformed_calls_get_the_same_errors_from_each_surrogate(kind: str) -> None:
    name = struct.pack("<H3s3x", 3, b"add")
    many = name + struct.pack("<BBH", ArgType.INT32, 17, 0) + \
        struct.pack("<B3xI", ArgType.INT32, 1) * 17
    short = name + struct.pack("<BBH", ArgType.INT32, 1, 0) + \
        struct.pack("<B3xI", ArgType.INOUT, 100) + bytes(10)  # 100 bytes promised, 10 sent
    with Surrogate(sample_path("windows", "x64"), kind=kind) as hosted:
        status, message = _raw_call(hosted, 77, bytes.fromhex("06006e6f7375636870020000"))
        assert status in (Status.BAD_FRAME, Status.BAD_ARGUMENT), message  # 2 args, none there
        status, message = _raw_call(hosted, 78, many)
        assert status != Status.OK and b"more than 16" in message
        status, message = _raw_call(hosted, 79, short)
        assert status != Status.OK and b"overruns the call frame" in message
        assert hosted.call("add", 2, 2).result == 4


@pytest.mark.parametrize("kind", [pytest.param("native", marks=needs_native), "emulated"])
def test_a_dll_path_starting_with_a_dash_is_not_an_option(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copyfile(sample_path("windows", "x64"), tmp_path / "-sample.dll")
    monkeypatch.chdir(tmp_path)
    with Surrogate("-sample.dll", kind=kind) as hosted:
        assert hosted.call("add", 2, 3).result == 5


def _pe_tables(data: bytes) -> tuple[int, int, Callable[[int], int]]:
    """The optional header's and the data directories' file offsets, and RVA -> file offset,
    read here independently of the kit's readers."""
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    optional = pe + 24
    plus = struct.unpack_from("<H", data, optional)[0] == 0x20B
    count, size = struct.unpack_from("<H", data, pe + 6)[0], struct.unpack_from(
        "<H", data, pe + 20)[0]
    sections = [struct.unpack_from("<8xIIII", data, optional + size + 40 * i)
                for i in range(count)]

    def offset(rva: int) -> int:
        for vsize, address, raw_size, raw in sections:
            if address <= rva < address + max(vsize, raw_size):
                return raw + rva - address
        raise AssertionError(f"RVA 0x{rva:x} is in no section")

    return optional, optional + (112 if plus else 96), offset


def _damage(data: bytes, how: str) -> bytes:
    """A copy of a sample DLL with one table pointing where it must not."""
    out = bytearray(data)
    optional, dirs, offset = _pe_tables(data)
    plus = data[optional] == 0x0B and data[optional + 1] == 0x02
    exports = offset(struct.unpack_from("<I", data, dirs)[0])
    relocs = offset(struct.unpack_from("<I", data, dirs + 40)[0])
    put = partial(struct.pack_into, "<I", out)
    if how.startswith("reloc") or how == "moved":  # an unaligned base cannot be had: it moves
        struct.pack_into("<Q" if plus else "<I", out, optional + (24 if plus else 28), 0x10001)
    if how == "export-directory":
        put(dirs, 0xFFFF_FFF0)
    elif how == "export-names":
        put(exports + 32, 0x7FFF_FFF0)  # AddressOfNames past the end
    elif how == "export-name-count":
        put(exports + 24, 0x4000_0000)
    elif how == "export-functions":
        put(exports + 28, struct.unpack_from("<I", data, optional + 56)[0] - 2)
    elif how == "entry-point":
        put(optional + 16, 0xFFFF_FF00)
    elif how == "reloc-directory":
        put(dirs + 40, 0xFFFF_FFF8)
    elif how == "reloc-page":  # page + offset + the pointer's size wraps past 4 GiB
        put(relocs, 0xFFFF_F000)
        struct.pack_into("<H", out, relocs + 8, ((10 if plus else 3) << 12) | 0xFFE)
    elif how == "reloc-block":
        put(relocs + 4, 0x7FFF_FFF0)
    return bytes(out)


LOADER_CASES = {
    "export-directory": "export directory outside the image",
    "export-names": "export name or ordinal table outside the image",
    "export-name-count": "export name or ordinal table outside the image",
    "export-functions": "export address table outside the image",
    "entry-point": "entry point outside the image",
    "reloc-directory": "relocation directory outside the image",
    "reloc-page": "relocation the surrogate cannot apply",
    "reloc-block": "relocation block that overruns its table",
}


def _hello_then_bye(program: str, dll: Path) -> tuple[int, bytes, int | None]:
    """HELLO and BYE sent to a surrogate program as raw frames: the HELLO's status and
    payload, and the program's exit status (None if it had to be killed)."""
    process = subprocess.Popen([str(probe_path(program)), str(dll)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    try:
        channel = Channel(process)
        channel.write([frame(Kind.HELLO, 1)], time.monotonic() + 5)
        try:
            reply = HEADER.unpack(channel.read(HEADER.size, time.monotonic() + 5))
            payload = channel.read(reply["length"], time.monotonic() + 5)
            channel.write([frame(Kind.BYE, 2)], time.monotonic() + 5)
        except EOFError:
            return -1, b"", process.wait(5)
        return reply["status"], payload, process.wait(5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        for stream in (process.stdin, process.stdout):
            assert stream is not None
            stream.close()


@pytest.mark.parametrize("bits", NATIVE)
@pytest.mark.parametrize("how", sorted(LOADER_CASES))
def test_the_native_loader_refuses_tables_outside_the_image(bits: int, how: str,
                                                            tmp_path: Path) -> None:
    dll = tmp_path / f"{how}.dll"
    dll.write_bytes(_damage(sample_path("windows", ARCH[bits]).read_bytes(), how))
    program = "surrogate-i386" if bits == 32 else "surrogate-x86_64"
    status, message, exit_status = _hello_then_bye(program, dll)
    assert (status, exit_status) == (Status.BAD_ARGUMENT, 0), (message, exit_status)
    assert message.decode() == f"{dll.name}: has an {LOADER_CASES[how]}" or \
        LOADER_CASES[how] in message.decode(), message


@pytest.mark.parametrize("bits", NATIVE)
def test_a_moved_image_is_still_relocated_and_called(bits: int, tmp_path: Path) -> None:
    dll = tmp_path / "moved.dll"
    dll.write_bytes(_damage(sample_path("windows", ARCH[bits]).read_bytes(), "moved"))
    with Surrogate(dll, kind="native") as hosted:
        assert hosted.info is not None and hosted.info.relocated
        assert hosted.call("add", 2, 3).result == 5


@pytest.mark.parametrize("kind", [pytest.param("native", marks=needs_32), "emulated"])
def test_a_stdcall_export_gets_exactly_the_words_its_name_declares(kind: str) -> None:
    """x86 stdcall pops what its name says ("@8"): called with any other count, the stack
    would be unbalanced under the surrogate's feet (the fuzz test found it)."""
    with Surrogate(sample_path("windows", "x86"), kind=kind) as hosted:
        for args in ((1,), (1, 2, 3), (Argument(ArgType.INT64, 1), 2)):
            with pytest.raises(SurrogateError, match="add_stdcall@8:? pops 8 bytes of arguments "
                               "\\(stdcall, from its name\\); this call passes (4|12)"):
                hosted.call("add_stdcall@8", *args)
        assert hosted.call("add_stdcall@8", 40, 2).result == 42


_EXPORT_FIELDS = (12, 16, 20, 24, 28, 32, 36)  # name, base, counts, the three tables' RVAs


@pytest.mark.parametrize("bits", NATIVE)
def test_random_export_tables_never_crash_the_loader(bits: int, tmp_path: Path) -> None:
    """Random values in the export directory's fields, its tables and the data directories'
    sizes: the surrogate answers HELLO (with the DLL or with an error), and never dies."""
    data = sample_path("windows", ARCH[bits]).read_bytes()
    _, dirs, offset = _pe_tables(data)
    exports = offset(struct.unpack_from("<I", data, dirs)[0])
    names = offset(struct.unpack_from("<I", data, exports + 32)[0])
    fields = [exports + f for f in _EXPORT_FIELDS] + [names, names + 4, dirs, dirs + 4, dirs - 4]
    rng = random.Random(f"loader-{bits}")
    program = "surrogate-i386" if bits == 32 else "surrogate-x86_64"
    seen: Counter[int] = Counter()
    for index in range(40 if is_quick() else 400):
        out = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            value = rng.choice([rng.getrandbits(32), 0xFFFF_FFF0, 0x7FFF_FFFF, 0x1000,
                                rng.randrange(0x3000), 0xFFFF_FFFF, 0])
            struct.pack_into("<I", out, rng.choice(fields), value)
        dll = tmp_path / f"mutant{index}.dll"
        dll.write_bytes(out)
        status, message, exit_status = _hello_then_bye(program, dll)
        assert exit_status == 0 and status in (Status.OK, Status.BAD_ARGUMENT), \
            (bytes(out).hex(), message, exit_status)
        seen[status] += 1
    assert seen[Status.BAD_ARGUMENT] > 0


@pytest.mark.skipif(os.name != "posix", reason="the test makes a POSIX pipe block")
@pytest.mark.parametrize("how", ["poll", "watchdog"])
def test_a_write_to_a_child_that_does_not_read_ends_at_its_deadline(how: str) -> None:
    """A child that never reads its stdin cannot hold the client in write(): POSIX polls the
    non-blocking pipe; the Windows way (a blocking write and a timer that kills the child) is
    run here on a pipe made blocking again."""
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    try:
        channel = Channel(idle)
        if how == "watchdog":
            channel._writable = None
            os.set_blocking(channel._in, True)
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="did not take the frame by the deadline"):
            channel.write([bytes(4 << 20)], time.monotonic() + 0.5)
        assert time.monotonic() - start < 3
        if how == "watchdog":
            assert idle.wait(5) == -signal.SIGKILL
    finally:
        idle.kill()
        idle.wait(5)
        for stream in (idle.stdin, idle.stdout):
            assert stream is not None
            stream.close()


def test_a_wrong_argument_and_a_long_buffer_stay_short_on_screen(surrogate: Surrogate) -> None:
    # A learner who passes bytes instead of a Buffer got all 8,000 bytes back in the message.
    with pytest.raises(UsageError, match=r"\.\.\. \(bytes of 32,003 characters\): is not an int"):
        surrogate.call("checksum", bytes(8000), 8000)
    shown = repr(surrogate.call("checksum", Buffer(bytes(8000)), 8000))
    assert shown.startswith("CallResult(result=") and "buffers=(<8,000 bytes>,)" in shown
    assert len(shown) < 100
    assert "buffers=(b'ab',)" in repr(surrogate.call("checksum", Buffer(b"ab"), 2))
