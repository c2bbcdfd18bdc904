"""interopkit.lessons.capstone: notebook 08's case, its real runs and its seven checked steps."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from interopkit.errors import HostError, SurrogateError
from interopkit.lessons import capstone
from interopkit.lessons.capstone import (
    q1_plugin,
    q2_code,
    q3_machine,
    q4_checksum,
    q5_lost,
    q6_mend,
    q7_speedup,
)
from interopkit.lessons.exercise import State
from interopkit.loading.appfolders import build_capstone_app
from interopkit.surrogate.client import Surrogate

STEPS = (q1_plugin, q2_code, q3_machine, q4_checksum, q5_lost, q6_mend, q7_speedup)


@pytest.fixture(autouse=True)
def _studio_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check builds the case here, not in the user's cache."""
    monkeypatch.setattr(capstone, "STUDIO_FOLDER", tmp_path / "studio")


@pytest.fixture
def meter(tmp_path: Path) -> Iterator[Surrogate]:
    with Surrogate(capstone.plugin_of(build_capstone_app(tmp_path / "studio"))) as running:
        yield running


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_each_step_untouched_right_and_solved(step: capstone.Exercise) -> None:
    assert step.check(...).state is State.NOT_ATTEMPTED
    assert step.check(None).state is State.NOT_ATTEMPTED
    assert step.check(step.solve()).state is State.RIGHT
    assert "was run and checked" in step.verify_solution()
    assert step.hint().message.startswith("Hint: ")


@pytest.mark.parametrize(("step", "answer", "says"), [
    (q1_plugin, "charts.dll", "loads into studio.exe's process"),
    (q1_plugin, "render.dll", "loads into studio.exe's process"),
    (q1_plugin, "nothing.dll", "There is no nothing.dll"),
    (q1_plugin, 193, "file name as a string"),
    (q2_code, 0xC000007B, "does not import its plug-ins"),
    (q2_code, 126, "was not found"),
    (q2_code, 5, "error column"),
    (q2_code, "193", "as an int"),
    (q2_code, True, "as an int"),
    (q2_code, 216, "starting an EXE"),
    (q3_machine, "I386", "The header stores a number"),
    (q3_machine, "x86", "The header stores a number"),
    (q3_machine, "ARM64EC", "give it as an int"),
    (q3_machine, 0x8664, "studio.exe's own Machine"),
    (q3_machine, 0x10B, "optional header's Magic"),
    (q3_machine, 0xAA64, "COFF header's Machine field"),
    (q3_machine, 3.5, "as an int"),
    (q5_lost, {"pValues", "pvContext", "hMeter"}, "made by the 32-bit plug-in itself"),
    (q5_lost, {"pValues", "hwndNotify"}, "hwndNotify is a warning (handle-ptr-crossing)"),
    (q5_lost, {"pValues", "pvContext", "pcbSeen"}, "pcbSeen is a note (int3264-truncates)"),
    (q5_lost, {"pValues", "pvContext", "channel"}, "says nothing about channel"),
    (q5_lost, {"pValues"}, "1 missing"),
    (q5_lost, "pValues", "a set of parameter names"),
    (q6_mend, "not IDL at all {", "The lint cannot read it"),
    (q6_mend, 42, "as a string"),
    (q7_speedup, 0.001, "chatty design is faster"),
    (q7_speedup, 1e9, "Not within a factor of 3"),
    (q7_speedup, -5, "positive number"),
    (q7_speedup, "fast", "positive number"),
])
def test_wrong_answers_are_named_for_the_mistake(step: capstone.Exercise, answer: object,
                                                 says: str) -> None:
    feedback = step.check(answer)
    assert feedback.state is State.WRONG
    assert says in feedback.message, feedback.message


def test_the_unmended_interface_and_a_half_mend_are_wrong() -> None:
    text = capstone.PLUGIN_IDL.read_text()
    assert "10 finding(s) left: 6 x handle-in-32-bits (phMeter, hMeter); 1 x pointer-in-32-bits" \
        in q6_mend.check(text).message
    half = text.replace("[in] DWORD pValues", "[in, size_is(count)] const LONG *pValues")
    assert "9 finding(s) left" in q6_mend.check(half).message
    renamed = q6_mend.solve().replace("pValues", "values")
    assert "lost pValues" in q6_mend.check(renamed).message
    removed = q6_mend.solve().replace(
        "    HRESULT CloseMeter([in] HMETER hMeter);\n", "")
    assert "IMeterPlugin.CloseMeter is gone" in q6_mend.check(removed).message


