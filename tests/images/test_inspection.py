from pathlib import Path

import pytest
from conftest import SAMPLE_EXPORTS
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.errors import ImageError
from interopkit.images.inspection import clr_platform, inspect, second_opinion
from interopkit.images.machine import ElfMachine, Machine
from interopkit.images.pewriter import write_image
from interopkit.kit.quick import QUICK
from interopkit.kit.samples import probe_path, sample_path


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
    from interopkit.images.inspection import CHPE_POINTER_OFFSET

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


# -- bounded reads (issue 16 item 8): far offsets and huge counts cost nothing --------------

FAR = 0xFFFFFF00
MEASURE = """
import contextlib, io, json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # an unbounded read fails, not swaps
from interopkit.cli import main
rows = []
for argv in json.loads(sys.argv[1]):
    start = time.perf_counter()
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except MemoryError:
            code = "MemoryError"
    rows.append({"argv": argv, "code": code, "error": err.getvalue(),
                 "seconds": time.perf_counter() - start})
# The peak resident size of this process. On Linux ru_maxrss also counts the parent's pages that
# the fork copied before exec, so the kernel's own high-water mark of this image is read instead.
try:
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "maxrss_kib": peak}))
"""


def sparse_pe(path: Path, header_at_far_offset: bool) -> Path:
    """A 4 GiB sparse file (a few KiB on disk) whose e_lfanew is 0xFFFFFF00."""
    from interopkit.images.headers import COFF_HEADER, DOS_HEADER, OPTIONAL_HEADER32

    with path.open("wb") as handle:
        handle.write(DOS_HEADER.pack(e_magic=b"MZ", e_lfanew=FAR))
        handle.truncate(1 << 32)
        if header_at_far_offset:  # valid headers there, with a section table past the end
            handle.seek(FAR)
            handle.write(b"PE\0\0" + COFF_HEADER.pack(Machine=0x14C, NumberOfSections=4,
                                                      SizeOfOptionalHeader=224,
                                                      Characteristics=0x2102))
            handle.write(OPTIONAL_HEADER32.pack(Magic=0x10B, SizeOfImage=0x10000,
                                                SizeOfHeaders=0x400, NumberOfRvaAndSizes=16))
    return path


def sparse_elf(path: Path, file_size: int) -> Path:
    """A 64-bit ELF shared object whose .dynsym section claims 2 GiB."""
    from interopkit.images.elf import SECTION, SHT_DYNSYM
    from interopkit.images.headers import ELF64_HEADER

    header = b"\x7fELF\x02\x01\x01" + bytes(9) + ELF64_HEADER.pack(
        e_type=3, e_machine=62, e_version=1, e_shoff=64, e_ehsize=64, e_shentsize=64, e_shnum=3,
        e_shstrndx=0)
    sections = (SECTION[64].pack() +
                SECTION[64].pack(sh_type=SHT_DYNSYM, sh_offset=4096, sh_size=2 << 30, sh_link=2,
                                 sh_entsize=24) +
                SECTION[64].pack(sh_type=3, sh_offset=512, sh_size=16))
    with path.open("wb") as handle:
        handle.write(header + sections)
        handle.truncate(file_size)
    return path


def measure(argvs: list[list[str]]) -> dict:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(argvs)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("header_at_far_offset", [False, True], ids=["zeros-there",
                                                                     "headers-there"])
def test_a_far_e_lfanew_in_a_4_gib_sparse_file_is_refused_fast_and_small(
        tmp_path: Path, header_at_far_offset: bool) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    path = str(sparse_pe(folder / "far.dll", header_at_far_offset))
    result = measure([["inspect", path], ["check", path], ["can-load", path, "--process", "x86"],
                      ["scan", str(folder)]])
    expected = "no PE signature at offset 0xffffff00" if not header_at_far_offset else \
        "truncated: read 8 bytes of the section table at offset 0xfffffff8, expected 160"
    for row in result["rows"][:3]:
        assert row["code"] == 1 and expected in row["error"], row
        assert row["seconds"] < 1.0, row
    assert result["rows"][3]["code"] == 0 and result["rows"][3]["seconds"] < 1.0
    assert result["maxrss_kib"] < 100 * 1024, result


