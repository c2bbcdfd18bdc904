"""Real COM as a benchmark experiment: the kit's COM server in dllhost, timed inside the client.

``real_com`` makes the harness's call (``add(2, 3)`` for 0 bytes, ``checksum`` over an [in]
buffer of the payload's size otherwise) through real COM: the 64-bit client
(``comclient_x64.exe``) activates the kit's 32-bit COM server in dllhost with
CLSCTX_LOCAL_SERVER, as ``interopkit.com.real`` does, and calls ISample's ``Add`` and
``Checksum`` (an ``[in, size_is(len)]`` buffer) through the proxy/stub widl made from
``isample.idl``. On Linux all of it runs under Wine, a real implementation of COM that is not
Windows; on Windows it runs against Windows' own COM (written, untested here).

The client is a Windows program, so the calls are timed inside it, not from Python: one client
run covers every payload, each call timed alone with QueryPerformanceCounter, following the
harness's plan (a first call and a short warm-up, then up to ``repeats`` calls, stopping once 5
are timed and the cap is spent). ``CoCreateInstance`` is timed once in that run and reported
apart (``about["create_ms"]``), never in the per-call figures. What the figures include, against
the other experiments: the proxy's marshaling (NDR), the trip to dllhost and back, the stub, the
work and the reply. What they leave out: any Python (the other experiments are timed from Python,
and the kit's surrogate client encodes its frames in Python), and the activation.

Every answer is checked: ``Add`` must give 5 and ``Checksum`` the FNV-1a of the payload the
harness sends (the client fills its buffer the same way), or the run fails with the kit's error.

Where Wine is absent, ``shown`` gives the kit's recorded run (``RECORDED``, a full run with its
provenance: Wine's version, the date, the command, the host) labelled as recorded. Regenerate
it with ``python -m interopkit.bench.realcom data/bench/real_com.json``. Taught in notebook 07.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interopkit.bench.experiments import Timed
from interopkit.bench.harness import Run, compare, load, make_payload, run
from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.kit.samples import data_dir, probe_path
from interopkit.kit.winprobe import wine_name

__all__ = ["CLIENT_BITS", "COMMAND", "NAME", "RECORDED", "SERVER_BITS", "SHOWN", "Shown",
           "available", "checksum", "describe", "lines", "measure", "record", "shown"]

NAME = "real_com"
"""The experiment's name in results."""
CLIENT_BITS, SERVER_BITS = 64, 32
"""The crossing measured: a 64-bit client (like this Python) and the 32-bit server."""
SHOWN = ("native_inproc", "surrogate_cross_bitness", "msl_loadlib", NAME)
"""What notebook 07 sets real COM beside, all from one run."""
RECORDED = data_dir() / "bench" / "real_com.json"
"""The kit's recorded run of ``SHOWN``, with its provenance in ``host["recorded"]``."""
COMMAND = "python -m interopkit.bench.realcom data/bench/real_com.json"
"""The command that makes ``RECORDED``."""

_MAX_PAYLOADS, _MAX_BYTES = 16, 64 << 20  # the client's own limits (client.c)


def available() -> str | None:
    """Why real COM cannot be timed here, or None when it can: it needs the kit's COM binaries
    and, on Linux, Wine of both bitnesses."""
    try:
        for arch in ("x86", "x64"):
            for name in (f"comclient_{arch}.exe", f"comserver_{arch}.dll",
                         f"isampleps_{arch}.dll"):
                probe_path(name)
    except HostError as exc:
        return str(exc)
    if sys.platform == "win32":
        return None
    absent = [bits for bits in (CLIENT_BITS, SERVER_BITS) if wine.find_wine(bits) is None]
    if absent:
        what = "Wine" if len(absent) == 2 else f"{absent[0]}-bit Wine"
        return (f"real COM runs under Wine here, and {what} is not installed "
                f"({wine.SETUP_COMMAND} installs it)")
    return None


@functools.cache
def checksum(size: int) -> int:
    """FNV-1a (the sample library's ``checksum``) of the harness's payload of ``size`` bytes."""
    value = 2166136261
    for byte in make_payload(size):
        value = ((value ^ byte) * 16777619) & 0xFFFF_FFFF
    return value


