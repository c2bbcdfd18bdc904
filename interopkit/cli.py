"""The ``interopkit`` command: the kit's helpers for use outside notebooks.

    interopkit inspect FILE... [--json]   what each image says about itself
    interopkit scan DIR [--json]          classify every PE/ELF file below DIR from its headers
    interopkit doctor [--json]            what this machine can demonstrate, with remedies

Exit status: 0 on success, 1 when a file could not be inspected or a required doctor check
failed, 2 for a wrong command line. Errors go to stderr as one line naming the file, the
problem and the remedy; the kit never prints a traceback for bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Any

from .errors import InteropKitError

__all__ = ["format_table", "main", "to_jsonable"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except InteropKitError as exc:
        print(f"interopkit: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interopkit: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interopkit", description="Windows 32/64-bit interoperability teaching kit.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = commands.add_parser("inspect", help="what PE/ELF images say about themselves")
    inspect.add_argument("files", nargs="+", metavar="FILE")
    inspect.add_argument("--json", action="store_true", help="print a JSON list")
    inspect.set_defaults(run=_inspect)

    scan = commands.add_parser("scan", help="classify every PE/ELF file below a folder")
    scan.add_argument("folder", metavar="DIR")
    scan.add_argument("--json", action="store_true", help="print JSON")
    scan.set_defaults(run=_scan)

    doctor = commands.add_parser("doctor", help="what this machine can demonstrate")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.set_defaults(run=_doctor)
    return parser


def _inspect(args: argparse.Namespace) -> int:
    from .inspection import inspect

    found, failed = [], 0
    for path in args.files:
        try:
            found.append(inspect(path))
        except InteropKitError as exc:
            print(f"interopkit: {exc}", file=sys.stderr)
            failed += 1
    if args.json:
        print(json.dumps([_image_json(info) for info in found], indent=2))
    elif found:
        print(format_table(
            ["file", "format", "machine", "bits", "kind", "magic/class", "LAA", "exports",
             "imports"],
            [[info.path, info.format, info.machine_name, info.bits, info.kind,
              info.pe_magic or info.elf_class, _yes(info.large_address_aware) if
              info.format == "PE" else "-", len(info.exports),
              ", ".join(i.library for i in info.imports) or "none"] for info in found]))
        for info in found:
            if info.clr is not None:
                print(f"{info.path}: .NET {info.clr.platform} ({', '.join(info.clr.flags)}): "
                      f"{info.clr.explanation}")
    return 1 if failed else 0


def _image_json(info: Any) -> dict[str, Any]:
    data = to_jsonable(info)
    data.update(machine=info.machine_name, elf_class=info.elf_class,
                is_import_free=info.is_import_free)
    return data


def _scan(args: argparse.Namespace) -> int:
    from .scan import scan

    def progress(count: int) -> None:
        print(f"\rscanned {count} files", end="", file=sys.stderr, flush=True)

    result = scan(args.folder, progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print("\r", end="", file=sys.stderr)
    images = [{"path": e.path, "error": e.error} if e.headers is None else {
        "path": e.path, "format": e.headers.format, "machine": e.headers.machine_name,
        "bits": e.headers.bits, "kind": e.headers.kind, "pe_magic": e.headers.pe_magic,
        "dotnet": e.headers.has_clr_header} for e in result.entries]
    if args.json:
        print(json.dumps({"root": result.root, "files_seen": result.files_seen,
                          "images": images, "by_machine": result.by_machine}, indent=2))
        return 0
    rows = [[i["path"], i.get("format", "-"), i.get("machine", "damaged"), i.get("bits", "-"),
             i.get("kind", i.get("error", ""))] for i in images]
    if rows:
        print(format_table(["file", "format", "machine", "bits", "kind"], rows))
    summary = ", ".join(f"{name} {count}" for name, count in result.by_machine.items())
    print(f"{len(images)} images in {result.files_seen} files" + (f": {summary}" if summary
                                                                   else ""))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor
    from .host import host_info

    checks = doctor()
    if args.json:
        print(json.dumps({"host": to_jsonable(host_info()),
                          "checks": [to_jsonable(c) for c in checks]}, indent=2))
    else:
        for check in checks:
            mark = "ok  " if check.ok else ("FAIL" if check.required else "no  ")
            print(f"[{mark}] {check.name}: {check.detail}")
            if check.remedy:
                print(f"       -> {check.remedy}")
    return 1 if any(c.required and not c.ok for c in checks) else 0


def to_jsonable(value: Any) -> Any:
    """A frozen dataclass (or anything inside one) as plain JSON types; enums by name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def format_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


if __name__ == "__main__":
    sys.exit(main())
