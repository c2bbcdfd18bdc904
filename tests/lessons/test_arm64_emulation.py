"""interopkit.lessons.arm64_emulation: its tables, diagrams, explorers and exercises."""

from interopkit.kit.samples import sample_path
from interopkit.lessons import arm64_emulation as emulation
from interopkit.lessons.exercise import State


def test_emulator_explorer_runs_what_is_chosen() -> None:
    from interopkit.lessons.arm64_emulation import emulator_explorer

    box = emulator_explorer()
    arch, export = box.children[0].children
    arguments, output = box.children[1], box.children[2]
    assert "returned <b>5</b>" in output.value and "rcx" in output.value
    arch.value = "x86"
    export.value = "add_stdcall"
    assert "add_stdcall@8" in output.value and "esp" in output.value
    export.value, arguments.value = "checksum", "text:hello 5"
    assert "0x4f9f2cab" in output.value
    arguments.value = "0x10 5"
    assert "faulted" in output.value


def test_call_controls_give_defaults_check_counts_and_cap_lists() -> None:
    from interopkit.lessons.arm64_emulation import emulator_explorer
    from interopkit.lessons.controls import _call_controls

    box = emulator_explorer()
    _arch, export = box.children[0].children
    arguments, output = box.children[1], box.children[2]
    export.value = "checksum"  # issue 15: "2 3" stayed and the first try faulted
    assert arguments.value == "text:hello 5" and "faulted" not in output.value
    assert "0x4f9f2cab" in output.value
    arguments.value = "2"
    assert "takes 2 arguments (buf, len); 1 given" in output.value
    export.value = "ptr_size"
    assert arguments.value == "" and "returned <b>8</b>" in output.value
    capped, _ = _call_controls([f"f{i}" for i in range(2721)])
    assert len(capped.options) == 40 and "40 of 2,721" in capped.description


def test_q4_needs_counting_the_value_printed_above_is_wrong() -> None:
    # Section 4 prints checksum's instructions per byte (5 on arm64): q4 asks about fill.
    feedback = emulation.q4_arm64_per_byte.check(5.0)
    assert feedback.state is State.WRONG
    assert "checksum's loop on arm64" in feedback.message and "fill" in feedback.message
    solved = emulation.q4_arm64_per_byte.solve()
    assert solved < 1  # the vectorised fill loop: fewer instructions than bytes
    assert emulation.q4_arm64_per_byte.check(solved).state is State.RIGHT


def test_q1_asks_about_a_function_not_shown_and_accepts_any_spelling_of_the_number() -> None:
    # The old q1 asked for add_stdcall@8's bytes, printed just above; 8.0 and '8' were refused.
    q1 = emulation.q1_stdcall_bytes
    for right in (12, 12.0, "12", " 12 "):
        assert q1.check(right).state is State.RIGHT
    assert "That is add_stdcall@8" in q1.check(8.0).message
    assert "That is add_stdcall@8" in q1.check("8").message
    assert "whole number" in q1.check(12.5).message


def test_q2_is_the_arm64_third_argument_not_the_x64_table() -> None:
    q2 = emulation.q2_third_register
    assert q2.check("X2").state is State.RIGHT
    assert q2.check("w2").state is State.RIGHT
    assert "length" in q2.check("x1").message
    assert "x64 register" in q2.check("rdx").message


def test_q3_is_a_plain_arm64_file_which_section_5_does_not_print() -> None:
    q3 = emulation.q3_arm64_processes
    assert q3.check({"arm64"}).state is State.RIGHT
    assert q3.check("arm64").state is State.RIGHT
    # Section 5's printed answer for ARM64X is wrong for a file without hybrid metadata.
    assert "only ARM64X carries both" in q3.check({"x64", "arm64", "arm64ec"}).message


def test_q4_any_multiples_of_32_agree_and_odd_sizes_are_explained() -> None:
    from interopkit.emulation.emulator import Buffer, Emulator

    arm64 = Emulator(sample_path("windows", "arm64"))

    def count(n: int) -> int:
        return arm64.call("fill", Buffer(bytes(n)), n, 7).instructions or 0

    expected = emulation.q4_arm64_per_byte.solve()
    for small, large in ((64, 96), (64, 128), (96, 1024)):
        answer = (count(large) - count(small)) / (large - small)
        assert emulation.q4_arm64_per_byte.check(answer).state is State.RIGHT
        assert answer == expected
    # The old cell started at 16 bytes: 16 then 32 gives a negative ratio (16 bytes are all
    # leftover steps), 16 then 64 a wrong one; both are told to use multiples of 32.
    negative = (count(32) - count(16)) / 16
    feedback = emulation.q4_arm64_per_byte.check(negative)
    assert negative < 0 and feedback.state is State.WRONG
    assert "leftover bytes" in feedback.message and "multiples of 32" in feedback.message
    feedback = emulation.q4_arm64_per_byte.check((count(64) - count(16)) / 48)
    assert feedback.state is State.WRONG and "multiples of 32" in feedback.message
