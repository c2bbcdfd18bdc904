"""Every export on every architecture against the native library, and the failure modes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.emulation import Buffer, EmulationError, Emulator
from interopkit.errors import ImageError, UsageError
from interopkit.native import NativeLibrary
from interopkit.quick import QUICK
from interopkit.samples import sample_path

ARCHES = ["x86", "x64", "arm64"]
EMULATORS = {arch: Emulator(sample_path("windows", arch)) for arch in ARCHES}
NATIVE = NativeLibrary()
EXAMPLES = settings(max_examples=25 if QUICK else 200, deadline=None)
int32 = st.integers(-(2**31), 2**31 - 1)


@EXAMPLES
@given(a=int32, b=int32)
def test_add_everywhere_equals_native(a: int, b: int) -> None:
    expected = NATIVE.call("add", a, b).result & 0xFFFFFFFF
    for arch, emulator in EMULATORS.items():
        assert emulator.call("add", a, b).result & 0xFFFFFFFF == expected, arch
        stdcall = "add_stdcall@8" if arch == "x86" else "add_stdcall"
        assert emulator.call(stdcall, a, b).result & 0xFFFFFFFF == expected, arch


@EXAMPLES
@given(data=st.binary(max_size=512))
def test_checksum_everywhere_equals_native(data: bytes) -> None:
    expected = NATIVE.call("checksum", Buffer(data), len(data)).result & 0xFFFFFFFF
    for arch, emulator in EMULATORS.items():
        assert emulator.call("checksum", Buffer(data), len(data)).result & 0xFFFFFFFF == \
            expected, arch


@EXAMPLES
@given(size=st.integers(0, 300), seed=st.integers(0, 255))
def test_fill_everywhere_equals_native(size: int, seed: int) -> None:
    native = NATIVE.call("fill", Buffer(bytes(size)), size, seed)
    for arch, emulator in EMULATORS.items():
        call = emulator.call("fill", Buffer(bytes(size)), size, seed)
        assert (call.result, call.buffers) == (native.result, native.buffers), arch


@EXAMPLES
@given(value=st.integers(0, 2**64 - 1))
def test_echo_ptr_keeps_the_pointer_width(value: int) -> None:
    assert EMULATORS["x64"].call("echo_ptr", value).result == value
    assert EMULATORS["arm64"].call("echo_ptr", value).result == value
    assert EMULATORS["x86"].call("echo_ptr", value).result == value & 0xFFFFFFFF  # 32 bits


def test_pointer_sizes_and_names() -> None:
    for arch, size in (("x86", 4), ("x64", 8), ("arm64", 8)):
        assert EMULATORS[arch].call("ptr_size").result == size
        name = EMULATORS[arch].call("arch_name").result  # a pointer into the mapped image
        text = bytes(EMULATORS[arch]._uc.mem_read(name, 8)).split(b"\0")[0]
        assert text.decode() == arch


def test_state_lives_in_the_emulator() -> None:
    emulator = Emulator(sample_path("windows", "x64"))
    assert [emulator.call("counter_next").result for _ in range(3)] == [1, 2, 3]
    emulator.call("counter_reset", 41)
    assert emulator.call("counter_next").result == 42


def test_calling_conventions_on_x86() -> None:
    emulator = EMULATORS["x86"]
    cdecl, stdcall = emulator.call("add", 1, 2), emulator.call("add_stdcall@8", 1, 2)
    # cdecl: only the return address is popped; stdcall: ret 8 pops the arguments too
    assert cdecl.registers_after["esp"] - cdecl.registers_before["esp"] == 4
    assert stdcall.registers_after["esp"] - stdcall.registers_before["esp"] == 12


def test_registers_carry_the_arguments() -> None:
    x64 = EMULATORS["x64"].call("add", 7, 9)
    assert (x64.registers_before["rcx"], x64.registers_before["rdx"]) == (7, 9)
    assert x64.registers_before["rsp"] % 16 == 8  # aligned before the call pushed the return
    arm = EMULATORS["arm64"].call("add", 7, 9)
    assert (arm.registers_before["result"], arm.registers_before["x1"]) == (7, 9)


def test_a_bad_pointer_faults_with_the_address() -> None:
    with pytest.raises(EmulationError, match=r"checksum \(x64\): faulted at 0x[0-9a-f]+"):
        EMULATORS["x64"].call("checksum", 0x1234, 16)


def test_runaway_code_is_stopped() -> None:
    emulator = Emulator(sample_path("windows", "arm64"), limit=50)
    with pytest.raises(EmulationError, match="did not return within 50 instructions"):
        emulator.call("checksum", Buffer(bytes(1000)), 1000)


def test_bad_arguments() -> None:
    with pytest.raises(UsageError, match="is not an int or a Buffer"):
        EMULATORS["x64"].call("add", "2", 3)
    with pytest.raises(ImageError, match="exports no function named 'nope'"):
        EMULATORS["x64"].call("nope")
    with pytest.raises(UsageError, match="more than 8 arguments"):
        EMULATORS["arm64"].call("add", *range(9))


def test_disassembly_shows_each_convention() -> None:
    from interopkit.emulation import disassemble

    x86 = [i.text for i in disassemble(sample_path("windows", "x86"), "add_stdcall@8")]
    x64 = [i.text for i in disassemble(sample_path("windows", "x64"), "add")]
    arm = [i.text for i in disassemble(sample_path("windows", "arm64"), "add")]
    assert x86[-1] == "ret 8" and any("[ebp + 8]" in text for text in x86)  # stack arguments
    assert any("rcx" in text and "rdx" in text for text in x64)  # register arguments
    assert arm == ["add w0, w1, w0", "ret"]


def test_timing_without_counting() -> None:
    emulator = Emulator(sample_path("windows", "x64"), count_instructions=False)
    call = emulator.call("add", 1, 2)
    assert call.result == 3 and call.instructions is None
