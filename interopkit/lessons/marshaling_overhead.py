"""Notebook 07 (marshaling overhead): its tables, diagrams, explorers and checked exercises.

Exercises of notebook 07 (marshaling costs); the checkers time the calls themselves, on the
machine the learner is using, so the expected answer is never a number written down.

The lesson opens with predictions: ``lock(guesses)`` freezes them, with the time, before the
benchmark runs, and ``compare_guesses(locked, run)`` sets them against the measured ratios,
saying so when the guesses were locked in after the run they are compared with."""

from __future__ import annotations

import datetime
import html
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interopkit.bench.harness import Run, latest, run
from interopkit.errors import UsageError
from interopkit.lessons.exercise import NOT_ATTEMPTED, Exercise, Note
from interopkit.lessons.misconceptions import Choice, choice_quiz

__all__ = [
    "CALLS",
    "GUESSED",
    "Prediction",
    "bench_progress",
    "bench_table_html",
    "compare_guesses",
    "cost_explorer",
    "lock",
    "m14_msl_loadlib",
    "q1_chatty_ms",
    "q2_batched_speedup",
]


CALLS = 10_000
"""How many scalar calls the chatty interface makes."""


GUESSED = ("surrogate_same_bitness", "surrogate_cross_bitness", "emulated")
"""What the learner predicts: each one's scalar call, in times the in-process call."""


@dataclass(frozen=True)
class Prediction:
    """Guesses frozen before the measurement they predict."""

    guesses: tuple[tuple[str, float], ...]
    """(experiment, how many times the in-process call) for each guess made."""
    locked_at: float
    """When they were locked in (seconds since the epoch)."""

    def __str__(self) -> str:
        if not self.guesses:
            return ("No guesses locked in yet. Replace each ... with a number (how many times "
                    "the in-process call) and run this cell again, before section 2 measures.")
        when = datetime.datetime.fromtimestamp(self.locked_at).strftime("%H:%M:%S")
        made = ", ".join(f"{name} {guess:g}x" for name, guess in self.guesses)
        left = [name for name in GUESSED if name not in dict(self.guesses)]
        return f"Locked in at {when}: {made}" + (f" (no guess for {', '.join(left)})"
                                                  if left else "") + "."

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(str(self))}</b></p>"


def lock(guesses: Mapping[str, Any]) -> Prediction:
    """Freeze ``guesses`` (experiment -> times the in-process call; ``...`` for none yet)."""
    unknown = sorted(set(guesses) - set(GUESSED))
    if unknown:
        raise UsageError(", ".join(unknown), "is not one of the predicted experiments",
                         f"Guess for {', '.join(GUESSED)}")
    made = []
    for name in GUESSED:
        value = guesses.get(name, NOT_ATTEMPTED)
        if value is NOT_ATTEMPTED or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise UsageError(f"{name}: {value!r}", "is not a positive number",
                             "Write how many times slower than the in-process call, as a "
                             "number such as 10 (no 'x', no quotes)")
        made.append((name, float(value)))
    return Prediction(tuple(made), time.time())


def compare_guesses(locked: Prediction, measured: Run) -> Note:
    """Each guess against the ratio ``measured`` gives for the scalar call; says so when the
    guesses were locked in after that run started."""
    base = measured.record("native_inproc", 0)
    if base is None:
        return Note("This run has no in-process call to compare with: "
                    + measured.host.get("skipped", {}).get("native_inproc", "not measured"))
    guesses = dict(locked.guesses)
    lines = []
    for name in GUESSED:
        record = measured.record(name, 0)
        got = (f"measured {record.median_us / base.median_us:,.1f}x" if record
               else "not measured here")
        said = f"you guessed {guesses[name]:g}x" if name in guesses else "no guess"
        lines.append(f"{name}: {said}, {got}")
    started = measured.host.get("started")
    if locked.guesses and started is not None and locked.locked_at > float(started):
        lines.append("These guesses were locked in after this run started, so they are not "
                     "predictions of it: run section 2 again to test them.")
    return Note("\n".join(lines))


def _measured(points: list[tuple[str, int]]) -> list[float]:
    """Median microseconds of each (experiment, payload): the latest this kernel measured, which
    is what the learner's answer was read from (a fresh measurement on a busy machine can differ
    by more than the checkers' factor of 2), else measured now."""
    missing = [p for p in points if latest(*p) is None]
    if missing:
        run(sorted({name for name, _ in missing}), quick=True,
            payloads=tuple(sorted({size for _, size in missing})))
    found = [latest(*p) for p in points]
    assert all(found), points
    return [record.median_us for record in found if record is not None]


