"""Fuzzing the lint: mutated copies of the kit's IDL files (data/idl/*.idl) through ``lint_file``
and through the ``interopkit lint`` command.

Each mutated file must give findings, no findings, or one UsageError: never another exception,
never a hang, and the memory it takes stays bounded. The batch runs in a child process, so that
its memory is its own (an address-space cap turns a runaway allocation into a counted failure,
and its peak resident size is measured), and so that a hang inside C code, which no Python
signal can interrupt, still ends with the child's timeout. Full mode pushes 5,000 files through
the lint, quick mode (INTEROPKIT_QUICK=1) 300; INTEROPKIT_FUZZ_SEED picks another corpus.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from interopkit.com.lint import IDL_DIR
from interopkit.kit.quick import QUICK

COUNT = 300 if QUICK else 5_000
"""Mutated files through ``lint_file``."""
COMMAND_COUNT = 5 if QUICK else 25
"""Mutated files through the ``interopkit lint`` command (a Python start each)."""
SEED = int(os.environ.get("INTEROPKIT_FUZZ_SEED", "16"))
TIME_LIMIT = 20.0
"""Seconds one file may take: the slowest file under the size cap took about 5 s on a busy
2-core machine (a megabyte of one-character tokens)."""
MEMORY_CAP = 2 << 30
"""The child's address space: past it an allocation fails (a MemoryError, counted)."""
PEAK_LIMIT = 512 << 20
"""The child's peak resident size allowed, interpreter and kit included."""

_TOKENS = [b"/*", b"*/", b'"', b"{", b"}", b"[", b"]", b"(", b")", b";", b",", b"*", b"//",
           b"#", b"\\", b"\xef\xbb\xbf", b"\0", b"\r\n", b"\n", b"\t", b"\xff", b"\xc3",
           b"library L {", b"interface I : IUnknown {", b"typedef ", b"struct S {", b"enum {",
           b"coclass C {", b"[local]", b"[context_handle]", b"[in, size_is(cb)]", b"[out]",
           b"HANDLE_PTR hOwner", b"ULONG64 pData", b"DWORD_PTR lpX", b"unsigned __int3264",
           b"hyper", b"void", b"HRESULT F(", b"cpp_quote(\"", b"import \"", b"const ",
           b"midl_pragma ", b"\xe2\x80\xa8", b"0x7fffffff", b"\"\\\"", b"/* a\n", b"\"a"]


