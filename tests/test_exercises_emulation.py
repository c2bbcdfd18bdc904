"""Notebook 04's exercises, with the answers learners really gave (issue 15)."""

from interopkit.exercises import State, emulation


def test_q2_feedback_talks_about_the_tables_call() -> None:
    # Section 3's table calls add(2, 3); the old feedback asked "which register held 9?".
    for wrong in ("rax", "r8"):
        feedback = emulation.q2_second_register.check(wrong)
        assert feedback.state is State.WRONG
        assert "add(2, 3)" in feedback.message and "held 3" in feedback.message
        assert "9" not in feedback.message


def test_q2_the_32_bit_name_of_the_register_is_right() -> None:
    assert emulation.q2_second_register.check("EDX").state is State.RIGHT
    assert "held 3" in emulation.q2_second_register.hint().message


def test_q4_needs_counting_the_value_printed_above_is_wrong() -> None:
    # Section 4 prints checksum's instructions per byte (5 on arm64): q4 asks about fill.
    feedback = emulation.q4_arm64_per_byte.check(5.0)
    assert feedback.state is State.WRONG
    assert "checksum's loop on arm64" in feedback.message and "fill" in feedback.message
    solved = emulation.q4_arm64_per_byte.solve()
    assert solved < 1  # the vectorised fill loop: fewer instructions than bytes
    assert emulation.q4_arm64_per_byte.check(solved).state is State.RIGHT
