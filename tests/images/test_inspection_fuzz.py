"""Mutated images through every command that reads one: inspect, check, can-load (and the PE
mapper behind emulate).

The seeds are the kit's real binaries: the sample DLLs and shared objects of data/samples and
the probes and surrogates of interopkit/bin. Each mutant changes header and table fields
(found by the kit's own readers on the clean file) to values that break bounds (0, -1, far
offsets, the file size and around it), flips bytes, or cuts the file. Every input must end, under
a time limit, with a result or the kit's own error: no traceback, no hang, memory bounded.
Half of the PE mutants are also mapped away from their ImageBase, so that the mapper applies
their (mutated) relocations.
Full mode (INTEROPKIT_QUICK=0) runs 10,200 mutants; quick mode a few hundred.
"""

from __future__ import annotations

import contextlib
import io
import random
import resource
import signal
import time
import traceback
from pathlib import Path

import pytest

from interopkit import cli
from interopkit.errors import InteropKitError
from interopkit.images.elf import SECTION, read_sections
from interopkit.images.files import open_image
from interopkit.images.headers import (
    ELF32_HEADER,
    ELF64_HEADER,
    ELF_IDENT,
    field_values,
    pe_headers,
)
from interopkit.images.pemap import BASE_RELOCATION, map_image
from interopkit.images.petables import EXPORT_DIRECTORY, IMPORT_DESCRIPTOR, PeTables
from interopkit.kit.quick import QUICK
from interopkit.kit.samples import BIN_DIR, SAMPLES_DIR

SEEDS = [SAMPLES_DIR / name for name in (
    "sample_x86.dll", "sample_x64.dll", "sample_arm64.dll", "libsample_i386.so",
    "libsample_x86_64.so", "libsample_aarch64.so")] + [BIN_DIR / name for name in (
        "probe_x86.exe", "probe_x64.exe", "probe_arm64.exe", "surrogate_x86.exe",
        "surrogate_x64.exe", "probe-i386", "probe-x86_64")]
COUNT = 360 if QUICK else 10_200
LIMIT_SECONDS = 5.0
"""Per mutant, for all its commands together (each takes about a millisecond)."""
MEMORY_GROWTH_MB = 150


class Hang(BaseException):
    """Raised by the alarm when a mutant takes longer than LIMIT_SECONDS."""


def _alarm(_signum: int, _frame: object) -> None:
    raise Hang


def interesting_fields(path: Path) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(offset, size) of every header field, and of every table field (sections, exports,
    imports, relocations), that the kit's readers follow in ``path``."""
    headers = [(f.offset, f.size) for f in field_values(path) if f.size in (1, 2, 4, 8)]
    out: list[tuple[int, int]] = []
    with open_image(path) as source:
        head = source.read_upto(0, 4096)
        if head[:2] == b"MZ":
            fixed = pe_headers(head, str(path), source)[1]
            tables = PeTables(source, fixed)
            table = fixed.section_table
            for index in range(len(tables.sections)):
                out += [(table + 40 * index + at, 4) for at in range(8, 40, 4)]
            for name, layout in (("EXPORT", EXPORT_DIRECTORY), ("IMPORT", IMPORT_DESCRIPTOR),
                                 ("BASERELOC", BASE_RELOCATION)):
                rva = tables.directory(name)[0]
                if rva:
                    offset = tables._locate(rva, name)[0]
                    out += [(offset + f.offset, f.size) for f in layout.fields]
        else:
            bits = 64 if head[4] == 2 else 32
            top = (ELF64_HEADER if bits == 64 else ELF32_HEADER).unpack(head, ELF_IDENT.size)
            layout = SECTION[bits]
            for index, _section in enumerate(read_sections(source, bits, top["e_shoff"],
                                                           top["e_shnum"])):
                base = top["e_shoff"] + index * layout.size
                out += [(base + f.offset, f.size) for f in layout.fields]
    return headers, out


