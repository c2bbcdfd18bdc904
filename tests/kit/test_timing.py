import time

from interopkit.kit.timing import median_seconds


def test_warm_up_is_not_counted_and_the_median_is_taken() -> None:
    calls = []

    def action() -> None:
        calls.append(None)
        time.sleep(0.05 if len(calls) == 1 else 0.001)  # a slow first run, then fast ones

    assert median_seconds(action, 5) < 0.02
    assert len(calls) == 6  # one warm-up and five timed runs
