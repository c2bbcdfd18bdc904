import pefile
import pytest

from interopkit.errors import ImageError
from interopkit.images.pemap import map_image
from interopkit.kit.samples import probe_path, sample_path

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


def _patched(tmp_path, source, edits):
    data = bytearray(source.read_bytes())
    for offset, size, value in edits:
        data[offset:offset + size] = value.to_bytes(size, "little")
    out = tmp_path / source.name
    out.write_bytes(bytes(data))
    return out


def _at(path, directory: str, field_offset: int = 0) -> int:
    """File offset of a data directory's table (plus a field offset in it)."""
    from interopkit.images.files import open_image
    from interopkit.images.headers import pe_headers
    from interopkit.images.petables import PeTables

    with open_image(path) as source:
        tables = PeTables(source, pe_headers(source.read_upto(0, 4096), str(path), source)[1])
        return tables._locate(tables.directory(directory)[0], directory)[0] + field_offset


@pytest.mark.parametrize("size_of_block,match", [
    (0xFFFFFFF0, "relocation block at RVA 0x6000 running past the relocation directory"),
    (0x7FFFFFF8, "relocation block at RVA 0x6000 running past the relocation directory"),
])
def test_relocation_blocks_outside_their_directory_are_refused(tmp_path, size_of_block: int,
                                                               match: str) -> None:
    dll = sample_path("windows", "x64")
    path = _patched(tmp_path, dll, [(_at(dll, "BASERELOC", 4), 4, size_of_block)])
    with pytest.raises(ImageError, match=match):
        map_image(path, base=0x10000000)


def test_relocations_pointing_outside_the_image_are_refused(tmp_path) -> None:
    dll = sample_path("windows", "x64")
    path = _patched(tmp_path, dll, [(_at(dll, "BASERELOC"), 4, 0x7FFF0000)])
    with pytest.raises(ImageError, match=r"relocation at RVA 0x7fff0\w+, outside the image"):
        map_image(path, base=0x10000000)


@pytest.mark.parametrize("field,value,match", [
    (28, 0xFFFFFFF0, r"export addresses at RVA 0xfffffff0, past SizeOfImage"),
    (32, 0xFFFFFFF0, r"export name pointers at RVA 0xfffffff0, past SizeOfImage"),
    (20, 0x7FFFFFFF, r"claims 2147483647 exported functions"),
])
def test_export_tables_outside_the_image_are_refused(tmp_path, field: int, value: int,
                                                     match: str) -> None:
    dll = sample_path("windows", "x86")
    path = _patched(tmp_path, dll, [(_at(dll, "EXPORT", field), 4, value)])
    with pytest.raises(ImageError, match=match):
        map_image(path)