def measure(payloads: Sequence[int], repeats: int, cap_seconds: float) -> Timed:
    """Time real COM at every payload in one client run (``Experiment.inside``): per-call
    seconds per payload, and how and where they were timed. HostError naming the HRESULT when
    activation or a call fails, or when an answer is wrong."""
    from interopkit.com.real import hresult_name, timed_run

    sizes = list(dict.fromkeys(payloads))
    if not sizes or len(sizes) > _MAX_PAYLOADS or not all(0 <= s <= _MAX_BYTES for s in sizes):
        raise UsageError(f"real COM payloads {sizes}", f"are not 1 to {_MAX_PAYLOADS} sizes of "
                         f"0 to {_MAX_BYTES:,} bytes", "Give fewer or smaller payloads")
    args = ["--calls", str(repeats), "--cap-ms", f"{cap_seconds * 1000:g}"]
    for size in sizes:
        args += ["--payload", str(size)]
    # Activation (1-2 s under Wine), then per payload the cap plus a first call and a warm-up.
    done, report = timed_run(CLIENT_BITS, SERVER_BITS, args,
                             timeout=90 + len(sizes) * (cap_seconds + 30))
    subject = f"real COM ({CLIENT_BITS}-bit client, {SERVER_BITS}-bit server, {done.platform})"
    if not done.created:
        raise HostError(subject, f"CoCreateInstance failed with {hresult_name(done.create_hr)}",
                        f"Run interopkit com demo --client {CLIENT_BITS} --server {SERVER_BITS} "
                        "--json to see the activation alone, and interopkit doctor")
    if done.hr:
        raise HostError(subject, f"a call failed with {hresult_name(done.hr)}",
                        "Run interopkit doctor; a busy machine may need a second try")
    got = {int(point["bytes"]): point for point in report.get("payloads", [])}
    samples = {}
    for size in sizes:
        point = got.get(size)
        expected = 5 if size == 0 else checksum(size)
        if point is None or not point.get("call_us"):
            raise HostError(subject, f"timed no call at {size} bytes", "Run it again")
        if int(point["result"]) != expected or int(point.get("wrong", 0)):
            raise HostError(subject, f"answered {int(point['result']):#x} at {size} bytes "
                            f"({point.get('wrong', 0)} calls differing), expected {expected:#x}",
                            "Rebuild the kit's COM binaries: python -m interopkit.build")
        samples[size] = tuple(float(us) / 1e6 for us in point["call_us"])
    surrogate = done.surrogate
    about = {"timer": f"QueryPerformanceCounter inside the {CLIENT_BITS}-bit COM client, each "
                      "call alone",
             "platform": done.platform, "client_bits": CLIENT_BITS,
             "server_bits": surrogate.bits if surrogate else None, "ptr_size": done.ptr_size,
             "surrogate": surrogate.image if surrogate else None,
             "create_ms": round(done.create_ms, 1),
             "warmup": {str(size): int(got[size].get("warmup", 0)) for size in sizes},
             "where": (f"{CLIENT_BITS}-bit client -> {surrogate.bits if surrogate else '?'}-bit "
                       f"{surrogate.image if surrogate else 'surrogate'}, {done.platform}")}
    return Timed({size: samples[size] for size in payloads}, about)


def describe(about: dict[str, Any]) -> str:
    """How real COM was timed, in a sentence, from a run's ``host["timed_inside"]["real_com"]``."""
    wine_note = " (Wine is not Windows)" if "Wine" in str(about.get("platform")) else ""
    return (f"timed with {about.get('timer', '?')}, {about.get('platform', '?')}{wine_note}; "
            f"the server in {about.get('surrogate') or '?'} ({about.get('server_bits')}-bit, "
            f"pointer size {about.get('ptr_size')} measured inside it); activation "
            f"(CoCreateInstance) {float(about.get('create_ms') or 0):,.0f} ms, timed once and "
            "left out of the per-call figures")


@dataclass(frozen=True)
class Shown:
    """Real COM and what it is set beside, all from one run: this one, or the recording."""

    run: Run
    """The points of ``SHOWN`` (with the run's host, its skips narrowed to them)."""
    live: bool
    """True when measured in the run given, here and now."""
    label: str
    """``live: ...`` or ``recorded on <date> with <Wine> (<host>) by <command>: <why>``, with
    how real COM was timed."""

    @property
    def title(self) -> str:
        """A chart title saying which run it is."""
        return ("Real COM beside the kit's surrogate and msl-loadlib: "
                + ("this run" if self.live else
                   f"RECORDED run of {self.run.host.get('date', '?')[:10]}"))


