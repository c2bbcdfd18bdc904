import pefile
import pytest

from interopkit.errors import ImageError
from interopkit.pemap import map_image
from interopkit.samples import probe_path, sample_path

ARCHES = ["x86", "x64", "arm64"]


@pytest.mark.parametrize("arch", ARCHES)
def test_exports_match_pefile(arch: str) -> None:
    path = sample_path("windows", arch)
    pe = pefile.PE(str(path))
    expected = {s.name.decode(): s.address for s in pe.DIRECTORY_ENTRY_EXPORT.symbols}
    assert map_image(path).exports == expected


@pytest.mark.parametrize("arch", ARCHES)
def test_relocated_sections_match_pefile(arch: str) -> None:
    path = sample_path("windows", arch)
    preferred = map_image(path).preferred_base
    moved = map_image(path, base=preferred + 0x1000_0000)
    assert moved.relocations >= 1  # every sample carries a pointer in .data
    pe = pefile.PE(str(path))
    pe.relocate_image(preferred + 0x1000_0000)
    memory = pe.get_memory_mapped_image()
    for section in pe.sections:  # compare what the loader defines: each section's VirtualSize
        start, end = section.VirtualAddress, section.VirtualAddress + section.Misc_VirtualSize
        assert moved.memory[start:end] == memory[start:end], section.Name


def test_unknown_export_says_what_there_is() -> None:
    image = map_image(sample_path("windows", "x86"))
    with pytest.raises(ImageError, match=r"ERROR_PROC_NOT_FOUND \(127\).*did you mean "
                                         r"'add_stdcall@8'"):
        image.address_of("add_stdcall")


def test_images_with_imports_are_refused() -> None:
    with pytest.raises(ImageError, match="imports functions from other DLLs"):
        map_image(probe_path("probe_x64.exe"))


def test_elf_is_refused() -> None:
    with pytest.raises(ImageError, match="not a PE image"):
        map_image(sample_path("linux", "x86_64"))
