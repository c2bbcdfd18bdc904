import pytest
from conftest import SAMPLE_EXPORTS

from interopkit.elf import read_dynamic
from interopkit.headers import ELF32_HEADER, ELF64_HEADER, ELF_IDENT
from interopkit.samples import probe_path, sample_path


@pytest.mark.parametrize("arch,bits", [("i386", 32), ("x86_64", 64), ("aarch64", 64)])
def test_sample_shared_objects_export_the_contract(arch: str, bits: int) -> None:
    data = sample_path("linux", arch).read_bytes()
    top = (ELF32_HEADER if bits == 32 else ELF64_HEADER).unpack(data, ELF_IDENT.size)
    info = read_dynamic(data, bits, top["e_shoff"], top["e_shnum"])
    assert SAMPLE_EXPORTS <= set(info.exports)
    assert info.imports == () and info.needed == ()  # built with -nostdlib: no dependencies


def test_static_probe_has_no_dynamic_section() -> None:
    data = probe_path("probe-x86_64").read_bytes()
    top = ELF64_HEADER.unpack(data, ELF_IDENT.size)
    assert read_dynamic(data, 64, top["e_shoff"], top["e_shnum"]).needed == ()


def test_python_itself_needs_libraries() -> None:
    # A real dynamically linked file of this machine, not one of the kit's own.
    import sys
    from pathlib import Path

    data = Path(sys.executable).resolve().read_bytes()
    if data[:4] != b"\x7fELF":
        pytest.skip("not an ELF host")
    bits = 64 if data[4] == 2 else 32
    top = (ELF64_HEADER if bits == 64 else ELF32_HEADER).unpack(data, ELF_IDENT.size)
    info = read_dynamic(data, bits, top["e_shoff"], top["e_shnum"])
    assert any(name.startswith("libc.so") for name in info.needed)
    assert info.imports  # undefined symbols that libc provides