def shown(measured: Run, path: str | Path = RECORDED) -> Shown:
    """``measured`` when it timed real COM, else the recording at ``path``, labelled as
    recorded with the reason this run has none."""
    live = any(r.experiment == NAME for r in measured.results)
    source = measured if live else load(path)
    about = source.host.get("timed_inside", {}).get(NAME, {})
    if live:
        label = "live: measured in this run; real COM " + describe(about)
    else:
        why = measured.host.get("skipped", {}).get(NAME, "real COM was not in this run")
        made = source.host.get("recorded", {})
        label = (f"RECORDED on {source.host.get('date', '?')} with "
                 f"{made.get('wine') or 'Windows'} ({source.host.get('os', '?')}, "
                 f"{source.host.get('cpu_model') or source.host.get('cpu', '?')}) by "
                 f"`{made.get('command', COMMAND)}`, because {why}; real COM "
                 + describe(about))
    host = dict(source.host)
    host["skipped"] = {k: v for k, v in host.get("skipped", {}).items() if k in SHOWN}
    points = tuple(r for r in source.results if r.experiment in SHOWN)
    return Shown(Run(host, points), live, label)


def lines(view: Shown) -> list[str]:
    """Real COM against the kit's 32-bit surrogate at each payload, and against msl-loadlib's
    scalar call, with their intervals; each ratio from the run's own numbers."""
    out = []
    measured = view.run
    for size in sorted({r.payload_bytes for r in measured.results if r.experiment == NAME}):
        if measured.record("surrogate_cross_bitness", size):
            out.append(str(compare(measured, NAME, "surrogate_cross_bitness", size)))
    if measured.record("msl_loadlib", 0) and measured.record(NAME, 0):
        out.append(str(compare(measured, "msl_loadlib", NAME, 0)))
    per_byte = _per_byte(measured)
    if per_byte:
        out.append(per_byte)
    about = measured.host.get("timed_inside", {}).get(NAME, {})
    scalar = measured.record(NAME, 0)
    if about.get("create_ms") and scalar:
        create = float(about["create_ms"])
        # Wine's CoCreateInstance sleeps a whole second after starting the server before it
        # asks for the object again (WINE-COMBASE): its ~1 s is that wait, not a process start.
        wine_wait = ("; under Wine that is mostly Wine's fixed one-second wait after starting "
                     "the surrogate (WINE-COMBASE), not Windows' activation cost"
                     if str(about.get("platform", "")).startswith("Wine") else "")
        out.append(f"activation (CoCreateInstance, once): {create:,.0f} ms, the time of "
                   f"{create * 1000 / scalar.median_us:,.0f} scalar calls{wine_wait}")
    return out


_WORK = "native_inproc"
_KIT = "surrogate_cross_bitness"


def _per_byte(measured: Run) -> str | None:
    """What one more byte costs between the run's two largest payloads: real COM, the kit's
    32-bit surrogate and the checksum itself (the work both do), from the run's medians."""
    sizes = sorted(size for size in {r.payload_bytes for r in measured.results}
                   if size and all(measured.record(name, size) for name in (NAME, _KIT, _WORK)))
    if len(sizes) < 2:
        return None
    low, high = sizes[-2:]

    def ns(name: str) -> float:
        return ((measured.record(name, high).median_us - measured.record(name, low).median_us)
                * 1000 / (high - low))

    com, kit, work = ns(NAME), ns(_KIT), ns(_WORK)
    text = (f"per byte, from {low:,} to {high:,} bytes: real_com {com:.1f} ns, "
            f"{_KIT} {kit:.1f} ns, the checksum itself ({_WORK}) {work:.1f} ns")
    if kit > work and com > work:
        text += (f"; beyond the work, real COM spends {(com - work) / (kit - work):,.0f} times "
                 "as long on each byte as the kit's surrogate")
    return text


def record(path: str | Path = RECORDED) -> Path:
    """Run ``SHOWN`` in full mode and save it with its provenance; HostError when real COM did
    not run."""
    measured = run(SHOWN, quick=False)
    if not any(r.experiment == NAME for r in measured.results):
        raise HostError("real COM", f"did not run: {measured.host['skipped'].get(NAME)}",
                        "Record where Wine of both bitnesses runs")
    host = dict(measured.host) | {"recorded": {
        "command": COMMAND, "wine": None if sys.platform == "win32" else wine_name()}}
    return Run(host, measured.results).save(path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {COMMAND}")
    print(record(sys.argv[1]))
