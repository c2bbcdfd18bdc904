from pathlib import Path

import pytest
from conftest import SAMPLE_EXPORTS

from interopkit.images.elf import DynamicInfo, read_dynamic, read_sections
from interopkit.images.files import open_image
from interopkit.images.headers import ELF32_HEADER, ELF64_HEADER, ELF_IDENT
from interopkit.kit.samples import probe_path, sample_path


def dynamic_of(path: Path) -> DynamicInfo:
    with open_image(path) as source:
        head = source.read_at(0, 64)
        bits = 64 if head[4] == 2 else 32
        top = (ELF64_HEADER if bits == 64 else ELF32_HEADER).unpack(head, ELF_IDENT.size)
        return read_dynamic(source, bits, read_sections(source, bits, top["e_shoff"],
                                                        top["e_shnum"]))


@pytest.mark.parametrize("arch,bits", [("i386", 32), ("x86_64", 64), ("aarch64", 64)])
def test_sample_shared_objects_export_the_contract(arch: str, bits: int) -> None:
    assert sample_path("linux", arch).read_bytes()[4] == bits // 32
    info = dynamic_of(sample_path("linux", arch))
    assert SAMPLE_EXPORTS <= set(info.exports)
    assert info.imports == () and info.needed == ()  # built with -nostdlib: no dependencies


def test_static_probe_has_no_dynamic_section() -> None:
    assert dynamic_of(probe_path("probe-x86_64")).needed == ()


def test_python_itself_needs_libraries() -> None:
    # A real dynamically linked file of this machine, not one of the kit's own.
    import sys

    python = Path(sys.executable).resolve()
    if python.read_bytes()[:4] != b"\x7fELF":
        pytest.skip("not an ELF host")
    info = dynamic_of(python)
    assert any(name.startswith("libc.so") for name in info.needed)
    assert info.imports  # undefined symbols that libc provides
