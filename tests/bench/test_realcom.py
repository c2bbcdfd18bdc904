"""Real COM as a benchmark experiment: timed inside the COM client under Wine, activation apart,
answers checked; skipped with the reason without Wine, and then shown from the recording,
labelled as recorded."""

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from interopkit.bench import realcom
from interopkit.bench.harness import PAYLOADS, REFERENCE, Record, Run, load, make_payload, run
from interopkit.com import real
from interopkit.emulation.emulator import Buffer
from interopkit.emulation.native import NativeLibrary
from interopkit.errors import HostError, UsageError
from interopkit.kit import wine


@pytest.mark.usefixtures("wine32")
def test_real_com_is_timed_inside_the_client_with_activation_apart(
        wine_left_since: Callable[[set], set]) -> None:
    assert realcom.available() is None
    before = set(wine.leftover_processes())
    measured = run(["native_inproc", "surrogate_cross_bitness", "real_com"], quick=True,
                   payloads=(0, 4096, 1 << 20))
    assert not wine_left_since(before)
    points = {r.payload_bytes: r for r in measured.results if r.experiment == "real_com"}
    assert set(points) == {0, 4096, 1 << 20}
    assert all(r.n >= 5 and 0 < r.p25_us <= r.median_us <= r.p75_us for r in points.values())
    about = measured.host["timed_inside"]["real_com"]
    assert about["server_bits"] == 32 and about["ptr_size"] == 4 and about["client_bits"] == 64
    assert about["surrogate"].lower().endswith("syswow64\\dllhost.exe")
    assert about["platform"].startswith("Wine ") and "QueryPerformanceCounter" in about["timer"]
    # Activation is timed once, apart: not one timed call, the first included, comes near it.
    timed = realcom.measure((0,), 20, 0.05)
    assert not wine_left_since(before)
    assert len(timed.samples[0]) == 20 and timed.about["warmup"]["0"] >= 1
    assert max(timed.samples[0]) * 1000 < timed.about["create_ms"] / 10
    view = realcom.shown(measured)
    assert view.live and view.label.startswith("live: measured in this run; real COM timed "
                                               "with QueryPerformanceCounter inside the 64-bit")
    assert "(Wine is not Windows)" in view.label and view.title.endswith("this run")
    lines = realcom.lines(view)
    assert lines[0].startswith("scalar call: real_com ") and "surrogate_cross_bitness" in lines[0]
    assert lines[-1].startswith("activation (CoCreateInstance, once): ")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows runs real COM without Wine")
def test_without_wine_real_com_is_skipped_and_shown_as_recorded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None if bits == 32 else "wine64")
    why = realcom.available()
    assert why == ("real COM runs under Wine here, and 32-bit Wine is not installed "
                   f"({wine.SETUP_COMMAND} installs it)")
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None)
    assert realcom.available().startswith("real COM runs under Wine here, and Wine is not ")
    monkeypatch.setattr(wine, "find_wine", lambda bits=64: None if bits == 32 else "wine64")
    measured = run(["native_inproc", "real_com"], quick=True, payloads=(0,))
    assert {r.experiment for r in measured.results} == {"native_inproc"}
    assert measured.host["skipped"] == {"real_com": why}
    view = realcom.shown(measured)
    assert not view.live and view.run == realcom.shown(measured).run
    recorded = load(realcom.RECORDED)
    assert view.label.startswith(f"RECORDED on {recorded.host['date']} with Wine 8.")
    assert f"by `{realcom.COMMAND}`, because {why}; real COM timed with " in view.label
    assert view.title.startswith("Real COM beside the kit's surrogate and msl-loadlib: RECORDED")
    # Every number shown comes from the recording, none from this run.
    assert set(view.run.results) <= set(recorded.results)
    assert view.run.record("real_com", 0) == recorded.record("real_com", 0)


def test_the_recording_has_its_provenance_and_every_payload() -> None:
    recorded = load(realcom.RECORDED)
    host = recorded.host
    assert host["recorded"]["command"] == realcom.COMMAND and host["quick"] is False
    assert host["recorded"]["wine"].startswith("Wine ") and host["date"] and host["cpu_model"]
    assert {(r.experiment, r.payload_bytes) for r in recorded.results} >= {
        (name, size) for name in ("real_com", "surrogate_cross_bitness", "native_inproc")
        for size in PAYLOADS}
    about = host["timed_inside"]["real_com"]
    assert about["ptr_size"] == 4 and about["create_ms"] > 0
    text = realcom.RECORDED.read_text(encoding="utf-8")
    assert str(Path.home()) not in text and str(REFERENCE.parents[2]) not in text


@pytest.mark.parametrize("size", [0, 16, 1000, 4096])
def test_the_expected_checksum_is_the_sample_librarys(size: int) -> None:
    data = make_payload(size)
    assert len(data) == size
    assert realcom.checksum(size) == NativeLibrary().call(
        "checksum", Buffer(data), size).result & 0xFFFF_FFFF


def _fake_client(monkeypatch: pytest.MonkeyPatch, create_hr: int = 0, hr: int = 0,
                 result: int | None = None) -> None:
    """The client's report as ``timed_run`` would give it, for the checks on it."""
    def timed_run(client_bits, server_bits, args, timeout):
        sizes = [int(args[i + 1]) for i, a in enumerate(args) if a == "--payload"]
        done = real.ComRun("Wine 8.0, 64-bit process", client_bits, 4, real.recipe(32, 64),
                           create_hr, 1000.0, 5, 4, real.Surrogate("dllhost.exe", 32), (), (), hr)
        return done, {"payloads": [{"bytes": s, "warmup": 1, "wrong": 0, "call_us": [300.0],
                                    "result": result if result is not None
                                    else realcom.checksum(s) if s else 5}
                                   for s in sizes]}

    monkeypatch.setattr(real, "timed_run", timed_run)


