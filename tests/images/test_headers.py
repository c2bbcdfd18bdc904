from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.errors import ImageError
from interopkit.images.headers import (
    COFF_HEADER,
    OPTIONAL_HEADER32,
    OPTIONAL_HEADER64,
    field_values,
    parse_headers,
    read_headers,
)
from interopkit.kit.samples import probe_path


def test_every_sample_reads_right(sample: tuple[Path, tuple[str, str, int, str]]) -> None:
    path, (fmt, machine, bits, kind) = sample
    headers = read_headers(path)
    assert (headers.format, headers.machine_name, headers.bits, headers.kind) == (
        fmt, machine, bits, kind)
    if fmt == "PE":
        assert headers.pe_magic == ("PE32" if bits == 32 else "PE32+")
        assert headers.subsystem == "Windows GUI"
        assert headers.has_clr_header is False


@pytest.mark.parametrize("name,machine,bits,kind,subsystem", [
    ("probe_x86.exe", "I386", 32, "exe", "Windows console"),
    ("probe_x64.exe", "AMD64", 64, "exe", "Windows console"),
    ("probe_arm64.exe", "ARM64", 64, "exe", "Windows console"),
    ("probe-i386", "I386", 32, "exe", None),
    ("probe-x86_64", "AMD64", 64, "exe", None),
])
def test_probes_read_right(name: str, machine: str, bits: int, kind: str,
                           subsystem: str | None) -> None:
    headers = read_headers(probe_path(name))
    assert (headers.machine_name, headers.bits, headers.kind, headers.subsystem) == (
        machine, bits, kind, subsystem)


def test_large_address_aware_follows_the_flag() -> None:
    assert read_headers(probe_path("probe_x86.exe")).large_address_aware is False
    assert read_headers(probe_path("probe_x64.exe")).large_address_aware is True


def test_optional_header_sizes_from_the_spec() -> None:
    # PE format page: 96 bytes of PE32 fields and 112 of PE32+ before the data directories.
    assert (COFF_HEADER.size, OPTIONAL_HEADER32.size, OPTIONAL_HEADER64.size) == (20, 96, 112)


def test_field_values_locate_machine_and_magic(tmp_path: Path) -> None:
    from interopkit.kit.samples import sample_path

    path = sample_path("windows", "x86")
    data = path.read_bytes()
    fields = {f.name: f for f in field_values(path)}
    e_lfanew = int.from_bytes(data[0x3C:0x40], "little")
    assert fields["e_lfanew"].value == e_lfanew
    assert fields["Machine"].offset == e_lfanew + 4 and fields["Machine"].value == 0x14C
    assert fields["Magic"].offset == e_lfanew + 24 and fields["Magic"].value == 0x10B
    assert fields["EXPORT"].value[0] != 0  # the sample exports functions


def test_elf_field_values() -> None:
    from interopkit.kit.samples import sample_path

    fields = {f.name: f for f in field_values(sample_path("linux", "i386"))}
    assert fields["EI_CLASS"].value == 1 and fields["e_machine"].value == 3


@pytest.mark.parametrize("name,match", [
    ("empty", "is empty"),
    ("truncated_dos", r"truncated: read 40 bytes of the DOS header at offset 0x0, expected 64"),
    ("truncated_pe", "truncated"),
    ("truncated_elf_header", "truncated: read 14 bytes of the ELF32 file header"),
    ("random", "not an executable image"),
    ("text", "not an executable image: it starts with 54 68 69 73"),
    ("mz_only", "no PE signature"),
    ("ne_16bit", r"16-bit NE \(New Executable\) program"),
    ("folder", "is a folder"),
    ("missing", "does not exist"),
])
def test_bad_files_get_the_kits_error(broken: dict[str, Path], name: str, match: str) -> None:
    with pytest.raises(ImageError, match=match) as caught:
        read_headers(broken[name])
    assert str(broken[name]) in str(caught.value)


def test_error_codes() -> None:
    with pytest.raises(ImageError) as caught:
        read_headers("definitely-missing.dll")
    assert caught.value.code is not None and caught.value.code.value == 2


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from([b"MZ", b"\x7fELF", b"MZ" + b"\0" * 58 + b"\x40\0\0\0PE\0\0"]),
       body=st.binary(max_size=600))
def test_fuzzed_headers_raise_only_image_error(prefix: bytes, body: bytes) -> None:
    try:
        parse_headers(prefix + body, "fuzz.bin")
    except ImageError:
        pass


def test_headers_beyond_the_first_read_are_found(tmp_path: Path) -> None:
    from interopkit.kit.samples import sample_path

    data = sample_path("windows", "x64").read_bytes()
    e_lfanew = int.from_bytes(data[0x3C:0x40], "little")
    moved_to = 4000  # the optional header now straddles the 4 KiB first read
    stub = data[:0x3C] + moved_to.to_bytes(4, "little") + b"\0" * (moved_to - 0x40)
    path = tmp_path / "big_stub.dll"
    path.write_bytes(stub + data[e_lfanew:e_lfanew + 1024])
    headers = read_headers(path)
    assert (headers.machine_name, headers.pe_magic, headers.kind) == ("AMD64", "PE32+", "dll")
