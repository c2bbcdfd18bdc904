"""Benchmark: `interopkit scan` and `inspect` against pefile and LIEF on the same files.

    python benchmarks/bench_scan.py [--files 1200] [--repeats 5]
    python benchmarks/bench_scan.py --corpus DIR [--repeats 5]

Without --corpus, builds a corpus of --files PE files from the kit's own binaries (the three
sample DLLs and the three probe EXEs, copied into nested folders). With --corpus, uses the real
``*.dll`` and ``*.exe`` files below DIR (a Windows ``System32``, or the ``system32`` of a Wine
prefix: ``WINEPREFIX=/tmp/wp wine64 wineboot -u`` makes one). Then, in one run:

* times ``interopkit.images.scan.scan(folder)`` in this process;
* times ``pefile.PE(path)`` (a full parse, pefile's default) over every file of the corpus;
* times ``interopkit.images.inspection.inspect(path)`` (headers, sections, exports and imports) and
  ``lief.parse(path)`` (LIEF's full parse) over every file, side by side: the two loops
  alternate, repeat after repeat, so that both see the same machine;
* times scan and the pefile loop as commands (``interopkit scan DIR --json`` against a Python
  process that runs the pefile loop), which includes interpreter start-up on both sides;
* times ``python -c "import interopkit"`` against ``python -c pass``.

Prints medians and ratios. Targets (issues 2 and 16): scan at least 10x faster than the full
pefile parse; inspect no slower per file than LIEF's full parse; importing the kit under 150 ms.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lief
import pefile

from interopkit.errors import ImageError
from interopkit.images.inspection import inspect
from interopkit.images.scan import scan
from interopkit.kit.samples import BIN_DIR, SAMPLES_DIR
from interopkit.kit.timing import median_seconds

SOURCES = [SAMPLES_DIR / n for n in ("sample_x86.dll", "sample_x64.dll", "sample_arm64.dll")] + [
    BIN_DIR / n for n in ("probe_x86.exe", "probe_x64.exe", "probe_arm64.exe")]

PEFILE_LOOP = ("import pefile, sys\n"
               "for p in open(sys.argv[1], encoding='utf-8').read().splitlines():\n"
               "    try: pefile.PE(p)\n"
               "    except pefile.PEFormatError: pass\n")


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
        try:
            pefile.PE(str(path))
        except pefile.PEFormatError:  # a 16-bit NE file, in a real corpus
            pass


def real_corpus(root: Path) -> list[Path]:
    """Every regular ``*.dll`` and ``*.exe`` file below ``root``, sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in (".dll", ".exe")
                  and p.is_file() and not p.is_symlink())


def inspect_all(paths: list[Path]) -> int:
    """``inspect`` every file; how many the kit refused (16-bit NE files, damaged ones)."""
    refused = 0
    for path in paths:
        try:
            inspect(path)
        except ImageError:
            refused += 1
    return refused


def lief_all(paths: list[Path]) -> int:
    """``lief.parse`` every file (LIEF's full parse); how many it could not parse."""
    return sum(lief.parse(str(path)) is None for path in paths)


