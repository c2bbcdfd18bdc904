"""interopkit.lessons.reading_bitness: its tables, diagrams, explorers and exercises."""


import pytest
from html_text import text

from interopkit.images.headers import field_values
from interopkit.kit.samples import probe_path, sample_path
from interopkit.lessons.exercise import State
from interopkit.lessons.reading_bitness import (
    draw_file_map,
    fields_table_html,
    file_regions,
    images_table_html,
    q2_sixty_four,
    q3_image_base,
    q4_large_address_aware,
)


def test_fields_table_decodes_flags() -> None:
    html = text(fields_table_html(sample_path("windows", "x86"), "COFF"))
    assert "0x2102 = EXECUTABLE_IMAGE | 32BIT_MACHINE | DLL" in html


def test_images_table_uses_elf_names_for_elf() -> None:
    html = text(images_table_html([sample_path("linux", "i386"), sample_path("windows", "x86")]))
    assert "EM_386 = 3 (like PE I386)" in html and "shared object" in html
    assert "I386 = 0x014C" in html


def test_pe_regions_follow_the_headers() -> None:
    x86 = {r.name: r for r in file_regions(sample_path("windows", "x86"))}
    x64 = {r.name: r for r in file_regions(sample_path("windows", "x64"))}
    assert x86["DOS header"].end == 64
    size = lambda r: r.end - r.start
    # The PE32+ optional header is 16 bytes longer than PE32's (96 vs 112 bytes of fields).
    assert size(x64["optional header"]) - size(x86["optional header"]) == 16
    assert ".text" in x86 and ".reloc" in x64


def test_elf_regions() -> None:
    regions = file_regions(sample_path("linux", "x86_64"))
    names = [r.name for r in regions]
    assert names[:2] == ["ELF identification", "ELF header"] and ".dynsym" in names
    assert all(r.end > r.start for r in regions)


def test_draw_one_row_per_file() -> None:
    paths = [sample_path("windows", "x86"), sample_path("linux", "i386")]
    ax = draw_file_map(paths)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sample_x86.dll",
                                                           "libsample_i386.so"]
    bars = [c for c in ax.collections]
    assert len(bars) == sum(len(file_regions(p)) for p in paths)
    # A little room past the longest file, so that its last bar ends inside the axes.
    widest = max(r.end for p in paths for r in file_regions(p))
    assert widest < ax.get_xlim()[1] <= widest * 1.05


def test_limit_cuts_the_axis_and_labels() -> None:
    ax = draw_file_map([sample_path("windows", "x64")], limit=700)
    assert ax.get_xlim() == (0, 700)
    labels = {t.get_text() for t in ax.texts}
    assert "optional header" in labels and ".text" not in labels


def test_every_header_is_named_even_the_narrow_ones() -> None:
    # The 4-byte PE signature and the 20-byte COFF header are too narrow for a label inside
    # their bars; they get one above the bar, with a line to it.
    ax = draw_file_map([sample_path("windows", "x86"), sample_path("windows", "x64")], limit=700)
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("PE signature") == 2 and labels.count("COFF header") == 2
    for name in ("DOS header", "DOS stub", "optional header", "data directories",
                 "section table"):
        assert labels.count(name) == 2, name
    # A whole file at once: the many narrow headers share one label naming first and last.
    whole = draw_file_map([sample_path("windows", "x86")])
    assert any(t.get_text().startswith("headers: DOS header ... ") for t in whole.texts)


def test_whole_file_map_labels_pe_and_elf_headers_alike() -> None:
    # Issue 15 fresh read: "ELF header" and "ELF identification" were stacked at offset 0
    # while the PE headers shared one label; the 700-byte map was titled "headers and
    # sections" while it shows headers only.
    ax = draw_file_map([sample_path("windows", "x64"), sample_path("linux", "x86_64")])
    labels = [t.get_text() for t in ax.texts]
    assert "ELF header" not in labels and "ELF identification" not in labels
    assert sum(label.startswith("headers: ") for label in labels) == 2 and ".text" in labels
    assert ax.get_title() == "Where the headers and sections sit in each file"
    assert "first 700 bytes" in draw_file_map([sample_path("windows", "x64")],
                                              limit=700).get_title()


