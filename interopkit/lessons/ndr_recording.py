"""The real NDR bytes as a recorded run: ``data/wine/com_ndr.json``, for machines without Wine.

``record(folder)`` runs ``interopkit.com.capture.sweep`` and saves it with its provenance (Wine
version, UTC date, command, host, kit version) the way ``interopkit.lessons.recorded`` saves the
other Wine recordings; ``load_sweep`` reads it back into the same dataclasses; ``real_sweep``
gives the live sweep where Wine of both bitnesses runs, else the recorded one, with a label
saying which. Taught in notebook 06. Regenerate with
``python -m interopkit.lessons.ndr_recording data/wine/``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interopkit.com.capture import (
    BUILDS,
    KNOWN_DIFFERENCES,
    VALUES,
    Capture,
    Comparison,
    Replay,
    ReplayComparison,
    StubBuild,
    Sweep,
    sweep,
)
from interopkit.errors import HostError, UsageError
from interopkit.kit import wine
from interopkit.lessons import recorded

__all__ = ["COMMAND", "NAME", "RealSweep", "load_sweep", "real_sweep", "record", "to_dict"]

NAME = "com_ndr"
"""The recording's name: ``data/wine/com_ndr.json``."""
COMMAND = "python -m interopkit.lessons.ndr_recording data/wine/"
"""The command that makes it."""


def _hex(value: int | None) -> str | None:
    return None if value is None else f"0x{value:x}"


def _int(text: str | None) -> int | None:
    return None if text is None else int(text, 16)


def _capture_dict(c: Comparison) -> dict[str, Any]:
    cap = c.capture
    return {"type": cap.type, "value": _hex(cap.value), "dll": cap.build.dll,
            "bits": cap.build.bits, "win64": cap.build.win64, "request_hex": cap.request_hex,
            "imethod": cap.imethod, "drep": cap.drep, "server_saw": _hex(cap.server_saw),
            "call_hr": cap.call_hr, "seconds": round(cap.seconds, 4), "platform": cap.platform,
            "model_hex": c.model_hex, "model_received": _hex(c.model_received),
            "bytes_agree": c.bytes_agree, "received_agree": c.received_agree,
            "agree": c.agree, "difference": c.difference}


def _replay_dict(r: ReplayComparison) -> dict[str, Any]:
    got = r.replay
    return {"type": got.type, "value": _hex(r.sent.value), "from_dll": r.sent.build.dll,
            "to_dll": got.build.dll, "request_hex": got.request_hex,
            "invoke_hr": got.invoke_hr, "error": got.error, "server_saw": _hex(got.server_saw),
            "seconds": round(got.seconds, 4), "platform": got.platform,
            "model_received": _hex(r.model_received), "lossy": r.lossy, "agree": r.agree,
            "difference": r.difference}


def to_dict(result: Sweep) -> dict[str, Any]:
    """The sweep as JSON-ready dictionaries, with a summary and the known differences."""
    times = sorted(c.capture.seconds for c in result.comparisons)
    return {
        "summary": {"captures": len(result.comparisons), "agree": result.agreeing,
                    "known_differences": sum(c.difference is not None
                                             for c in result.comparisons),
                    "replays": len(result.replays),
                    "unexplained": len(result.unexplained), "seconds": round(result.seconds, 2),
                    "median_run_seconds": round(times[len(times) // 2], 4) if times else None},
        "values": [_hex(v) for v in sorted({c.capture.value for c in result.comparisons})],
        "captures": [_capture_dict(c) for c in result.comparisons],
        "replays": [_replay_dict(r) for r in result.replays],
        "differences": {k: {"case": d.case, "documented": d.documented, "wine": d.wine,
                            "documented_sources": list(d.documented_sources),
                            "wine_sources": list(d.wine_sources)}
                        for k, d in KNOWN_DIFFERENCES.items()},
    }


def _build(dll: str) -> StubBuild:
    return next(b for b in BUILDS if b.dll == dll)


def _from_dict(data: dict[str, Any]) -> Sweep:
    comparisons = []
    sent: dict[tuple[str, str, int], Capture] = {}
    for c in data["captures"]:
        cap = Capture(c["type"], int(c["value"], 16), _build(c["dll"]), c["request_hex"],
                      c["imethod"], c["drep"], _int(c["server_saw"]), c["call_hr"],
                      c["seconds"], c["platform"])
        sent[(cap.build.dll, cap.type, cap.value)] = cap
        comparisons.append(Comparison(cap, c["model_hex"], _int(c["model_received"]),
                                      c["difference"]))
    replays = []
    for r in data["replays"]:
        source = sent[(r["from_dll"], r["type"], int(r["value"], 16))]
        got = Replay(r["type"], r["request_hex"], _build(r["to_dll"]), r["invoke_hr"],
                     _int(r["server_saw"]), r["seconds"], r["platform"])
        replays.append(ReplayComparison(source, got, _int(r["model_received"]), r["lossy"],
                                        r["difference"]))
    return Sweep(tuple(comparisons), tuple(replays), data["summary"]["seconds"])


def record(folder: str | os.PathLike[str] = recorded.DATA_DIR) -> Path:
    """Run the whole sweep live and save it with its provenance to ``folder/com_ndr.json``."""
    return recorded.save(folder, NAME, to_dict(sweep()), command=COMMAND)


def load_sweep(folder: str | os.PathLike[str] = recorded.DATA_DIR) -> tuple[Sweep,
                                                                            recorded.Recording]:
    """The recorded sweep and its provenance; UsageError naming a missing or damaged file."""
    rec = recorded.load(NAME, folder)
    try:
        return _from_dict(rec.result), rec
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise UsageError(str(Path(folder) / f"{NAME}.json"), f"is not a recorded sweep ({exc})",
                         f"Regenerate it with {COMMAND} where Wine runs") from exc


@dataclass(frozen=True)
class RealSweep:
    """What a lesson shows: the sweep and where it comes from."""

    sweep: Sweep
    """The captures and replays."""
    label: str
    """``live: Wine 8.0 (...), 32-bit and 64-bit processes`` or ``recorded on ...``."""
    live: bool
    """True when it ran here and now."""


def real_sweep(values: tuple[int, ...] = VALUES,
               folder: str | os.PathLike[str] = recorded.DATA_DIR) -> RealSweep:
    """The live sweep over ``values`` when Wine of both bitnesses runs here (or on Windows),
    else the recorded one."""
    if sys.platform != "win32":
        absent = [b for b in (32, 64) if wine.find_wine(b) is None]
        if absent:
            found, rec = load_sweep(folder)
            what = " and ".join(f"{b}-bit" for b in absent)
            return RealSweep(found, recorded.recorded_label(
                rec, f"{what} Wine is not installed here ({wine.SETUP_COMMAND} installs it)"),
                False)
    try:
        live = sweep(values)
    except HostError as exc:  # Wine is there but did not run
        found, rec = load_sweep(folder)
        return RealSweep(found, recorded.recorded_label(rec, f"Wine did not run here: {exc}"),
                         False)
    where = live.comparisons[0].capture.platform.rsplit(",", 1)[0]
    return RealSweep(live, f"live: {where}, 32-bit and 64-bit processes", True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {COMMAND}")
    print(record(sys.argv[1]))