def test_a_wrong_answer_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_client(monkeypatch)
    assert realcom.measure((0, 16), 1, 0.1).samples == {0: (3e-4,), 16: (3e-4,)}
    _fake_client(monkeypatch, result=6)
    with pytest.raises(HostError, match="answered 0x6 at 0 bytes .* expected 0x5"):
        realcom.measure((0,), 1, 0.1)


def test_failed_activation_names_the_hresult(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_client(monkeypatch, create_hr=0x80004002)
    with pytest.raises(HostError, match=r"CoCreateInstance failed with E_NOINTERFACE .*"
                                        r"interopkit com demo --client 64 --server 32"):
        realcom.measure((0,), 1, 0.1)


def test_a_failed_call_names_the_hresult(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_client(monkeypatch, hr=0x800706BE)
    with pytest.raises(HostError, match="a call failed with "):
        realcom.measure((0,), 1, 0.1)


def test_payloads_the_client_cannot_take_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="are not 1 to 16 sizes of 0 to 67,108,864 bytes"):
        realcom.measure((128 << 20,), 1, 0.1)


def test_lines_phrase_each_ratio_from_the_run() -> None:
    def rec(name: str, size: int, median: float) -> Record:
        return Record(name, size, median, median, median, 15, median * 0.99, median * 1.01)

    measured = Run({"timed_inside": {"real_com": {"create_ms": 1000.0}}},
                   (rec("real_com", 0, 250.0), rec("surrogate_cross_bitness", 0, 25.0),
                    rec("msl_loadlib", 0, 1000.0), rec("real_com", 16, 260.0)))
    view = realcom.Shown(measured, True, "live")
    assert realcom.lines(view) == [
        ("scalar call: real_com 250.0 us (95% CI 247.5-252.5), surrogate_cross_bitness 25.00 us "
         "(24.75-25.25): ratio 10.00; the intervals are apart: between 9.802x and 10.202x"),
        ("scalar call: msl_loadlib 1,000.0 us (95% CI 990.0-1,010.0), real_com 250.0 us "
         "(247.5-252.5): ratio 4.00; the intervals are apart: between 3.921x and 4.081x"),
        "activation (CoCreateInstance, once): 1,000 ms, the time of 4,000 scalar calls"]


def test_describe_says_how_and_where_it_was_timed() -> None:
    about = json.loads(realcom.RECORDED.read_text(encoding="utf-8"))["host"]["timed_inside"][
        "real_com"]
    text = realcom.describe(about)
    assert text.startswith("timed with QueryPerformanceCounter inside the 64-bit COM client")
    assert "(Wine is not Windows)" in text and "left out of the per-call figures" in text
    assert "(Wine is not Windows)" not in realcom.describe(about | {"platform": "Windows 10"})


@pytest.mark.usefixtures("wine64")
@pytest.mark.parametrize(("args", "message"), [
    (["--payload", str(128 << 20)], "--payload must be 0..67108864 bytes"),
    (["--payload", "16", "--cap-ms", "0"], "--cap-ms must be more than 0"),
])
def test_the_client_refuses_what_it_cannot_time(args: list[str], message: str) -> None:
    from interopkit.kit.samples import probe_path

    done = wine.run(probe_path("comclient_x64.exe"), args, bits=64, timeout=60)
    assert done.returncode == 2 and message in done.stderr and done.stdout == ""


def test_lines_say_the_wine_second_is_wines_wait_and_price_each_byte() -> None:
    def rec(name: str, size: int, median: float) -> Record:
        return Record(name, size, median, median, median, 15, median * 0.99, median * 1.01)

    medians = {"real_com": (300.0, 1_300.0, 19_300.0),
               "surrogate_cross_bitness": (25.0, 150.0, 1_750.0),
               "native_inproc": (0.5, 70.0, 1_150.0)}
    about = {"create_ms": 1000.0, "platform": "Wine 8.0 (Debian), 64-bit process"}
    measured = Run({"timed_inside": {"real_com": about}}, tuple(
        rec(name, size, median) for name, times in medians.items()
        for size, median in zip((0, 65536, 1048576), times, strict=True)))
    got = realcom.lines(realcom.Shown(measured, True, "live"))
    # (19,300 - 1,300) us over 983,040 bytes is 18.31 ns a byte; the surrogate's 1.628, the
    # work's 1.099: beyond the work, (18.31 - 1.099) / (1.628 - 1.099) = 32.5 times.
    assert got[-2] == ("per byte, from 65,536 to 1,048,576 bytes: real_com 18.3 ns, "
                       "surrogate_cross_bitness 1.6 ns, the checksum itself (native_inproc) "
                       "1.1 ns; beyond the work, real COM spends 33 times as long on each byte "
                       "as the kit's surrogate")
    assert got[-1] == ("activation (CoCreateInstance, once): 1,000 ms, the time of 3,333 scalar "
                       "calls; under Wine that is mostly Wine's fixed one-second wait after "
                       "starting the surrogate (WINE-COMBASE), not Windows' activation cost")
    windows = Run({"timed_inside": {"real_com": about | {"platform": "Windows 10.0"}}},
                  measured.results)
    assert realcom.lines(realcom.Shown(windows, True, "live"))[-1].endswith("3,333 scalar calls")