def test_q2_windows_files_only_is_told_about_the_elf_files() -> None:
    # A learner's real answer: both 64-bit DLLs, the Linux objects left out. The old checker
    # said "ARM64 is a 64-bit architecture too", which the answer already knew.
    # q2 now asks about the mystery folder: lib_f.bin is the x64 build, lib_d.bin the ARM64 one.
    feedback = q2_sixty_four.check({"lib_f.bin", "lib_d.bin"})
    assert feedback.state is State.WRONG
    assert "Linux shared objects count too" in feedback.message
    assert "lib_c.bin" in feedback.message and "ARM64" not in feedback.message


def test_q2_missing_arm_files_is_told_about_arm() -> None:
    feedback = q2_sixty_four.check({"lib_f.bin", "lib_c.bin"})
    assert feedback.state is State.WRONG
    assert "ARM64 is a 64-bit architecture too" in feedback.message
    assert "EI_CLASS again for ['lib_a.bin']" in feedback.message


def test_q2_is_not_answered_by_the_table_of_section_1() -> None:
    # Issue 15 fresh read: the table above listed the six sample names with a bits column.
    from interopkit.kit.samples import SAMPLES
    from interopkit.loading.appfolders import MYSTERY

    assert not set(MYSTERY) & set(SAMPLES.values())
    sample_answer = {"sample_x64.dll", "sample_arm64.dll", "libsample_x86_64.so",
                     "libsample_aarch64.so"}
    feedback = q2_sixty_four.check(sample_answer)
    assert feedback.state is State.WRONG and "names say nothing" in feedback.message


def test_q3_needs_reading_the_bytes_and_knows_the_pe32_misreading() -> None:
    # The answer is not printed in the notebook: ImageBase of the x64 DLL appears nowhere.
    expected = next(f.value for f in field_values(sample_path("windows", "x64"))
                    if f.name == "ImageBase")
    assert q3_image_base.check(expected).state is State.RIGHT
    assert "PE32 keeps ImageBase" in q3_image_base.check(expected >> 32).message
    assert "Magic" in q3_image_base.check(0x20B).message


@pytest.mark.parametrize("answer,phrase", [(2, "not the GB"), (4, "not the GB"),
                                           (0x20, "the flag alone"),
                                           (0x2122, "another file's Characteristics")])
def test_q4_asks_for_the_field_not_the_gigabytes(answer: int, phrase: str) -> None:
    # The old q4 asked "how many GB?", answered in the text just above it.
    feedback = q4_large_address_aware.check(answer)
    assert feedback.state is State.WRONG and phrase in feedback.message


def test_q4_answer_comes_from_the_file() -> None:
    value = next(f.value for f in field_values(probe_path("probe_x86.exe"))
                 if f.name == "Characteristics")
    assert q4_large_address_aware.check(value | 0x20).state is State.RIGHT


def test_q1_needs_reading_a_file_the_notebook_does_not_dump() -> None:
    # The old q1 asked sample_x86.dll's Machine, 0x14C, shown in several cells above it.
    from interopkit.lessons.reading_bitness import q1_machine

    assert q1_machine.check(0x8664).state is State.WRONG
    assert "(offset, value)" in q1_machine.check(0x8664).message
    assert q1_machine.check((0, 0x8664)).state is State.WRONG


def test_q5_is_an_exe_case_not_the_dll_printed_above() -> None:
    from interopkit.lessons.reading_bitness import q5_x86_only_exe

    assert q5_x86_only_exe.check(32).state is State.RIGHT
    assert q5_x86_only_exe.check(False).state is State.WRONG
