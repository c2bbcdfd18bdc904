"""Measured time: the median wall time of an action after one warm-up run.

The one timing primitive of the kit (the emulation experiments and the benchmark scripts use
it): a warm-up first, so that loading and translation are not counted, then the median of the
repeats, which resists the machine's noise better than the mean.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["median_seconds"]


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` runs of ``action`` after one warm-up run."""
    action()
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
