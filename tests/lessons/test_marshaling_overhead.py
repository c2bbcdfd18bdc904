"""interopkit.lessons.marshaling_overhead: its tables, diagrams, explorers and exercises."""



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
    bar, progress = bench_progress()
    progress(3, 42, "emulated, 16 bytes")
    assert (bar.children[0].value, bar.children[0].max) == (3, 42)
    assert bar.children[1].value == "emulated, 16 bytes"