@pytest.mark.parametrize("file_size", [(2 << 30) + 8192, 8192], ids=["sparse-2-GiB",
                                                                       "8-KiB"])
def test_an_elf_dynsym_claiming_2_gib_is_refused_fast_and_small(tmp_path: Path,
                                                               file_size: int) -> None:
    path = str(sparse_elf(tmp_path / "libhuge.so", file_size))
    result = measure([["inspect", path]])
    (row,) = result["rows"]
    expected = "89478485 symbols; the kit reads at most" if file_size > 2 << 30 else \
        "truncated: read 4096 bytes of the ELF64 symbol table at offset 0x1000"
    assert row["code"] == 1 and expected in row["error"], row
    assert row["seconds"] < 1.0 and result["maxrss_kib"] < 100 * 1024, result


def test_tables_past_the_end_of_a_small_file_are_refused(tmp_path: Path) -> None:
    data = bytearray(sample_path("windows", "x64").read_bytes())
    data[60:64] = FAR.to_bytes(4, "little")  # e_lfanew far past the end of a 4.5 KiB file
    (tmp_path / "far.dll").write_bytes(bytes(data))
    with pytest.raises(ImageError, match=r"truncated: read 0 bytes of the PE signature at "
                                         r"offset 0xffffff00, expected 4"):
        inspect(tmp_path / "far.dll")


def test_exports_and_imports_match_pefile_on_real_files() -> None:
    """The kit's own table reader against pefile, on every real PE file at hand."""
    import pefile
    import pip

    files = [sample_path("windows", a) for a in ("x86", "x64", "arm64")] + [
        probe_path(n) for n in ("probe_x86.exe", "probe_x64.exe", "probe_arm64.exe",
                                "surrogate_x86.exe", "surrogate_x64.exe")]
    files += sorted(Path(pip.__file__).parent.rglob("*.exe"))  # MSVC-built launchers
    for path in files:
        pe = pefile.PE(str(path), fast_load=True)
        pe.parse_data_directories(directories=[0, 1])
        exports = sorted(s.name.decode() if s.name else f"#{s.ordinal}"
                         for s in getattr(pe, "DIRECTORY_ENTRY_EXPORT", None).symbols) \
            if hasattr(pe, "DIRECTORY_ENTRY_EXPORT") else []
        imports = [(e.dll.decode(), tuple(i.name.decode() if i.name else f"#{i.ordinal}"
                                          for i in e.imports))
                   for e in getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])]
        info = inspect(path)
        assert list(info.exports) == exports, path
        assert [(i.library, i.names) for i in info.imports] == imports, path
        assert info.image_base == pe.OPTIONAL_HEADER.ImageBase
        assert info.sections == tuple(s.Name.rstrip(b"\0").decode() for s in pe.sections)
        pe.close()


@pytest.mark.parametrize("arch", ["x86", "x64", "arm64"])
def test_pefile_agrees_with_the_kit_on_every_field_notebook_01_shows(arch: str) -> None:
    opinions = second_opinion(sample_path("windows", arch))
    assert [o.field for o in opinions] == ["Machine", "Magic", "ImageBase", "large-address-aware",
                                           "sections", "exports", "imported DLLs"]
    assert all(o.agree for o in opinions), [o for o in opinions if not o.agree]


def test_a_second_opinion_needs_a_pe_file() -> None:
    with pytest.raises(ImageError, match="is ELF, not PE"):
        second_opinion(sample_path("linux", "x86_64"))


def test_pefile_refusing_what_the_kit_reads_is_the_kits_error(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    import pefile

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise pefile.PEFormatError("made up for the test")

    monkeypatch.setattr(pefile, "PE", refuse)
    with pytest.raises(ImageError, match="pefile refuses"):
        second_opinion(sample_path("windows", "x86"))
