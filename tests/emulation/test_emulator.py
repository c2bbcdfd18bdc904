"""Every export on every architecture against the native library, and the failure modes."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.emulation.emulator import (
    MAX_LIMIT,
    Buffer,
    EmulationError,
    Emulator,
    parse_argument,
)
from interopkit.emulation.native import NativeLibrary
from interopkit.errors import ImageError, UsageError
from interopkit.images.headers import (
    COFF_HEADER,
    DATA_DIRECTORY,
    DIRECTORY_NAMES,
    DOS_HEADER,
    OPTIONAL_HEADER32,
    OPTIONAL_HEADER64,
    SECTION_HEADER,
)
from interopkit.images.pemap import EXPORT_DIRECTORY, map_image
from interopkit.kit.quick import QUICK
from interopkit.kit.samples import sample_path

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
    from interopkit.emulation.emulator import disassemble

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


def _edited(tmp_path: Path, arch: str, base: int | None = None, add_rva: int | None = None,
            forward: bytes | None = None) -> Path:
    """A copy of the sample with its ImageBase, the RVA of ``add``, or ``add`` forwarded."""
    data = bytearray(sample_path("windows", arch).read_bytes())
    pe = DOS_HEADER.read(data, "e_lfanew")
    coff = COFF_HEADER.unpack(data, pe + 4)
    optional_at = pe + 4 + COFF_HEADER.size
    layout = OPTIONAL_HEADER32 if arch == "x86" else OPTIONAL_HEADER64
    sections = [SECTION_HEADER.unpack(data, optional_at + coff["SizeOfOptionalHeader"]
                                      + i * SECTION_HEADER.size)
                for i in range(coff["NumberOfSections"])]

    def put(rva: int, value: bytes) -> None:
        section = next(s for s in sections
                       if s["VirtualAddress"] <= rva < s["VirtualAddress"] + s["SizeOfRawData"])
        at = section["PointerToRawData"] + rva - section["VirtualAddress"]
        data[at:at + len(value)] = value

    if base is not None:
        field = layout.field("ImageBase")
        data[optional_at + field.offset:optional_at + field.offset + field.size] = \
            base.to_bytes(field.size, "little")
    image = map_image(sample_path("windows", arch))
    export_rva = DATA_DIRECTORY.unpack(
        data, optional_at + layout.size + DIRECTORY_NAMES.index("EXPORT") * DATA_DIRECTORY.size)
    table = EXPORT_DIRECTORY.unpack(image.memory, export_rva["VirtualAddress"])
    names = sorted(image.exports)  # the name table is sorted, as the PE format requires
    ordinal = int.from_bytes(image.memory[table["AddressOfNameOrdinals"] + 2 * names.index("add"):
                                          table["AddressOfNameOrdinals"] + 2 *
                                          names.index("add") + 2], "little")
    entry = table["AddressOfFunctions"] + 4 * ordinal
    if forward is not None:  # the DLL's own name, inside the export directory, becomes the
        put(table["Name"], forward + b"\0")  # forwarder string "DLL.Function" (PE-FMT)
        add_rva = table["Name"]
    if add_rva is not None:
        put(entry, add_rva.to_bytes(4, "little"))
    path = tmp_path / f"edited_{arch}.dll"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("arch", "base", "error", "problem"), [
    ("x64", 0x1_8000_0010, ImageError, "ImageBase 0x180000010, which is not a multiple of 64 KiB"),
    ("arm64", 0x1_8000_1000, ImageError, "not a multiple of 64 KiB"),
    ("x86", 0x0060_0000, EmulationError, "over the emulator's stack at 0x600000-0x700000"),
    ("x64", 0x0090_0000, EmulationError, "over the emulator's scratch area for buffers"),
    ("arm64", 0x00F0_0000, EmulationError, "over the emulator's return sentinel at 0xf00000"),
    ("x64", 0xFFFF_FFFF_FFFF_0000, ImageError, "beyond the x64 user address space"),
    ("arm64", 0x1_0000_0000_0000, ImageError, "beyond the arm64 user address space"),
])
def test_an_image_the_emulator_cannot_place_is_refused(tmp_path: Path, arch: str, base: int,
                                                       error: type, problem: str) -> None:
    # These once leaked unicorn's own UcError (UC_ERR_ARG, UC_ERR_MAP).
    with pytest.raises(error, match=re.escape(problem)):
        Emulator(_edited(tmp_path, arch, base=base))


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 10**30, True, 1.5])
def test_the_instruction_limit_cannot_be_removed(limit: object) -> None:
    # unicorn reads a count of 0 as no limit at all: runaway code then never stops.
    with pytest.raises(UsageError, match=r"^instruction limit .*: is not between 1 and "
                                         r"200,000,000\. The limit is what stops code"):
        Emulator(sample_path("windows", "x64"), limit=limit)  # type: ignore[arg-type]
    emulator = Emulator(sample_path("windows", "x64"), limit=MAX_LIMIT)
    with pytest.raises(UsageError, match="is not between 1 and"):
        emulator.limit = limit  # type: ignore[assignment]
    assert emulator.limit == MAX_LIMIT and emulator.call("add", 2, 3).result == 5


@pytest.mark.parametrize("arch", ARCHES)
def test_an_export_outside_the_image_is_refused(tmp_path: Path, arch: str) -> None:
    # Mapped at 0xE00000, an export at RVA 0x100000 is the sentinel: it "returned" at once.
    path = _edited(tmp_path, arch, base=0x00E0_0000, add_rva=0x10_0000)
    with pytest.raises(ImageError, match=r"exports 'add' at RVA 0x100000, outside the image"):
        Emulator(path).call("add", 2, 3)


@pytest.mark.parametrize("arch", ARCHES)
def test_a_forwarded_export_is_refused_never_run(tmp_path: Path, arch: str) -> None:
    path = _edited(tmp_path, arch, forward=b"KERNEL32.Sleep")
    emulator = Emulator(path)
    assert emulator.image.forwarded == {"add": "KERNEL32.Sleep"}
    assert "add" not in emulator.image.exports
    with pytest.raises(ImageError, match=r"forwards 'add' to 'KERNEL32.Sleep': its entry is that "
                                         r"name, not code\. The kit's loaders"):
        emulator.call("add", 2, 3)
    assert emulator.call("add_stdcall@8" if arch == "x86" else "add_stdcall", 2, 3).result == 5


def test_argument_counts_and_buffer_sizes_are_bounded() -> None:
    with pytest.raises(UsageError, match=r"^add: was given 65 arguments\. The emulator passes "
                                         r"up to 64"):
        EMULATORS["x64"].call("add", *range(65))
    with pytest.raises(UsageError, match=r"^zeros:0x100000000: asks for 4,294,967,296 bytes, "
                                         r"over the 1,073,741,824 bytes \(1 GiB\)"):
        parse_argument("zeros:0x100000000")  # was allocated (and zeroed) before any check
    assert parse_argument("zeros:3") == Buffer(bytes(3))