@pytest.mark.parametrize(("state", "says"), [
    ("typedef HANDLE HMETER;", "unless COM duplicates it"),
    ("typedef void *HMETER;", "void * only as a context handle"),
    ("typedef [context_handle] void *HMETER;", "in a COM ([object]) interface"),
    ("typedef IMeter *HMETER;", "IMeter is used but never declared"),
])
def test_a_mend_the_lint_passes_but_midl_or_com_refuses_is_wrong(state: str, says: str) -> None:
    # A fresh learner found these four accepted: the lint looks for what crossing bitness loses,
    # not for what MIDL refuses, so the checker asks both.
    declared = ("[object, uuid(7D3A1F52-0C4B-4E6D-9A81-2B5C6D7E8F91), pointer_default(unique)]\n"
                "interface IMeter : IUnknown { HRESULT GetChannel([out] ULONG *pChannel); }\n"
                "typedef IMeter *HMETER;")
    mended = q6_mend.solve()
    assert declared in mended
    feedback = q6_mend.check(mended.replace(declared, state))
    assert feedback.state is State.WRONG and "The lint finds nothing, but" in feedback.message
    assert says in feedback.message, feedback.message


def test_the_checksum_step_recognises_the_sum_and_a_length_in_readings() -> None:
    readings = capstone.sensor_readings()
    assert "the readings' sum" in q4_checksum.check(sum(readings)).message
    data = capstone.readings_bytes(readings)
    (partial,) = capstone._plugin_checksums(data[:len(readings)])
    assert "a length in bytes" in q4_checksum.check(partial).message
    assert q4_checksum.check(0).state is State.WRONG


def test_readings_are_the_same_on_every_run_and_fit_a_12_bit_sensor() -> None:
    readings = capstone.sensor_readings()
    assert readings == capstone.sensor_readings() and len(readings) == capstone.READINGS
    assert 0 <= min(readings) and max(readings) < 4096 and len(set(readings)) > 1000
    assert capstone.readings_bytes([1, 2]) == b"\x01\x00\x00\x00\x02\x00\x00\x00"


def test_chatty_and_batched_are_timed_on_the_running_plugin(meter: Surrogate) -> None:
    readings = capstone.sensor_readings(300)
    times = capstone.time_chatty_batched(meter, readings, repeats=3)
    assert times["calls"] == 300 and times["sum"] == sum(readings)
    assert [times["checksum"]] == capstone._plugin_checksums(capstone.readings_bytes(readings))
    assert times["chatty_s"] > times["batched_s"] > 0
    ax = capstone.draw_chatty_batched(times)
    assert ax.get_xscale() == "log" and len(ax.patches) == 2
    assert "300 add calls" in ax.get_yticklabels()[0].get_text()


def test_the_design_explorer_times_again_when_the_slider_moves(meter: Surrogate) -> None:
    explorer = capstone.design_explorer(meter)
    slider, output = explorer.children
    assert "500 calls" in output.value and "x</b> faster" in output.value
    slider.value = 200
    assert "200 calls" in output.value and "800 bytes" in output.value


class _DeadPlugin:
    """A plug-in whose surrogate has died and cannot start again."""

    def call(self, export: str, *args: object) -> None:
        raise SurrogateError("the plug-in's surrogate", "died", "Start it again")


def test_the_design_explorer_shows_a_dead_plugin_as_the_kits_error() -> None:
    output = capstone.design_explorer(_DeadPlugin()).children[1]
    assert "color:#b03000" in output.value and "died" in output.value


def test_refusal_says_when_no_windows_process_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.loading import winload

    def no_wine(bits: int, path: str, mode: str = "execute") -> None:
        raise HostError(f"{bits}-bit Wine", "is not installed", "interopkit wine-setup")

    monkeypatch.setattr(winload, "load_one", no_wine)
    page = capstone.refusal_html("legacy_meter.dll")
    assert "No 64-bit Windows process can start" in page and "stands alone" in page


@pytest.mark.usefixtures("wine32")
def test_refusal_is_real_a_64_bit_process_refuses_and_a_32_bit_one_loads(tmp_path: Path) -> None:
    page = capstone.refusal_html(capstone.plugin_of(build_capstone_app(tmp_path / "studio")))
    assert "64-bit process</td><td style='text-align:left'>refused" in page
    assert "ERROR_BAD_EXE_FORMAT (193)" in page
    assert "32-bit process</td><td style='text-align:left'>loaded" in page


def test_com_hosting_shows_the_recorded_activation_without_wine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.lessons import recorded

    monkeypatch.setattr(recorded, "cached", lambda name, progress=None: recorded.Answer(
        recorded.load(name).result, "recorded for the test", live=False))
    page = capstone.com_hosting_html()
    assert "DllSurrogate" in page and "recorded for the test" in page
    assert "syswow64\\dllhost.exe (32-bit)" in page and "a pointer of 4 bytes" in page

