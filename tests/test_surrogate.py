"""A real 32-bit (and 64-bit) surrogate process hosting the kit's sample DLLs."""

import os
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interopkit.emulation import Buffer
from interopkit.errors import SurrogateError
from interopkit.host import can_run_x86_32, host_info
from interopkit.native import NativeLibrary
from interopkit.quick import QUICK
from interopkit.samples import probe_path, sample_path
from interopkit.surrogate import Surrogate
from interopkit.wire import HEADER, ArgType, Argument, Kind, frame

pytestmark = pytest.mark.skipif(
    host_info().os != "linux" or host_info().cpu != "x86_64",
    reason="the native surrogates are x86 Linux programs")
needs_32 = pytest.mark.skipif(not can_run_x86_32().ran,
                              reason="this kernel cannot run 32-bit x86 processes")
BITS = [pytest.param(32, marks=needs_32), 64]
ARCH = {32: "x86", 64: "x64"}


@pytest.fixture(params=BITS, ids=lambda b: f"{b}-bit")
def surrogate(request: pytest.FixtureRequest):
    with Surrogate(sample_path("windows", ARCH[request.param])) as hosted:
        yield hosted


def test_the_surrogate_reports_its_own_pointer_size(surrogate: Surrogate) -> None:
    assert surrogate.info is not None
    assert surrogate.info.pointer_size * 8 == surrogate.bits
    assert surrogate.info.kind == f"native-{surrogate.bits}"
    assert surrogate.info.pid != os.getpid()


def test_calls_equal_native(surrogate: Surrogate) -> None:
    native = NativeLibrary()
    data = bytes(range(200))
    assert surrogate.call("add", 40, 2, returns=ArgType.INT32).result == 42
    stdcall = "add_stdcall@8" if surrogate.bits == 32 else "add_stdcall"
    assert surrogate.call(stdcall, 40, 2, returns=ArgType.INT32).result == 42
    assert surrogate.call("checksum", Argument(ArgType.IN, data), len(data),
                          returns=ArgType.INT32).result == \
        native.call("checksum", Buffer(data), len(data)).result & 0xFFFFFFFF
    filled = surrogate.call("fill", Argument(ArgType.OUT, 6), 6, 65)
    assert filled.buffers == (b"ABCDEF",)
    assert surrogate.call("counter_next").result + 1 == surrogate.call("counter_next").result


def test_pointer_sized_values_keep_the_surrogates_width(surrogate: Surrogate) -> None:
    echoed = surrogate.call("echo_ptr", 0x1_2345_6789).result
    assert echoed == (0x2345_6789 if surrogate.bits == 32 else 0x1_2345_6789)


def test_unknown_export_and_bad_argument(surrogate: Surrogate) -> None:
    with pytest.raises(SurrogateError, match="ERROR_PROC_NOT_FOUND"):
        surrogate.call("no_such_export")
    assert surrogate.call("add", 1, 1).result == 2  # still alive


@needs_32
def test_a_crash_is_reported_and_the_next_call_restarts() -> None:
    hosted = Surrogate(sample_path("windows", "x86"), timeout=5)
    first = hosted.start().pid
    with pytest.raises(SurrogateError, match="signal 11"):
        hosted.call("checksum", 0x10, 16)  # a bad pointer: the DLL faults in the surrogate
    assert hosted.call("add", 2, 3).result == 5
    assert hosted.info is not None and hosted.info.pid != first
    hosted.close()


def test_wrong_bitness_and_unhostable_images() -> None:
    with pytest.raises(SurrogateError, match="cannot be hosted in a 64-bit surrogate"):
        Surrogate(sample_path("windows", "x86"), bitness=64)
    with pytest.raises(SurrogateError, match="ELF"):
        Surrogate(sample_path("linux", "x86_64"))
    hosted = Surrogate(probe_path("probe_x64.exe"))  # has imports: the Linux loader refuses
    with pytest.raises(SurrogateError, match="imports functions from other DLLs"):
        hosted.start()


@needs_32
def test_calls_from_several_threads() -> None:
    calls = 100 if QUICK else 1000
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


def test_start_stop_cycles_leave_nothing_behind() -> None:
    before_fds = len(os.listdir("/proc/self/fd"))
    before_children = _children()
    for _ in range(20 if QUICK else 200):
        with Surrogate(sample_path("windows", "x64")) as hosted:
            hosted.call("ptr_size")
    assert _children() == before_children
    assert len(os.listdir("/proc/self/fd")) <= before_fds  # every pipe was closed


@settings(max_examples=50 if QUICK else 2000, deadline=None,
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
    if host_info().os == "linux" and host_info().cpu == "x86_64":
        _FUZZ_TARGET.start()


def teardown_module() -> None:
    _FUZZ_TARGET.close()


def test_the_fuzzed_surrogate_still_answers() -> None:
    _FUZZ_TARGET.start()
    assert _FUZZ_TARGET.call("add", 2, 2).result == 4
    assert frame(Kind.HELLO, 1)[:2] == b"IK"
