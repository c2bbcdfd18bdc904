from pathlib import Path

import pytest
from conftest import SAMPLE_EXPORTS
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.errors import ImageError
from interopkit.inspection import clr_platform, inspect
from interopkit.machine import ElfMachine, Machine
from interopkit.pewriter import write_image
from interopkit.quick import QUICK
from interopkit.samples import probe_path, sample_path


def test_samples(sample: tuple[Path, tuple[str, str, int, str]]) -> None:
    path, (fmt, machine, bits, kind) = sample
    info = inspect(path)
    assert (info.format, info.machine_name, info.bits, info.kind) == (fmt, machine, bits, kind)
    exports = set(info.exports)
    # x86 Windows decorates the __stdcall export (mingw style: name@bytes-of-arguments).
    stdcall = "add_stdcall@8" if (fmt, machine) == ("PE", "I386") else "add_stdcall"
    assert exports == SAMPLE_EXPORTS | {stdcall}
    assert info.is_import_free


def test_windows_dlls_have_relocations_and_pe_details() -> None:
    for arch, base in [("x86", 0x10000000), ("x64", 0x180000000), ("arm64", 0x180000000)]:
        info = inspect(sample_path("windows", arch))
        assert ".reloc" in info.sections and ".text" in info.sections
        assert info.image_base == base
        assert "DYNAMIC_BASE" in info.dll_characteristics
        assert info.elf_class is None and info.clr is None


def test_elf_details() -> None:
    info = inspect(sample_path("linux", "aarch64"))
    assert (info.elf_class, info.elf_machine, info.pe_magic) == (
        "ELFCLASS64", ElfMachine.EM_AARCH64, None)
    assert ".dynsym" in info.sections


@pytest.mark.parametrize("name", ["probe_x86.exe", "probe_x64.exe", "probe_arm64.exe"])
def test_probe_exes_import_only_kernel32(name: str) -> None:
    info = inspect(probe_path(name))
    assert [i.library for i in info.imports] == ["KERNEL32.dll"]
    assert {"VirtualAlloc", "GetProcAddress", "WriteFile"} <= set(info.imports[0].names)


# (Magic, flags) -> platform, written from corhdr.h CorPEKind and the CorFlags docs.
@pytest.mark.parametrize("machine,flags,dll,platform", [
    (Machine.I386, 0x1, True, "AnyCPU"),
    (Machine.I386, 0x3, True, "x86-only"),
    (Machine.I386, 0x20003, False, "AnyCPU-prefer-32-bit"),
    (Machine.I386, 0x20001, True, "invalid"),
    (Machine.AMD64, 0x1, True, "x64-only"),
    (Machine.ARM64, 0x1, True, "ARM64-only"),
    (Machine.I386, 0x10, True, "mixed-mode"),
])
def test_dotnet_platforms(tmp_path: Path, machine: Machine, flags: int, dll: bool,
                          platform: str) -> None:
    path = write_image(tmp_path / "managed.dll", machine, clr_flags=flags, dll=dll)
    info = inspect(path)
    assert info.clr is not None and info.clr.platform == platform
    assert info.clr.runtime_version == "2.5"
    assert ("ILONLY" in info.clr.flags) == bool(flags & 1)


def test_prefer_32_bit_explains_the_dll_trap() -> None:
    _, meaning = clr_platform("PE32", Machine.I386, 0x20003, dll=True)
    assert "fail to load in 64-bit processes" in meaning
    _, meaning = clr_platform("PE32", Machine.I386, 0x20003, dll=False)
    assert "runs as a 32-bit process" in meaning


def test_native_constructed_image_has_no_clr(tmp_path: Path) -> None:
    info = inspect(write_image(tmp_path / "n.dll", Machine.ARMNT))
    assert info.clr is None and info.machine is Machine.ARMNT and info.bits == 32


@pytest.mark.parametrize("name,match", [
    ("empty", "is empty"), ("truncated_pe", "truncated"),
    ("truncated_sections", r"truncated: its sections end at byte \d+ but the file has 1500"),
    ("truncated_elf_sections", "truncated: read 0 bytes of the ELF32 section header"),
    ("random", "not an executable image"), ("folder", "is a folder"),
    ("missing", "does not exist"),
])
def test_bad_files(broken: dict[str, Path], name: str, match: str) -> None:
    with pytest.raises(ImageError, match=match):
        inspect(broken[name])


@settings(max_examples=60 if QUICK else 1000, deadline=None)
@given(arch=st.sampled_from(["x86", "x64", "arm64"]),
       edits=st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1,
                      max_size=12),
       cut=st.one_of(st.none(), st.integers(64, 4096)))
def test_mutated_dlls_give_an_image_info_or_an_image_error(tmp_path_factory: pytest.TempPathFactory,
                                                          arch: str, edits: list[tuple[int, int]],
                                                          cut: int | None) -> None:
    data = bytearray(sample_path("windows", arch).read_bytes())
    for offset, value in edits:
        if offset < len(data):
            data[offset] = value
    path = tmp_path_factory.getbasetemp() / "mutant.dll"
    path.write_bytes(bytes(data[:cut]))
    try:
        info = inspect(path)
    except ImageError as exc:
        assert "mutant.dll" in str(exc)
    else:
        assert info.bits in (32, 64)


@pytest.mark.parametrize("machine,hybrid", [(Machine.AMD64, "ARM64EC"), (Machine.ARM64, "ARM64X"),
                                            (Machine.I386, "CHPE")])
def test_constructed_hybrid_images_are_detected(tmp_path: Path, machine: Machine,
                                                hybrid: str) -> None:
    info = inspect(write_image(tmp_path / "hybrid.dll", machine, hybrid=True))
    assert info.hybrid == hybrid
    # A finished ARM64EC image says 0x8664 in its header, not 0xA641 (FACTS.md: DISAGREE).
    assert info.machine is machine


def test_an_older_load_configuration_is_not_hybrid(tmp_path: Path) -> None:
    from interopkit.inspection import CHPE_POINTER_OFFSET

    data = bytearray(write_image(tmp_path / "h.dll", Machine.AMD64, hybrid=True).read_bytes())
    size = (CHPE_POINTER_OFFSET[64] + 8).to_bytes(4, "little")
    at = bytes(data).index(size, 0x200)  # the structure's own Size field, in the section
    assert at > 0x200
    data[at:at + 4] = (64).to_bytes(4, "little")  # a structure from before hybrid images
    (tmp_path / "old.dll").write_bytes(bytes(data))
    assert inspect(tmp_path / "old.dll").hybrid is None


def test_real_files_are_not_hybrid() -> None:
    import pip

    assert all(inspect(p).hybrid is None for p in [sample_path("windows", a)
                                                   for a in ("x86", "x64", "arm64")])
    launchers = sorted(Path(pip.__file__).parent.rglob("*.exe"))  # MSVC-built, with load config
    if not launchers:
        pytest.skip("this pip ships no Windows launchers")
    for launcher in launchers:
        assert inspect(launcher).hybrid is None, launcher
