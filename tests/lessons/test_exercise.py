"""The framework, and every checker with an untouched, a wrong and a right answer."""

import pytest

from interopkit.com.registry import CLSCTX
from interopkit.lessons import arm64_emulation as emulation
from interopkit.lessons import com_surrogate as surrogate
from interopkit.lessons import cross_bitness_loading as loading
from interopkit.lessons import handle_ptr_truncation as handles
from interopkit.lessons import marshaling_overhead as costs
from interopkit.lessons import reading_bitness as bitness
from interopkit.lessons import start_here as start
from interopkit.lessons import wow64
from interopkit.lessons.exercise import Exercise, Feedback, State

ALL = [start.q0_process_bits, bitness.q1_machine, bitness.q2_sixty_four, bitness.q3_image_base,
       bitness.q4_large_address_aware, bitness.q5_x86_only_exe, loading.q1_predict,
       loading.q2_find_dll, loading.q3_start_code, loading.q4_remedy, wow64.q1_installer_file,
       wow64.q2_installer_key, wow64.q3_program_files, wow64.q4_sysnative,
       emulation.q1_stdcall_bytes, emulation.q2_third_register, emulation.q3_arm64_processes,
       emulation.q4_arm64_per_byte, surrogate.q1_force_32, surrogate.q2_missing_value,
       surrogate.q3_echo_32, surrogate.q4_frame_bytes, surrogate.q5_dllhost_image,
       surrogate.q6_wine_differs, handles.q1_cut_pointers,
       handles.q2_invalid_handle, handles.q3_mend, costs.q1_chatty_ms,
       costs.q2_batched_speedup]

# A plausible wrong answer for each, and a phrase its feedback must contain.
WRONG = {
    "q0_process_bits": (8, "pointer size in bytes"),
    "q1_machine": ((0x7C, 0x6486), "little-endian"),
    "q2_sixty_four": ({"lib_f.bin", "lib_c.bin", "lib_a.bin"}, "ARM64 is a 64-bit architecture"),
    "q3_image_base": (0x8000_0000, "only the low 4 bytes"),
    "q4_large_address_aware": (0x102, "set the large-address-aware bit"),
    "q5_x86_only_exe": (64, "An EXE makes its own process"),
    "q1_predict": ({1: False, 2: True, 3: False, 4: True, 5: False, 6: False}, "case 1"),
    "q2_find_dll": ("audio.dll", "loads into the app's x64 process"),
    "q3_start_code": (193, "LoadLibrary returns to a running program"),
    "q4_remedy": ("a", "System32 holds 64-bit DLLs"),
    "q1_installer_file": ("C:\\Windows\\SysWOW64\\LogFiles\\Vendor\\setup.log",
                          "but not all of it"),
    "q2_installer_key": ("HKLM\\SOFTWARE\\Vendor\\Settings", "shows the 64-bit view"),
    "q3_program_files": ("C:\\Program Files", "what a 64-bit process sees"),
    "q4_sysnative": ("C:\\Windows\\System32\\drivers", "redirected to SysWOW64"),
    "q1_stdcall_bytes": (16, "includes the 4-byte return address"),
    "q2_third_register": ("r8", "x64 register"),
    "q3_arm64_processes": ({"x64", "arm64"}, "only ARM64X carries both"),
    "q4_arm64_per_byte": (3.75, "two sizes"),
    "q1_force_32": (4, "tries the client's bitness first"),
    "q2_missing_value": ("AppID", "already there"),
    "q3_echo_32": (0x1_0000_0001, "how wide is a pointer"),
    "q4_frame_bytes": (28, "the header travels too"),
    "q5_dllhost_image": ("C:\\Windows\\System32\\dllhost.exe", "the 64-bit dllhost"),
    "q6_wine_differs": ({2}, "fails on both sides"),
    "q1_cut_pointers": ({"lpBits", "pvContext", "pfnNotify", "hSpool"}, "hSpool holds a handle"),
    "q2_invalid_handle": (-1, "8 bytes on the wire"),
    "q1_chatty_ms": (4.0, "That is the in-process cost"),
    "q2_batched_speedup": (1.5, "Is it really only a few times faster"),
    "q3_mend": (handles.PORTED.read_text().replace("[in] DWORD pBuffer, ", ""),
                "AttachBuffer lost pBuffer"),
}