def values_for(size: int, file_size: int) -> list[int]:
    top = (1 << (8 * size)) - 1
    return [v & top for v in (0, 1, top, top >> 1, top - 0xFF, 0x80 << (8 * size - 8),
                              file_size, file_size - 1, file_size + 1, 0xFFFFFF00, 0x7FFFFFF0,
                              0x1000, 0xFFFF)]


def mutate(data: bytes, fields: tuple[list[tuple[int, int]], list[tuple[int, int]]],
           rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3))):
        how = rng.random()
        if how < 0.6:  # a header or table field set to a value that breaks a bound
            offset, size = rng.choice(fields[0] if how < 0.3 or not fields[1] else fields[1])
            value = rng.choice(values_for(size, len(data)))
            out[offset:offset + size] = value.to_bytes(size, "little")
        elif how < 0.85:  # a few random bytes, mostly in the headers
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(min(len(out), 4096) if rng.random() < 0.7 else len(out))
                out[at] = rng.randrange(256)
        else:  # cut short
            del out[rng.randrange(1, len(out)):]
    return bytes(out)


def run(argv: list[str]) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(argv)
    return code, stderr.getvalue()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the time limit needs SIGALRM")
def test_mutated_images_end_with_a_result_or_the_kits_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = [(path, path.read_bytes(), interesting_fields(path)) for path in SEEDS]
    rng = random.Random(16)
    counts = {verb: {"answered": 0, "refused": 0} for verb in ("inspect", "check", "can-load",
                                                              "map")}
    failures: list[str] = []
    slowest = 0.0
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for index in range(COUNT):
            source, data, fields = seeds[index % len(seeds)]
            mutant = mutate(data, fields, rng)
            folder = tmp_path / f"app{index % 8}"
            folder.mkdir(exist_ok=True)
            suffix = source.suffix if source.suffix in (".dll", ".exe") else ".dll"
            path = folder / f"mutant{suffix}"
            path.write_bytes(mutant)
            started = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, LIMIT_SECONDS)
            try:
                for verb, argv in (("inspect", ["inspect", str(path), "--json"]),
                                   ("check", ["check", str(path), "--json"]),
                                   ("can-load", ["can-load", str(path), "--process", "x64",
                                                 "--json"])):
                    code, errors = run(argv)
                    assert code in (0, 1, 2) and "Traceback" not in errors, (verb, errors)
                    assert all(line.startswith("interopkit: ") for line in
                               errors.splitlines()), errors
                    counts[verb]["answered" if not errors else "refused"] += 1
                try:  # half of them moved from their ImageBase, so relocations are applied
                    map_image(path, base=0x7FFF0000 if index % 2 else None)
                    counts["map"]["answered"] += 1
                except InteropKitError:
                    counts["map"]["refused"] += 1
            except Hang:
                failures.append(f"mutant {index} of {source.name}: over {LIMIT_SECONDS} s")
                (tmp_path / f"hang{index}.bin").write_bytes(mutant)
            except Exception:  # noqa: BLE001 (recorded with the input, to reproduce it)
                failures.append(f"mutant {index} of {source.name}: {traceback.format_exc()}")
                (tmp_path / f"fail{index}.bin").write_bytes(mutant)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            slowest = max(slowest, time.perf_counter() - started)
    finally:
        signal.signal(signal.SIGALRM, previous)
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    with capsys.disabled():
        print(f"\nfuzzed images: {COUNT} mutants of {len(SEEDS)} seeds "
              f"({'quick' if QUICK else 'full'} mode); " + "; ".join(
                  f"{verb} {c['answered']} answered, {c['refused']} refused with the kit's error"
                  for verb, c in counts.items()) +
              f"; failures {len(failures)}; slowest mutant {slowest * 1e3:.0f} ms; peak memory "
              f"grew {growth_mb:.0f} MB")
    assert not failures, "\n".join(failures[:5])
    assert slowest < LIMIT_SECONDS and growth_mb < MEMORY_GROWTH_MB
    assert all(sum(c.values()) == COUNT for verb, c in counts.items())
    assert counts["inspect"]["refused"] > COUNT // 10  # the mutations do break things
