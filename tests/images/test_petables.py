import time
from pathlib import Path

import pytest

from interopkit.errors import ImageError
from interopkit.images.files import open_image
from interopkit.images.headers import pe_headers
from interopkit.images.inspection import inspect
from interopkit.images.petables import EXPORT_DIRECTORY, IMPORT_DESCRIPTOR, MAX_EXPORTS, PeTables
from interopkit.kit.samples import probe_path, sample_path


def tables(path: Path) -> PeTables:
    source = open_image(path)
    return PeTables(source, pe_headers(source.read_upto(0, 4096), str(path), source)[1])


def directory_entry_offset(path: Path, name: str) -> int:
    """File offset of the (RVA, size) entry of data directory ``name``."""
    from interopkit.images.headers import field_values

    return next(f.offset for f in field_values(path) if f.region == "data directories"
                and f.name == name)


def patched(tmp_path: Path, source: Path, edits: list[tuple[int, int, int]]) -> Path:
    """A copy of ``source`` with each (offset, size, value) written in."""
    data = bytearray(source.read_bytes())
    for offset, size, value in edits:
        data[offset:offset + size] = value.to_bytes(size, "little")
    out = tmp_path / source.name
    out.write_bytes(bytes(data))
    return out


def export_field(path: Path, name: str) -> int:
    t = tables(path)
    offset = t._locate(t.directory("EXPORT")[0], "export directory")[0]
    t.source.close()
    return offset + EXPORT_DIRECTORY.field(name).offset


def test_rvas_map_through_the_section_table() -> None:
    t = tables(sample_path("windows", "x64"))
    rdata = next(s for s in t.sections if s.name == ".rdata")
    assert t._locate(rdata.virtual_address + 5, "x")[0] == rdata.raw_offset + 5
    assert t._locate(3, "x")[0] == 3  # the headers are mapped at RVA 0
    # Past SizeOfRawData and inside VirtualSize memory is zero-filled, as the loader does it.
    data = next(s for s in tables(probe_path("probe_x64.exe")).sections if s.name == ".data")
    assert data.raw_size == 0 and data.virtual_size > 0
    assert tables(probe_path("probe_x64.exe")).read(data.virtual_address, 16, "x") == bytes(16)
    t.source.close()


def test_an_export_directory_at_a_far_rva_is_refused(tmp_path: Path) -> None:
    dll = sample_path("windows", "x64")
    path = patched(tmp_path, dll, [(directory_entry_offset(dll, "EXPORT"), 4, 0xFFFFFFF0)])
    with pytest.raises(ImageError, match=r"has the export directory at RVA 0xfffffff0, which "
                                         r"no section holds"):
        inspect(path)


@pytest.mark.parametrize("field,value,match", [
    ("NumberOfFunctions", 0x7FFFFFFF, r"claims 2147483647 exported functions .* at most 65536"),
    ("NumberOfNames", MAX_EXPORTS + 1, r"and 65537 names; export ordinals are 16-bit"),
    ("AddressOfNames", 0x2000 + 500, ("export name pointers at RVA 0x21f4 .* running past the "
                                     "end of its section")),
    ("AddressOfFunctions", 0x7FFF0000, ("export address table at RVA 0x7fff0000, which no "
                                       "section holds")),
])
def test_damaged_export_tables_are_refused(tmp_path: Path, field: str, value: int,
                                           match: str) -> None:
    dll = sample_path("windows", "x64")
    path = patched(tmp_path, dll, [(export_field(dll, field), 4, value)])
    with pytest.raises(ImageError, match=match):
        inspect(path)


def test_many_names_for_one_function_cost_little(tmp_path: Path) -> None:
    # 65,536 name pointers all at offset 0 of the headers: bounded reads, not a hang.
    dll = sample_path("windows", "x64")
    path = patched(tmp_path, dll, [(export_field(dll, "NumberOfNames"), 4, MAX_EXPORTS),
                                   (export_field(dll, "AddressOfNames"), 4, 0x1000),
                                   (export_field(dll, "AddressOfNameOrdinals"), 4, 0x1000)])
    start = time.perf_counter()
    try:
        inspect(path)
    except ImageError as exc:
        assert "export" in str(exc)
    assert time.perf_counter() - start < 2.0


def test_damaged_import_tables_are_refused(tmp_path: Path) -> None:
    exe = probe_path("probe_x64.exe")
    t = tables(exe)
    descriptor = t._locate(t.directory("IMPORT")[0], "imports")[0]
    t.source.close()
    name_at = descriptor + IMPORT_DESCRIPTOR.field("Name").offset
    path = patched(tmp_path, exe, [(name_at, 4, 0xFFFFFF00)])
    with pytest.raises(ImageError, match=r"has an imported DLL's name at RVA 0xffffff00"):
        inspect(path)
    path = patched(tmp_path, exe, [(directory_entry_offset(exe, "IMPORT"), 4, 0x7FFFFFF0)])
    with pytest.raises(ImageError, match=r"an import descriptor at RVA 0x7ffffff0, which no "
                                         r"section holds"):
        inspect(path)
    thunks_at = descriptor + IMPORT_DESCRIPTOR.field("OriginalFirstThunk").offset
    path = patched(tmp_path, exe, [(thunks_at, 4, 0x1000 + 4500)])  # runs off .text's end
    with pytest.raises(ImageError, match="import lookup table|imported name"):
        inspect(path)


def test_truncated_sections_are_reported() -> None:
    t = tables(sample_path("windows", "x64"))
    t.check_complete()  # a complete file
    t.source.close()
