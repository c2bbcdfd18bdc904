"""interopkit.lessons.marshaling_overhead: its tables, diagrams, explorers and exercises."""

import pytest

from interopkit.lessons.exercise import State


def test_bench_table_shows_medians_quartiles_and_skips() -> None:
    from interopkit.bench.harness import Record, Run
    from interopkit.lessons.marshaling_overhead import bench_table_html

    measured = Run({"skipped": {"msl_loadlib": "not <installed>"}},
                   (Record("native_inproc", 0, 0.5, 0.4, 0.6, 15, 0.45, 0.55),))
    page = bench_table_html(measured)
    assert "<th style='text-align:left'>native_inproc</th><td>0.5<br><small>0.4-0.6" in page
    assert "skipped msl_loadlib: not &lt;installed&gt;" in page


def test_cost_explorer_times_what_is_chosen_and_progress_follows() -> None:
    from interopkit.lessons.marshaling_overhead import bench_progress, cost_explorer

    box = cost_explorer()
    (experiment, payload), output = box.children[0].children, box.children[1]
    assert "surrogate_cross_bitness" in output.value and "the in-process call" in output.value
    payload.value = 4096
    experiment.value = "marshal_inproc"
    assert "<b>marshal_inproc</b>" in output.value
    if "real_com" in experiment.options:  # timed inside its client, activation apart
        experiment.value = "real_com"
        assert "<b>real_com</b>: median" in output.value, output.value
        assert "Timed inside its COM client; activation, timed once and left out: " in \
            output.value
    bar, progress = bench_progress()
    progress(3, 42, "emulated, 16 bytes")
    assert (bar.children[0].value, bar.children[0].max) == (3, 42)
    assert bar.children[1].value == "emulated, 16 bytes"


def test_cost_explorer_says_why_a_chosen_experiment_did_not_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from interopkit.bench import experiments
    from interopkit.errors import HostError
    from interopkit.lessons.marshaling_overhead import cost_explorer

    def broken(payloads, repeats, cap):
        raise HostError("real COM", "CoCreateInstance failed with E_NOINTERFACE", "Try again")

    monkeypatch.setitem(experiments.EXPERIMENTS, "real_com", experiments.Experiment(
        "real_com", "elsewhere", None, broken))
    monkeypatch.setattr(experiments, "available", lambda name: None)
    box = cost_explorer()
    (experiment, _payload), output = box.children[0].children, box.children[1]
    experiment.value = "real_com"
    assert output.value == ("<p><b>real_com</b> did not run: did not run here (real COM: "
                            "CoCreateInstance failed with E_NOINTERFACE. Try again)</p>")


def test_the_cost_checkers_judge_against_the_learners_latest_measurement(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh measurement on a busy machine can differ from the learner's run by more than the
    factor of 2 allowed: the checkers read the figures the learner's answer came from."""
    from interopkit.bench import harness
    from interopkit.lessons import marshaling_overhead as lesson

    points = {("surrogate_cross_bitness", 0): 30.0, ("native_inproc", 0): 0.4,
              ("surrogate_cross_bitness", 4 * lesson.CALLS): 150.0}
    monkeypatch.setattr(harness, "_LATEST", {
        key: harness.Record(key[0], key[1], median, median, median, 15, median, median)
        for key, median in points.items()})

    def no_new_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("measured again instead of reading the learner's run")

    monkeypatch.setattr(lesson, "run", no_new_run)
    assert lesson.q1_chatty_ms.check(300).state is State.RIGHT  # 10,000 x 30 us
    assert lesson.q2_batched_speedup.check(2000).state is State.RIGHT  # 300 ms / 150 us
    assert "latest measurement" in lesson.q1_chatty_ms.check(2000).message
