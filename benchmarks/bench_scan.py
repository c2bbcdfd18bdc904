"""Benchmark: `interopkit scan` (headers only) against a full pefile parse of the same files.

    python benchmarks/bench_scan.py [--files 1200] [--repeats 5]

Builds a corpus of at least --files PE files from the kit's own binaries (the three sample
DLLs and the three probe EXEs, copied into nested folders), then, in one run:

* times ``interopkit.scan.scan(folder)`` in this process;
* times ``pefile.PE(path)`` (a full parse, pefile's default) over every file of the corpus;
* times the same two as commands (``interopkit scan DIR --json`` against a Python process that
  runs the pefile loop), which includes interpreter start-up on both sides;
* times ``python -c "import interopkit"`` against ``python -c pass``.

Prints medians and ratios. Targets (issue 2): scan at least 10x faster than the full pefile
parse; importing the kit under 150 ms. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pefile

from interopkit.samples import BIN_DIR, SAMPLES_DIR
from interopkit.scan import scan
from interopkit.timing import median_seconds

SOURCES = [SAMPLES_DIR / n for n in ("sample_x86.dll", "sample_x64.dll", "sample_arm64.dll")] + [
    BIN_DIR / n for n in ("probe_x86.exe", "probe_x64.exe", "probe_arm64.exe")]

PEFILE_LOOP = ("import pefile, pathlib, sys\n"
               "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*')):\n"
               "    if p.is_file(): pefile.PE(str(p))\n")


def make_corpus(root: Path, count: int) -> list[Path]:
    """Copy the kit's PE files into ``root`` until there are ``count`` of them."""
    paths = []
    for index in range(count):
        source = SOURCES[index % len(SOURCES)]
        folder = root / f"app{index // 100:02d}" / ("plugins" if index % 3 else "bin")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{index:05d}_{source.name}"
        shutil.copyfile(source, target)
        paths.append(target)
    return paths


def pefile_all(paths: list[Path]) -> None:
    # No close(): pefile's close() runs a full gc.collect(), which would flatter the ratio.
    for path in paths:
        pefile.PE(str(path))


def command(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1200, help="PE files in the corpus")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="interopkit-bench-") as tmp:
        paths = make_corpus(Path(tmp), args.files)
        found = scan(tmp)
        assert len(found.entries) == len(paths), "scan must find every file of the corpus"
        t_scan = median_seconds(lambda: scan(tmp), args.repeats)
        t_pefile = median_seconds(lambda: pefile_all(paths), max(1, args.repeats // 2))
        t_scan_cmd = median_seconds(
            lambda: command([python, "-m", "interopkit", "scan", tmp, "--json"]), args.repeats)
        t_pefile_cmd = median_seconds(
            lambda: command([python, "-c", PEFILE_LOOP, tmp]), max(1, args.repeats // 2))
    t_import = median_seconds(lambda: command([python, "-c", "import interopkit"]), 10)
    t_bare = median_seconds(lambda: command([python, "-c", "pass"]), 10)

    ratio, ratio_cmd = t_pefile / t_scan, t_pefile_cmd / t_scan_cmd
    print(f"corpus: {len(paths)} PE files copied from {len(SOURCES)} kit binaries; kit "
          f"installed {install_kind()}")
    print(f"in process : scan {t_scan * 1e3:8.1f} ms   full pefile parse {t_pefile * 1e3:8.1f} ms"
          f"   ratio {ratio:6.1f}x")
    print(f"as commands: scan {t_scan_cmd * 1e3:8.1f} ms   full pefile parse "
          f"{t_pefile_cmd * 1e3:8.1f} ms   ratio {ratio_cmd:6.1f}x")
    print(f"import     : python -c 'import interopkit' {t_import * 1e3:.1f} ms "
          f"(python -c pass {t_bare * 1e3:.1f} ms)")
    targets = {"scan >= 10x faster than pefile, in process": ratio >= 10,
               "scan >= 10x faster than pefile, as commands": ratio_cmd >= 10,
               "import under 150 ms": t_import < 0.150}
    for name, met in targets.items():
        print(f"target {name}: {'met' if met else 'NOT met'}")
    return 0 if all(targets.values()) else 1


def install_kind() -> str:
    """``editable`` (pip install -e: setuptools adds an import hook to every start-up) or not."""
    from importlib import metadata

    direct = metadata.distribution("interopkit").read_text("direct_url.json") or ""
    return "editable (pip install -e)" if '"editable": true' in direct else "regular"


if __name__ == "__main__":
    sys.exit(main())
