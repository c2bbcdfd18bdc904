"""Notebook 01's checkers against the answers learners really gave (issue 15, section 5)."""

import pytest

from interopkit.exercises import State
from interopkit.exercises.bitness import q2_sixty_four, q3_image_base, q4_large_address_aware
from interopkit.headers import field_values
from interopkit.samples import probe_path, sample_path


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
    from interopkit.appfolders import MYSTERY
    from interopkit.samples import SAMPLES

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
    from interopkit.exercises.bitness import q1_machine

    assert q1_machine.check(0x8664).state is State.WRONG
    assert "(offset, value)" in q1_machine.check(0x8664).message
    assert q1_machine.check((0, 0x8664)).state is State.WRONG


def test_q5_is_an_exe_case_not_the_dll_printed_above() -> None:
    from interopkit.exercises.bitness import q5_x86_only_exe

    assert q5_x86_only_exe.check(32).state is State.RIGHT
    assert q5_x86_only_exe.check(False).state is State.WRONG
