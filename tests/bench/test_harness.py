"""The harness: statistics on synthetic timings, batching, records, saving, targets, quick mode."""

import json
import os
import statistics
import time

import pytest

from interopkit.bench.experiments import EXPERIMENTS
from interopkit.bench.harness import (
    LEARNING_DCOM,
    PAYLOADS,
    REFERENCE,
    Record,
    Run,
    compare,
    load,
    measure,
    observations,
    published_ratio,
    run,
    summarize,
    targets,
)
from interopkit.errors import UsageError


def test_summarize_on_known_samples() -> None:
    median, p25, p75, low, high = summarize([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (median, p25, p75) == (3.0, 2.0, 4.0)
    assert 1.0 <= low <= median <= high <= 100.0
    assert summarize([1.0, 2.0, 3.0, 4.0, 100.0]) == summarize([100.0, 4.0, 3.0, 2.0, 1.0])
    assert summarize([7.0]) == (7.0,) * 5
    with pytest.raises(UsageError, match="no samples"):
        summarize([])


def test_bootstrap_interval_narrows_with_more_samples() -> None:
    few = [1.0 + 0.1 * (i % 7) for i in range(10)]
    many = few * 40
    _, _, _, low_few, high_few = summarize(few)
    _, _, _, low_many, high_many = summarize(many)
    assert high_many - low_many <= high_few - low_few
    assert low_many <= statistics.median(many) <= high_many


def test_measure_batches_short_calls_and_stops_at_the_cap() -> None:
    calls = []
    samples = measure(lambda: calls.append(1), repeats=10, cap_seconds=5)
    assert len(samples) == 10 and len(calls) > 10 * 5  # several calls per timed batch
    assert all(0 < s < 1e-3 for s in samples)
    import time

    slow = measure(lambda: time.sleep(0.02), repeats=1000, cap_seconds=0.2)
    assert 5 <= len(slow) < 20


def _run() -> Run:
    rows = [("surrogate_cross_bitness", 0, 15.0), ("pipe_baseline", 0, 6.0),
            ("surrogate_cross_bitness", PAYLOADS[-1], 1500.0), ("msl_loadlib", 0, 800.0),
            ("native_inproc", 0, 0.5)]
    return Run({"quick": True, "seconds": 12.5, "skipped": {}},
               tuple(Record(e, p, m, m * 0.9, m * 1.1, 15, m * 0.95, m * 1.05)
                     for e, p, m in rows))


def test_targets_from_one_run() -> None:
    found = {t.name: t for t in targets(_run())}
    ratio = found["cross-bitness scalar call <= 3x the pipe ping-pong"]
    assert ratio.value == pytest.approx(2.5) and ratio.met
    rate = found["cross-bitness 1 MiB call >= 500 MB/s"]
    assert rate.value == pytest.approx((1 << 20) / 1500) and rate.met
    assert found["cross-bitness scalar call >= 30x faster than msl-loadlib"].value == \
        pytest.approx(800 / 15) and found["quick mode under 60 s"].met
    slow = Run({"skipped": {"msl_loadlib": "not installed"}}, (
        Record("surrogate_cross_bitness", 0, 40.0, 1, 1, 1, 1, 1),
        Record("pipe_baseline", 0, 10.0, 1, 1, 1, 1, 1)))
    found = {t.name: t for t in targets(slow)}
    assert found["cross-bitness scalar call <= 3x the pipe ping-pong"].met is False
    missing = found["cross-bitness scalar call >= 30x faster than msl-loadlib"]
    assert missing.met is None and "not installed" in missing.detail


def test_json_schema_and_saving(tmp_path) -> None:
    measured = _run()
    data = measured.as_json()
    assert set(data) == {"host", "results"}
    assert set(data["results"][0]) >= {"experiment", "payload_bytes", "median_us", "p25_us",
                                       "p75_us", "n"}
    again = load(measured.save(tmp_path / "run.json"))
    assert again == measured
    text = measured.save(tmp_path / "run.csv").read_text()
    assert text.startswith("# host: ") and "surrogate_cross_bitness,0,15.0" in text
    with pytest.raises(UsageError, match="is not a saved benchmark run"):
        load(tmp_path / "run.csv")


def test_reference_run_is_a_full_run_of_every_experiment() -> None:
    """Every experiment but real COM, which has its own recording (tests/bench/test_realcom)."""
    reference = load(REFERENCE)
    assert reference.host["quick"] is False and reference.host["cpu_model"]
    measured = {(r.experiment, r.payload_bytes) for r in reference.results}
    assert measured == {(name, size) for name in EXPERIMENTS for size in PAYLOADS
                        if name != "real_com"}


def test_quick_run_measures_every_available_experiment_fast() -> None:
    seen = []
    measured = run(quick=True, progress=lambda done, total, label: seen.append((done, total)))
    names = {r.experiment for r in measured.results}
    assert names | set(measured.host["skipped"]) == set(EXPERIMENTS)
    assert {"native_inproc", "marshal_inproc", "surrogate_cross_bitness", "emulated"} <= names
    assert all(r.p25_us <= r.median_us <= r.p75_us and r.n >= 5 for r in measured.results)
    assert seen[-1][0] == seen[-1][1] == len(measured.results)
    assert measured.host["quick"] and measured.host["seconds"] < 60
    assert measured.host["started"] < time.time() - measured.host["seconds"] + 1
    assert set(measured.host["surrogate_kind"]) == {"surrogate_same_bitness",
                                                    "surrogate_cross_bitness"}
    assert measured.host["os"] in measured.where()
    json.dumps(measured.as_json())


def test_an_experiment_timed_elsewhere_gives_records_or_a_skip_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Samples timed in another process become records like any others, with how they were
    timed in the host record; when that process fails, the run goes on and says why."""
    from interopkit.bench import experiments
    from interopkit.errors import HostError

    def timed(payloads, repeats, cap):
        assert (repeats, cap) == (15, 0.25)  # quick mode's plan, handed to the other process
        return experiments.Timed({size: (1e-4, 2e-4, 3e-4) for size in payloads},
                                 {"timer": "a clock over there"})

    def broken(payloads, repeats, cap):
        raise HostError("the other process", "failed", "Try again")

    monkeypatch.setitem(experiments.EXPERIMENTS, "real_com", experiments.Experiment(
        "real_com", "elsewhere", None, timed))
    monkeypatch.setattr(experiments, "available", lambda name: None)
    measured = run(["real_com"], quick=True, payloads=(0, 16))
    assert [(r.payload_bytes, r.median_us, r.n) for r in measured.results] == [(0, 200.0, 3),
                                                                                 (16, 200.0, 3)]
    assert measured.host["timed_inside"] == {"real_com": {"timer": "a clock over there"}}
    monkeypatch.setitem(experiments.EXPERIMENTS, "real_com", experiments.Experiment(
        "real_com", "elsewhere", None, broken))
    failed = run(["real_com"], quick=True, payloads=(0,))
    assert failed.results == () and failed.host["timed_inside"] == {}
    assert failed.host["skipped"] == {"real_com": "did not run here (the other process: failed. "
                                                  "Try again)"}


def test_unknown_experiment_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="nonsense: is not an experiment"):
        run(["nonsense"], quick=True)



@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_learners_benchmarking_at_once_spread_over_the_cpus(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On a shared server, processes with neighbouring ids pin to different CPUs."""
    from interopkit.bench import harness as bench

    allowed = sorted(os.sched_getaffinity(0))
    seen = []
    try:
        for pid in (1000, 1001):
            os.sched_setaffinity(0, allowed)
            monkeypatch.setattr(bench.os, "getpid", lambda pid=pid: pid)
            cpu = bench._pinned()
            assert os.sched_getaffinity(0) == {cpu} and cpu in allowed
            seen.append(cpu)
    finally:
        os.sched_setaffinity(0, allowed)
    assert len(set(seen)) == min(2, len(allowed)), seen


def test_compare_says_whether_the_run_can_tell_two_experiments_apart() -> None:
    def rec(name: str, median: float, low: float, high: float) -> Record:
        return Record(name, 0, median, low, high, 15, low, high)

    close = Run({}, (rec("a", 15.0, 14.9, 15.2), rec("b", 15.1, 15.0, 15.3)))
    found = compare(close, "a", "b")
    assert not found.resolved and found.ratio == pytest.approx(15.0 / 15.1)
    assert "overlap: no difference this run can resolve" in str(found)
    apart = Run({}, (rec("a", 30.0, 29.0, 31.0), rec("b", 15.0, 14.5, 15.5)))
    found = compare(apart, "a", "b")
    assert found.resolved and found.ratio_range == pytest.approx((29 / 15.5, 31 / 14.5))
    assert "between 1.871x and 2.138x" in str(found)
    with pytest.raises(UsageError, match="c at 0 bytes: is not in this run \\(not installed\\)"):
        compare(Run({"skipped": {"c": "not installed"}}, apart.results), "a", "c")


def test_learning_dcom_ratio_comes_from_its_void_call_figures() -> None:
    """The book's figures (6 us in process, 91-172 us out of process) give 15-29x, not the
    170x of its summary sentence, which matches its FirstCall column instead."""
    low, high = published_ratio("VoidCall")
    assert round(low) == 15 and round(high) == 29
    assert published_ratio("FirstCall")[0] == pytest.approx(812 / 5)
    assert {f.source for f in LEARNING_DCOM} == {"DCOM-THAI"}
    with pytest.raises(UsageError, match="LongCall: has no in-process"):
        published_ratio("LongCall")


def test_observations_are_phrased_from_the_run_and_skip_what_it_lacks() -> None:
    rows = [("surrogate_cross_bitness", 0, 15.0), ("surrogate_cross_bitness", 4096, 30.0),
            ("surrogate_same_bitness", 0, 15.0), ("native_inproc", 0, 0.5),
            ("surrogate_cross_bitness", PAYLOADS[-1], 1500.0),
            ("native_inproc", PAYLOADS[-1], 1200.0)]
    measured = Run({}, tuple(Record(e, p, m, m, m, 15, m * 0.99, m * 1.01) for e, p, m in rows))
    lines = observations(measured)
    assert lines[0].endswith("4,096 bytes more cost 15.0 us (100% of the scalar call)")
    assert "1 MiB: the work itself (in process) 1,200.0 us is 80%" in lines[2]
    assert lines[3].startswith("bitness, scalar call") and "no difference" in lines[3]
    assert len(lines) == 4  # no emulator, pipe, msl-loadlib or 1 MiB same-bitness point
    assert observations(Run({}, ())) == []
    com = Record("real_com", 0, 300.0, 300.0, 300.0, 15, 290.0, 310.0)
    assert observations(Run({}, (*measured.results, com)))[-1] == (
        "real COM (timed inside its client), scalar call: 300.0 us, 20.0x the kit's 32-bit "
        "surrogate")


def test_a_run_says_where_it_was_measured_and_what_hosted_each_surrogate() -> None:
    host = {"os": "windows", "cpu": "aarch64", "cpu_model": "Snapdragon",
            "surrogate_kind": {"surrogate_same_bitness": "native",
                               "surrogate_cross_bitness": "emulated"}}
    assert Run(host, ()).where() == ("windows on aarch64 (Snapdragon); 64-bit surrogate native, "
                                     "32-bit surrogate emulated")
    # A run saved without the field (the shipped reference) says so instead of printing nothing.
    assert Run({}, ()).where() == "? on ? (?); surrogate hosts not recorded"
    com = {"timed_inside": {"real_com": {"where": "64-bit client -> 32-bit dllhost.exe"}}}
    assert Run(host | com, ()).where().endswith(
        "32-bit surrogate emulated; real_com 64-bit client -> 32-bit dllhost.exe")
    assert load(REFERENCE).where().endswith("surrogate hosts not recorded")