def test_the_cut_pointers_are_the_three_seeded_ones() -> None:
    assert handles.q1_cut_pointers.solve() == {"lpBits", "pvContext", "pfnNotify"}
    assert handles.q2_invalid_handle.solve() == 0xFFFF_FFFF
    assert "not yet" in str(handles.q3_mend.check(handles.PORTED.read_text()))


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_untouched(exercise: Exercise) -> None:
    assert exercise.check().state is State.NOT_ATTEMPTED
    assert exercise.check(...).state is State.NOT_ATTEMPTED
    assert exercise.check(None).state is State.NOT_ATTEMPTED


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_wrong_answer_gets_a_targeted_message(exercise: Exercise,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # q1's feedback depends on what this machine measures now; a busy machine can move the
    # in-process cost by more than the factor of 2 the checker allows, so fix the measurement
    # (30 us across bitness, 0.4 us in process: 300 ms and 4 ms for 10,000 calls).
    monkeypatch.setattr(costs, "_scalar_us", lambda: (30.0, 0.4))
    answer, phrase = WRONG[exercise.name]
    feedback = exercise.check(answer)
    assert feedback.state is State.WRONG
    assert phrase in feedback.message


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_solution_is_right(exercise: Exercise) -> None:
    feedback = exercise.check(exercise.solve())
    assert feedback.state is State.RIGHT, feedback.message
    assert exercise.solution().code in exercise.solution_code


def test_verify_solution_reveals_nothing() -> None:
    message = bitness.q1_machine.verify_solution()
    assert "0x8664" not in message.upper() and "q1_machine.solution()" in message


def test_verify_solution_fails_loudly_for_a_broken_solution() -> None:
    from dataclasses import replace

    broken = replace(bitness.q3_image_base, solution_code="answer = 0x10B\n")
    with pytest.raises(AssertionError, match="worked solution of q3_image_base is wrong"):
        broken.verify_solution()


@pytest.mark.parametrize("exercise", ALL, ids=lambda e: e.name)
def test_hint_does_not_give_the_answer(exercise: Exercise) -> None:
    hint = exercise.hint()
    assert hint.state is State.NOT_ATTEMPTED and hint.message.startswith("Hint: ")
    assert repr(exercise.solve()) not in hint.message


def test_wrong_shape_is_wrong_not_an_exception() -> None:
    assert bitness.q1_machine.check("0x14c").state is State.WRONG
    assert bitness.q2_sixty_four.check(42).state is State.WRONG


def test_feedback_renders_as_html() -> None:
    html = Feedback("q", State.RIGHT, "a < b").__repr__(), Feedback(
        "q", State.RIGHT, "a < b")._repr_html_()
    assert "a &lt; b" in html[1] and "Correct" in html[1] and "correct" in html[0]


def test_q1_a_chatty_answer_far_from_the_in_process_cost_is_not_called_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A learner answered 50 ms where this machine gave 300 ms through the surrogate and 4 ms
    in process: the feedback called 50 ms "the in-process cost"."""
    monkeypatch.setattr(costs, "_scalar_us", lambda: (30.0, 0.4))
    feedback = costs.q1_chatty_ms.check(50)
    assert feedback.state is State.WRONG
    assert "in-process" not in feedback.message and "Too low" in feedback.message
    assert "in-process cost" in costs.q1_chatty_ms.check(4.5).message
    assert "microseconds" in costs.q1_chatty_ms.check(300_000).message
    assert "seconds" in costs.q1_chatty_ms.check(0.3).message
    assert "Too high" in costs.q1_chatty_ms.check(2000).message
    assert costs.q1_chatty_ms.check(250).state is State.RIGHT


def test_predictions_start_empty_and_are_locked_before_the_run() -> None:
    from interopkit.bench.harness import Record, Run
    from interopkit.errors import UsageError

    empty = costs.lock({name: ... for name in costs.GUESSED})
    assert empty.guesses == () and "No guesses locked in yet" in str(empty)
    locked = costs.lock({"surrogate_same_bitness": 10, "emulated": 50.5,
                         "surrogate_cross_bitness": ...})
    assert locked.guesses == (("surrogate_same_bitness", 10.0), ("emulated", 50.5))
    assert "no guess for surrogate_cross_bitness" in str(locked)
    with pytest.raises(UsageError, match="is not a positive number"):
        costs.lock({"emulated": "50x"})
    with pytest.raises(UsageError, match="is not one of the predicted experiments"):
        costs.lock({"dllhost": 3})
    records = tuple(Record(name, 0, us, us, us, 5, us, us) for name, us in (
        ("native_inproc", 0.5), ("surrogate_same_bitness", 15.0),
        ("surrogate_cross_bitness", 16.0)))
    before = Run({"started": locked.locked_at + 1}, records)
    text = costs.compare_guesses(locked, before)
    assert "surrogate_same_bitness: you guessed 10x, measured 30.0x" in text
    assert "surrogate_cross_bitness: no guess, measured 32.0x" in text
    assert "emulated: you guessed 50.5x, not measured here" in text
    assert "locked in after" not in text
    after = Run({"started": locked.locked_at - 1}, records)
    assert "locked in after this run started" in costs.compare_guesses(locked, after)


def test_05_q1_the_bitness_flag_alone_names_the_missing_context_not_a_missing_view() -> None:
    # BOTH_VIEWS has a 64-bit registration: the old reason said "only a 32-bit registration
    # exists".
    feedback = surrogate.q1_force_32.check(CLSCTX.ACTIVATE_32_BIT_SERVER)
    assert feedback.state is State.WRONG
    assert "Neither CLSCTX_INPROC_SERVER nor CLSCTX_LOCAL_SERVER" in feedback.message
    assert "only a 32-bit registration" not in feedback.message


def test_05_q2_accepts_the_key_and_value_as_regedit_shows_them() -> None:
    for answer in ("AppID\\DllSurrogate", "HKCR\\AppID\\{x}\\DllSurrogate", "DllSurrogate"):
        assert surrogate.q2_missing_value.check(answer).state is State.RIGHT