def _scalar_us() -> tuple[float, float]:
    """The cross-bitness scalar call and the in-process one (microseconds)."""
    cross, native = _measured([("surrogate_cross_bitness", 0), ("native_inproc", 0)])
    return cross, native


def _number(answer: Any) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or answer <= 0:
        return None
    return float(answer)


def _check_chatty(answer: Any) -> tuple[bool, str]:
    value = _number(answer)
    if value is None:
        return False, "Give a positive number of milliseconds."
    return _judge_chatty(value, *_scalar_us())


def _within(value: float, expected: float) -> bool:
    return expected / 2 <= value <= expected * 2


def _judge_chatty(value: float, cross_us: float, native_us: float) -> tuple[bool, str]:
    """``value`` ms against the cross-bitness and in-process scalar calls the learner measured: each
    wrong answer is named for the mistake it is within a factor of 2 of, and only then."""
    expected, inproc = CALLS * cross_us / 1000, CALLS * native_us / 1000
    if _within(value, expected):
        return True, (f"About {expected:,.0f} ms here ({CALLS:,} x {cross_us:.1f} us). In "
                      f"process the same calls take {inproc:,.1f} ms.")
    if _within(value, inproc):
        return False, "That is the in-process cost. These calls cross to the 32-bit surrogate."
    if _within(value, expected * 1000):
        return False, "That looks like microseconds. The question asks for milliseconds."
    if _within(value, expected / 1000):
        return False, "That looks like seconds. The question asks for milliseconds."
    side = "low" if value < expected else "high"
    return False, (f"Too {side}: more than a factor of 2 from your latest measurement. "
                   "Per call, take the surrogate_cross_bitness scalar median of your run, "
                   f"then multiply by the {CALLS:,} calls.")


def _check_batched(answer: Any) -> tuple[bool, str]:
    value = _number(answer)
    if value is None:
        return False, "Give how many times faster, as a number (such as 12.5)."
    cross, one = _measured([("surrogate_cross_bitness", 0),
                            ("surrogate_cross_bitness", 4 * CALLS)])
    expected = CALLS * cross / one
    if expected / 2 <= value <= expected * 2:
        return True, (f"About {expected:,.0f}x here: {CALLS:,} trips of {cross:.1f} us against "
                      f"one call of {one:,.0f} us. Batch small calls.")
    if value < 3:
        return False, "Batching saves every trip but one. Is it really only a few times faster?"
    return False, ("Not within a factor of 2 of your latest measurement: compare "
                   f"{CALLS:,} scalar calls with one call of {4 * CALLS:,} bytes.")


