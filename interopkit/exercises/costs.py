"""Exercises of notebook 07 (marshaling costs); the checkers time the calls themselves, on the
machine the learner is using, so the expected answer is never a number written down."""

from __future__ import annotations

from typing import Any

from ..bench import run
from . import Exercise

__all__ = ["CALLS", "q1_chatty_ms", "q2_batched_speedup"]

CALLS = 10_000
"""How many scalar calls the chatty interface makes."""


def _scalar_us() -> tuple[float, float]:
    """The cross-bitness scalar call and the in-process one, measured now (microseconds)."""
    measured = run(["surrogate_cross_bitness", "native_inproc"], quick=True, payloads=(0,))
    cross, native = (measured.record(n, 0) for n in ("surrogate_cross_bitness",
                                                     "native_inproc"))
    assert cross is not None and native is not None
    return cross.median_us, native.median_us


def _number(answer: Any) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or answer <= 0:
        return None
    return float(answer)


def _check_chatty(answer: Any) -> tuple[bool, str]:
    value = _number(answer)
    if value is None:
        return False, "Give a positive number of milliseconds."
    cross, native = _scalar_us()
    expected = CALLS * cross / 1000
    if expected / 2 <= value <= expected * 2:
        return True, (f"About {expected:,.0f} ms here ({CALLS:,} x {cross:.1f} us). In process "
                      f"the same calls take {CALLS * native / 1000:,.1f} ms.")
    if abs(value - CALLS * native / 1000) < abs(value - expected):
        return False, "That is the in-process cost. These calls cross to the 32-bit surrogate."
    return False, ("Not within a factor of 2 of what this machine measures now. Per call, "
                   "take the cross-bitness scalar median of your run, then multiply.")


def _check_batched(answer: Any) -> tuple[bool, str]:
    value = _number(answer)
    if value is None:
        return False, "Give how many times faster, as a number (such as 12.5)."
    scalar, one = run(["surrogate_cross_bitness"], quick=True,
                      payloads=(0, 4 * CALLS)).results
    cross = scalar.median_us
    expected = CALLS * cross / one.median_us
    if expected / 2 <= value <= expected * 2:
        return True, (f"About {expected:,.0f}x here: {CALLS:,} trips of {cross:.1f} us against "
                      f"one call of {one.median_us:,.0f} us. Batch small calls.")
    if value < 3:
        return False, "Batching saves every trip but one. Is it really only a few times faster?"
    return False, ("Not within a factor of 2 of what this machine measures now: compare "
                   f"{CALLS:,} scalar calls with one call of {4 * CALLS:,} bytes.")


q1_chatty_ms = Exercise(
    name="q1_chatty_ms",
    question=f"An interface makes {CALLS:,} scalar calls through the 32-bit surrogate. How many "
             "milliseconds does that take on this machine?",
    checker=_check_chatty,
    hint_text="One call's median is in the table (surrogate_cross_bitness, scalar). Multiply.",
    solution_code=("from interopkit.bench import run\n"
                   "from interopkit.exercises.costs import CALLS\n"
                   "one = run(['surrogate_cross_bitness'], quick=True, payloads=(0,)).results[0]\n"
                   "answer = CALLS * one.median_us / 1000\n"),
    explanation="Per-call cost times the number of calls: the fixed cost of each trip dominates.",
)

q2_batched_speedup = Exercise(
    name="q2_batched_speedup",
    question=f"Redesign it: the same {CALLS:,} LONG values ({4 * CALLS:,} bytes) go in one call. "
             "Measure that call. How many times faster is it than the chatty version?",
    checker=_check_batched,
    hint_text="bench.run(['surrogate_cross_bitness'], payloads=(0, 40_000)) measures both.",
    solution_code=("from interopkit.bench import run\n"
                   "from interopkit.exercises.costs import CALLS\n"
                   "both = run(['surrogate_cross_bitness'], quick=True, payloads=(0, 4 * CALLS))\n"
                   "scalar, batched = (r.median_us for r in both.results)\n"
                   "answer = CALLS * scalar / batched\n"),
    explanation="One trip instead of ten thousand; the bytes cost far less than the trips.",
)