def mutants(count: int, seed: int) -> Iterator[bytes]:
    """``count`` mutated IDL files, the same ones for the same seed."""
    rng = random.Random(seed)
    seeds = [path.read_bytes() for path in sorted(IDL_DIR.glob("*.idl"))]
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            _mutate(rng, data, seeds)
        if rng.random() < 0.004:  # now and then, a file near or over the lint's size cap
            span = bytes(data[:rng.randint(1, max(1, len(data)))]) or b";"
            data = bytearray(span * (rng.randint(256 << 10, 1300 << 10) // len(span) + 1))
        yield bytes(data)


def _mutate(rng: random.Random, data: bytearray, seeds: list[bytes]) -> None:
    at = rng.randint(0, len(data))
    span = rng.choice((1, 2, 8, 64, 512))
    roll = rng.random()
    if roll < 0.2:
        if data:
            data[min(at, len(data) - 1)] = rng.randint(0, 255)
    elif roll < 0.35:
        del data[at:at + span]
    elif roll < 0.5:
        data[at:at] = data[at:at + span] * rng.randint(1, 20)
    elif roll < 0.75:
        data[at:at] = rng.choice(_TOKENS)
    elif roll < 0.8:  # a storm of one token (unclosed comments once made the lint quadratic)
        data[at:at] = rng.choice(_TOKENS) * rng.choice((rng.randint(2, 100),
                                                        rng.randint(1_000, 40_000)))
    elif roll < 0.86:
        other = rng.choice(seeds)
        data[at:] = other[rng.randint(0, len(other)):]
    elif roll < 0.9:
        del data[at:]
    elif roll < 0.96:  # nesting, around the whole file
        depth = rng.choice((rng.randint(1, 40), rng.randint(500, 3_000)))
        opening = rng.choice((b"library L {", b"{", b"[", b"(", b"interface I {"))
        data[:0] = opening * depth
        data += b"}" * rng.randint(0, depth)
    else:  # a chain of typedefs, defined after use
        chain = b"".join(b"typedef T%d T%d;\n" % (i + 1, i) for i in range(rng.randint(1, 40)))
        data[:0] = chain


def child(count: int, seed: int, folder: Path, time_limit: float) -> dict[str, object]:
    """Lint ``count`` mutants in this process; what happened, as plain JSON types."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    except (ImportError, ValueError, OSError):
        pass  # no address-space cap on this system: the peak is still measured
    from interopkit.com.lint import lint_file
    from interopkit.errors import UsageError

    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest, slowest_size = 0.0, 0
    path = folder / "mutant.idl"
    for index, data in enumerate(mutants(count, seed)):
        path.write_bytes(data)
        print(f"#{index} {len(data)} bytes", flush=True)  # the last line names a hang
        start = time.perf_counter()
        try:
            outcomes["findings" if lint_file(path) else "no findings"] += 1
        except UsageError:
            outcomes["UsageError"] += 1
        except Exception as exc:  # noqa: BLE001 - anything else is what the fuzz looks for
            outcomes["failure"] += 1
            kept = folder / f"failure_{index}.idl"
            kept.write_bytes(data)
            failures.append(f"#{index} ({kept.name}): {type(exc).__name__}: {exc}"[:300])
        elapsed = time.perf_counter() - start
        if elapsed > slowest:
            slowest, slowest_size = elapsed, len(data)
        if elapsed > time_limit:
            outcomes["over the time limit"] += 1
            failures.append(f"#{index}: {elapsed:.1f} s for {len(data):,} bytes")
    return {"outcomes": dict(outcomes), "failures": failures, "slowest": slowest,
            "slowest_size": slowest_size, "peak": _peak()}


def _peak() -> int | None:
    """This process's peak resident size in bytes (None where it cannot be read)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux counts KiB


@pytest.mark.slow
def test_mutated_idl_files_through_the_lint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = ("import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "import test_idl_fuzz as f; print('RESULT ' + json.dumps(f.child(int(sys.argv[2]), "
            "int(sys.argv[3]), Path(sys.argv[4]), float(sys.argv[5]))))")
    start = time.perf_counter()
    budget = 120 + COUNT * 0.5  # far above the measured run: only a hang reaches it
    try:
        run = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(COUNT),
                              str(SEED), str(tmp_path), str(TIME_LIMIT)],
                             capture_output=True, text=True, timeout=budget, check=False)
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else \
            exc.stdout or ""
        last = output.strip().splitlines()[-1:]
        pytest.fail(f"the lint hung: the batch was stopped after {budget:.0f} s, at {last}")
    seconds = time.perf_counter() - start
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0 and lines and lines[-1].startswith("RESULT "), (
        f"the fuzzing child died ({run.returncode}) after {lines[-1:]}: {run.stderr[-2000:]}")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    peak = result["peak"]
    outcomes = result["outcomes"]
    commands = _through_the_command(tmp_path)
    with capsys.disabled():
        print(f"\nIDL fuzz (seed {SEED}): {COUNT:,} mutated files through lint_file in "
              f"{seconds:.0f} s: " + ", ".join(f"{n:,} {k}" for k, n in sorted(outcomes.items()))
              + f"; slowest {result['slowest']:.2f} s ({result['slowest_size']:,} bytes; limit "
              f"{TIME_LIMIT:.0f} s); peak memory "
              + (f"{peak / 2**20:.0f} MiB" if peak else "not measured here")
              + f"; {COMMAND_COUNT} through `interopkit lint`: "
              + ", ".join(f"{n} exit {k}" for k, n in sorted(commands.items())))
    assert result["failures"] == []
    assert sum(outcomes.values()) == COUNT
    assert peak is None or peak < PEAK_LIMIT


def _through_the_command(folder: Path) -> Counter[int]:
    """A few mutants through the real command: exit 0, 1 or 2, one line of error, no
    traceback."""
    exits: Counter[int] = Counter()
    for index, data in enumerate(mutants(COMMAND_COUNT, SEED + 1)):
        path = folder / f"command_{index}.idl"
        path.write_bytes(data)
        run = subprocess.run([sys.executable, "-m", "interopkit", "lint", str(path)],
                             capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode in (0, 1, 2), (index, run.returncode, run.stderr[-2000:])
        assert "Traceback" not in run.stderr, (index, run.stderr[-2000:])
        assert run.returncode != 2 or run.stderr.count("\n") == 1, (index, run.stderr)
        exits[run.returncode] += 1
    return exits