def side_by_side(first: Callable[[], object], second: Callable[[], object],
                 repeats: int) -> tuple[float, float]:
    """Median seconds of each action, run alternately (after one warm-up run of each)."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(max(1, repeats)):
        for action, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            action()
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def command(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1200, help="PE files in the built corpus")
    parser.add_argument("--corpus", type=Path, metavar="DIR",
                        help="use the real *.dll and *.exe files below DIR instead")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    args = parser.parse_args()
    lief.logging.disable()  # LIEF logs every oddity it meets to stderr
    with tempfile.TemporaryDirectory(prefix="interopkit-bench-") as tmp:
        if args.corpus is not None:
            if not args.corpus.is_dir():
                parser.error(f"--corpus {args.corpus}: not a folder")
            folder, paths = str(args.corpus), real_corpus(args.corpus)
            if not paths:
                parser.error(f"--corpus {args.corpus}: no *.dll or *.exe files below it")
            where = f"(the real *.dll and *.exe files below {args.corpus})"
        else:
            folder, paths = tmp, make_corpus(Path(tmp), args.files)
            where = f"copied from {len(SOURCES)} kit binaries"
            args.corpus = None
            found = scan(tmp)
            assert len(found.entries) == len(paths), "scan must find every file of the corpus"
        return measure(args, folder, paths, where)


def measure(args: argparse.Namespace, folder: str, paths: list[Path], where: str) -> int:
    python = sys.executable
    t_scan = median_seconds(lambda: scan(folder), args.repeats)
    t_pefile = median_seconds(lambda: pefile_all(paths), max(1, args.repeats // 2))
    t_inspect, t_lief = side_by_side(lambda: inspect_all(paths), lambda: lief_all(paths),
                                     args.repeats)
    refused, unparsed = inspect_all(paths), lief_all(paths)
    t_scan_cmd = median_seconds(
        lambda: command([python, "-m", "interopkit", "scan", folder, "--json"]), args.repeats)
    listing = Path(tempfile.mkdtemp(prefix="interopkit-bench-")) / "files.txt"
    listing.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
    t_pefile_cmd = median_seconds(
        lambda: command([python, "-c", PEFILE_LOOP, str(listing)]), max(1, args.repeats // 2))
    shutil.rmtree(listing.parent)
    t_import = median_seconds(lambda: command([python, "-c", "import interopkit"]), 10)
    t_bare = median_seconds(lambda: command([python, "-c", "pass"]), 10)

    count = len(paths)
    ratio, ratio_cmd = t_pefile / t_scan, t_pefile_cmd / t_scan_cmd
    print(f"corpus: {count} PE files {where}; kit installed {install_kind()}; LIEF "
          f"{lief.__version__.split('-')[0]}, pefile {pefile.__version__}")
    print(f"in process : scan {t_scan * 1e3:8.1f} ms   full pefile parse {t_pefile * 1e3:8.1f} ms"
          f"   ratio {ratio:6.1f}x")
    print(f"per file   : inspect (exports, imports) {t_inspect / count * 1e3:.3f} ms   LIEF "
          f"full parse {t_lief / count * 1e3:.3f} ms   ratio {t_lief / t_inspect:.2f}x "
          f"(inspect refused {refused}, LIEF could not parse {unparsed})")
    print(f"as commands: scan {t_scan_cmd * 1e3:8.1f} ms   full pefile parse "
          f"{t_pefile_cmd * 1e3:8.1f} ms   ratio {ratio_cmd:6.1f}x")
    print(f"import     : python -c 'import interopkit' {t_import * 1e3:.1f} ms "
          f"(python -c pass {t_bare * 1e3:.1f} ms)")
    targets = {"scan >= 10x faster than pefile, in process": ratio >= 10,
               "scan >= 10x faster than pefile, as commands": ratio_cmd >= 10,
               "inspect no slower than LIEF's full parse, per file, on a real corpus":
               t_inspect <= t_lief if args.corpus is not None else None,
               "import under 150 ms": t_import < 0.150}
    for name, met in targets.items():
        verdict = {True: "met", False: "NOT met", None: "not measured (the kit's own 4-9 KiB "
                   "binaries are no real corpus: run with --corpus DIR)"}[met]
        print(f"target {name}: {verdict}")
    return 1 if any(met is False for met in targets.values()) else 0


def install_kind() -> str:
    """``editable`` (pip install -e: setuptools adds an import hook to every start-up) or not."""
    from importlib import metadata

    direct = metadata.distribution("interopkit").read_text("direct_url.json") or ""
    return "editable (pip install -e)" if '"editable": true' in direct else "regular"


if __name__ == "__main__":
    sys.exit(main())