q1_chatty_ms = Exercise(
    name="q1_chatty_ms",
    question=f"An interface makes {CALLS:,} scalar calls through the 32-bit surrogate. How many "
             "milliseconds does that take on this machine?",
    checker=_check_chatty,
    hint_text="One call's median is in the table (surrogate_cross_bitness, scalar). Multiply.",
    solution_code=("from interopkit.bench.harness import run\n"
                   "from interopkit.lessons.marshaling_overhead import CALLS\n"
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
    solution_code=("from interopkit.bench.harness import run\n"
                   "from interopkit.lessons.marshaling_overhead import CALLS\n"
                   "both = run(['surrogate_cross_bitness'], quick=True, payloads=(0, 4 * CALLS))\n"
                   "scalar, batched = (r.median_us for r in both.results)\n"
                   "answer = CALLS * scalar / batched\n"),
    explanation="One trip instead of ten thousand; the bytes cost far less than the trips.",
)


def bench_table_html(run: Any) -> str:
    """A benchmark run as a table: experiments down, payloads across, median microseconds
    (interquartile range underneath), and the runs skipped here with the reason."""
    from interopkit.bench.harness import PAYLOADS

    names = list(dict.fromkeys(r.experiment for r in run.results))
    head = "".join(f"<th>{'scalar' if size == 0 else f'{size:,} B'}</th>" for size in PAYLOADS)
    rows = []
    for name in names:
        cells = []
        for size in PAYLOADS:
            record = run.record(name, size)
            cells.append("<td></td>" if record is None else
                         f"<td>{record.median_us:,.1f}<br><small>{record.p25_us:,.1f}-"
                         f"{record.p75_us:,.1f}</small></td>")
        rows.append(f"<tr><th style='text-align:left'>{html.escape(name)}</th>{''.join(cells)}"
                    "</tr>")
    skipped = "".join(f"<p><small>skipped {html.escape(name)}: {html.escape(why)}</small></p>"
                      for name, why in run.host.get("skipped", {}).items())
    return (f"<table><tr><th>microseconds per call</th>{head}</tr>{''.join(rows)}</table>"
            f"{skipped}")


def bench_progress() -> tuple[Any, Any]:
    """A progress bar and the ``progress`` callback for ``interopkit.bench.harness.run``."""
    import ipywidgets as widgets

    bar = widgets.IntProgress(value=0, min=0, max=1, description="measuring",
                              layout=widgets.Layout(width="60%"))
    label = widgets.Label()

    def progress(done: int, total: int, text: str) -> None:
        bar.max, bar.value, label.value = max(total, 1), done, text

    return widgets.HBox([bar, label]), progress


def cost_explorer() -> Any:
    """Pick an experiment and a payload; the call is timed on this machine (quick settings)
    and compared with the in-process call at the same payload."""
    import ipywidgets as widgets

    from interopkit.bench.experiments import EXPERIMENTS, available
    from interopkit.bench.harness import PAYLOADS, run

    names = [name for name in EXPERIMENTS if available(name) is None]
    experiment = widgets.Dropdown(options=names, value="surrogate_cross_bitness",
                                  description="experiment")
    payload = widgets.Dropdown(options=[("scalar add(2, 3)", 0)] + [
        (f"checksum of {size:,} bytes", size) for size in PAYLOADS[1:]], value=0,
        description="payload")
    output = widgets.HTML()

    def update(_change: object = None) -> None:
        chosen = [experiment.value] + (["native_inproc"] if experiment.value != "native_inproc"
                                       and "native_inproc" in names else [])
        measured = run(chosen, quick=True, payloads=(payload.value,))
        record = measured.record(experiment.value, payload.value)
        base = measured.record("native_inproc", payload.value)
        if record is None:  # real COM can fail under Wine at any run: say why, like a skip
            why = measured.host.get("skipped", {}).get(experiment.value, "no result")
            output.value = (f"<p><b>{html.escape(experiment.value)}</b> did not run: "
                            f"{html.escape(why)}</p>")
            return
        ratio = f", {record.median_us / base.median_us:,.1f}x the in-process call" if base \
            and base is not record else ""
        inside = measured.host.get("timed_inside", {}).get(experiment.value)
        how = "" if inside is None else (
            f" Timed inside its COM client; activation, timed once and left out: "
            f"{float(inside.get('create_ms') or 0):,.0f} ms.")
        output.value = (f"<p><b>{html.escape(experiment.value)}</b>: median "
                        f"<b>{record.median_us:,.2f} us</b> per call (25-75%: "
                        f"{record.p25_us:,.2f}-{record.p75_us:,.2f} us, {record.n} batches)"
                        f"{ratio}.{html.escape(how)}</p>")

    for control in (experiment, payload):
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([experiment, payload]), output])


# --- Check your understanding: the guide's misconception on msl-loadlib -----------------------

m14_msl_loadlib = choice_quiz(
    "msl_loadlib",
    "How does msl-loadlib carry a call from its 64-bit client (`Client64`) to its 32-bit server "
    "(`Server32`)?",
    [Choice("Through shared memory that both processes map", "shared memory"),
     Choice("Through a COM surrogate, `dllhost.exe`", "com",
            "COM takes no part: msl-loadlib starts a 32-bit server process of its own."),
     Choice("Through a pipe, like the kit's surrogate", "pipe",
            "The kit's surrogate uses pipes; msl-loadlib does not (MSL-40)."),
     Choice("Over HTTP on localhost, with each call's data pickled in a temporary file", "http")],
    believed=0, model=lambda: "http",
    right="HTTP on localhost and a pickled temporary file per call (MSL-40): every argument and "
          "result must pickle. Where it ran, its row in this notebook's results shows what that "
          "costs per call.",
    hint="Section 5 says how its calls travel.",
    solution_code="# msl-loadlib pickles each call into a temporary file and sends an HTTP request "
                  "(MSL-40).\nanswer = 'd'\n",
    explanation="Shared memory is one of the ways to cross bitness, but not msl-loadlib's: it "
                "uses HTTP and a temporary file (MSL-40).",
)
