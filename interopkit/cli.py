"""The ``interopkit`` command: the kit's helpers for use outside notebooks.

    interopkit inspect FILE... [--json]   what each image says about itself
    interopkit scan DIR [--json]          classify every PE/ELF file below DIR from its headers
    interopkit doctor [--json]            what this machine can demonstrate, with remedies
    interopkit wine-setup [--json]        install Wine for both bitnesses (as root on Debian or
                                          Ubuntu; else print the commands), make its prefix
    interopkit can-load DLL --process P [--host H] [--mode M] [--json] [--try]
                                          the loader model's answer, and the real one
    interopkit check APP [--dir DIR]... [--process P] [--host H] [--json]
                                          which of an app's DLLs would fail to load, and why
    interopkit redirect PATH_OR_KEY --process P [--host H] [--flags F]... [--json] [--try]
                                          where WOW64 sends a path or registry key (--try:
                                          and where a Windows process under Wine got it)
    interopkit emulate DLL EXPORT [ARGS...] [--json]
                                          run an export on an emulated x86/x64/ARM64 CPU
    interopkit wire TYPE VALUE --from 32|64 --to 32|64 [--syntax ndr20|ndr64] [--json]
                                          one value through NDR: wire bytes, what arrives
    interopkit solutions [--out FILE.md]  the instructor's answer key
    interopkit progress [--json] [--reset]
                                          the exercises this learner has solved, per
                                          notebook (kept only on this machine; --reset
                                          starts again and keeps the old record aside)
    interopkit site --out DIR [--repo URL] [--hub URL] [--full] [--json]
                                          the course as a website, every lesson executed
    interopkit lint FILE [--same-bitness] [--json]
                                          pointers and handles an interface (MIDL) will
                                          truncate between 32-bit and 64-bit stubs
    interopkit bench [--quick] [--json] [--plot FILE.png] [--only NAME...]
                                          time one call made eight ways (in process, through
                                          surrogates, emulated, real COM), with the kit's targets
    interopkit surrogate call DLL EXPORT [ARGS...] [--bitness 32|64] [--kind K] [--json]
                                          call an export in a surrogate process (native,
                                          wine or emulated) of its bitness
    interopkit com demo --client 32|64 --server 32|64 [--calls N] [--json]
                                          real COM: a client activates the kit's server in
                                          COM's own surrogate (dllhost), under Wine or on
                                          Windows; also: com register, com unregister
    interopkit com ndr TYPE VALUE --bitness 32|64 [--win64] [--json]
                                          the bytes a real COM proxy (widl's, under Wine)
                                          marshals for one value, beside the NDR model's

Exit status: 0 on success, 1 when a file could not be inspected, a required doctor check
failed, an image does not load (can-load), a DLL would fail (check) or the lint found
something, or a benchmark target was missed, 2 for a wrong command
line. Errors go to stderr as one line naming the file, the
problem and the remedy; the kit never prints a traceback for bad input. Every command that
takes a file refuses a named pipe or a device before opening it (``interopkit.images.files``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from interopkit.errors import ImageError, InteropKitError, UsageError

SURROGATE_KINDS = ("auto", "native", "wine", "emulated")
"""interopkit.surrogate.client.KINDS, repeated so that parsing a command imports no surrogate code
(a test keeps the two equal)."""

__all__ = ["format_table", "main", "to_jsonable"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        _require_files(args)
        return int(args.run(args))
    except UsageError as exc:
        print(f"interopkit: {exc}", file=sys.stderr)
        return 2
    except InteropKitError as exc:
        print(f"interopkit: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interopkit: interrupted", file=sys.stderr)
        return 130


FILE_ARGUMENTS = {"can-load": "dll", "check": "app", "lint": "file", "emulate": "dll",
                  "surrogate": "dll"}
"""The argument naming a file, per command. ``inspect`` checks each of its files as it
reads it (one bad file among several is reported and the others are still inspected)."""


def _require_files(args: argparse.Namespace) -> None:
    # One check for every command that takes a file, before any of them opens it: a FIFO
    # with no writer would block open() forever, and /dev/zero never ends.
    from interopkit.images.files import require_regular_file

    name = FILE_ARGUMENTS.get(args.command)
    if name is not None:
        require_regular_file(getattr(args, name),
                             UsageError if args.command == "lint" else ImageError)


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

    wine_setup = commands.add_parser("wine-setup", help="install Wine for 32-bit and 64-bit "
                                     "Windows programs and make the kit's prefix")
    wine_setup.add_argument("--json", action="store_true", help="print JSON")
    wine_setup.set_defaults(run=_wine_setup)

    from interopkit.loading.kinds import Host, ProcessKind

    processes = [k.value for k in ProcessKind]
    hosts = [h.value for h in Host]
    can_load = commands.add_parser("can-load", help="can a process of this kind load the DLL?")
    can_load.add_argument("dll", metavar="DLL")
    can_load.add_argument("--process", required=True, choices=processes)
    can_load.add_argument("--host", choices=hosts, default=None,
                          help="the Windows to answer for (default: this one, or win11-x64)")
    can_load.add_argument("--mode", choices=("execute", "datafile", "image_resource"),
                          default="execute",
                          help="load for execution (default) or as data")
    can_load.add_argument("--json", action="store_true", help="print JSON")
    can_load.add_argument("--try", dest="attempt", action="store_true",
                          help="also load it for real on this machine where that means "
                          "something, and with LoadLibraryW in a Windows process of that "
                          "bitness (under Wine on Linux)")
    can_load.set_defaults(run=_can_load)

    check = commands.add_parser("check", help="would the app's DLLs load into its process?")
    check.add_argument("app", metavar="APP")
    check.add_argument("--dir", action="append", default=[], metavar="DIR",
                       help="a plug-in folder to check too (repeatable)")
    check.add_argument("--process", choices=processes, default=None,
                       help="the process kind (default: what the app runs as)")
    check.add_argument("--host", choices=hosts, default=None)
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=_check)

    redirect = commands.add_parser("redirect", help="where WOW64 sends a path or registry key")
    redirect.add_argument("target", metavar="PATH_OR_KEY",
                          help="a full Windows path, or a key starting with HKLM, HKCU, HKCR ...")
    redirect.add_argument("--process", required=True,
                          choices=[p for p in processes if p != "arm64ec"])
    redirect.add_argument("--host", choices=hosts, default="win11-x64")
    redirect.add_argument("--flags", action="append", default=[],
                          choices=["KEY_WOW64_64KEY", "KEY_WOW64_32KEY"],
                          help="registry view flags (repeatable)")
    redirect.add_argument("--json", action="store_true", help="print JSON")
    redirect.add_argument("--try", dest="attempt", action="store_true",
                          help="also ask a Windows process of that bitness (under Wine on "
                          "Linux) where it really lands")
    redirect.set_defaults(run=_redirect)

    emulate = commands.add_parser("emulate", help="run a DLL export on an emulated CPU")
    emulate.add_argument("dll", metavar="DLL")
    emulate.add_argument("export", metavar="EXPORT")
    emulate.add_argument("args", nargs="*", metavar="ARG",
                         help="integers (42, 0x2a), or buffers: text:hello, hex:00ff, zeros:16")
    emulate.add_argument("--limit", type=int, default=1_000_000,
                         help="stop runaway code after this many instructions")
    emulate.add_argument("--json", action="store_true", help="print JSON")
    emulate.set_defaults(run=_emulate)

    wire = commands.add_parser("wire", help="one value through NDR: the bytes on the wire and "
                               "what the receiver holds")
    wire.add_argument("type", metavar="TYPE", help="DWORD, DWORD_PTR, INT_PTR, HANDLE_PTR, ...")
    wire.add_argument("value", metavar="VALUE", help="an integer (0x123456789, -1)")
    wire.add_argument("--from", dest="sender", type=int, choices=(32, 64), required=True,
                      help="the sending stub's bitness")
    wire.add_argument("--to", dest="receiver", type=int, choices=(32, 64), required=True,
                      help="the receiving stub's bitness")
    wire.add_argument("--syntax", choices=("ndr20", "ndr64"), default="ndr20",
                      help="the transfer syntax asked for (a 32/64 pair gets NDR20)")
    wire.add_argument("--json", action="store_true", help="print JSON")
    wire.set_defaults(run=_wire)

    lint = commands.add_parser("lint", help="find pointers and handles an interface will "
                               "truncate between 32-bit and 64-bit stubs")
    lint.add_argument("file", metavar="FILE", help="a MIDL (.idl) file")
    lint.add_argument("--same-bitness", action="store_true",
                      help="both sides are 64-bit (HANDLE_PTR is then the right type)")
    lint.add_argument("--json", action="store_true", help="print JSON")
    lint.set_defaults(run=_lint)

    bench = commands.add_parser("bench", help="time one call made eight ways, over payloads "
                                "from 0 bytes to 1 MiB")
    bench.add_argument("--quick", action="store_true", help="fewer repeats (the same code)")
    bench.add_argument("--json", action="store_true", help="print JSON")
    bench.add_argument("--plot", metavar="FILE.png", help="also draw the latency chart, over "
                       "the kit's reference run")
    bench.add_argument("--only", nargs="+", metavar="NAME", help="run only these experiments")
    bench.set_defaults(run=_bench)

    solutions = commands.add_parser("solutions", help="the instructor's answer key: every "
                                    "exercise's worked solution")
    solutions.add_argument("--out", metavar="FILE.md", help="write Markdown to this file")
    solutions.set_defaults(run=_solutions)

    progress = commands.add_parser("progress", help="the exercises solved on this machine, "
                                   "per notebook and overall (nothing is graded)")
    progress.add_argument("--json", action="store_true", help="print JSON")
    progress.add_argument("--reset", action="store_true", help="start again: move the record "
                          "aside (nothing is deleted)")
    progress.set_defaults(run=_learner_progress)

    site = commands.add_parser("site", help="build the course as a website: every lesson "
                               "executed, with the glossary, sources and guides")
    site.add_argument("--out", required=True, metavar="DIR",
                      help="a new or empty folder (an earlier site built there is replaced)")
    site.add_argument("--repo", metavar="URL", help="the clone URL the launch links open "
                      "(default: the links are shown as templates)")
    site.add_argument("--branch", default="main", help="the branch the launch links follow")
    site.add_argument("--hub", metavar="URL", help="a class JupyterHub with nbgitpuller")
    site.add_argument("--binder", default="https://mybinder.org", metavar="URL",
                      help="the BinderHub of the Binder links")
    site.add_argument("--full", action="store_true",
                      help="run the lessons in full mode (classroom length), not quick mode")
    site.add_argument("--timeout", type=float, default=3600.0, metavar="SECONDS",
                      help="stop the build after this long (default 3600)")
    site.add_argument("--json", action="store_true", help="print JSON")
    site.set_defaults(run=_site)

    surrogate = commands.add_parser("surrogate", help="host a DLL in a surrogate process")
    actions = surrogate.add_subparsers(dest="action", required=True, metavar="ACTION")
    call = actions.add_parser("call", help="start the surrogate, call an export, stop it")
    call.add_argument("dll", metavar="DLL")
    call.add_argument("export", metavar="EXPORT")
    call.add_argument("args", nargs="*", metavar="ARG",
                      help="integers (42, 0x2a), or buffers: text:hello, hex:00ff, zeros:16")
    call.add_argument("--bitness", type=int, choices=(32, 64), default=None,
                      help="the surrogate's bitness (default: the DLL's; another one refuses "
                      "it, as Windows would)")
    call.add_argument("--kind", choices=SURROGATE_KINDS, default="auto",
                      help="native process, the Windows build under Wine, or emulated "
                      "(default: native where it can run)")
    call.add_argument("--returns", choices=("int32", "int64", "ptr", "void"), default="ptr",
                      help="how to read the return value (default: pointer-sized)")
    call.add_argument("--json", action="store_true", help="print JSON")
    call.set_defaults(run=_surrogate_call)

    from interopkit.com.commands import add_parser as add_com

    add_com(commands)
    return parser


def _inspect(args: argparse.Namespace) -> int:
    from interopkit.images.inspection import inspect

    found, failed = [], 0
    for path in args.files:
        try:
            found.append(inspect(path))
        except InteropKitError as exc:
            print(f"interopkit: {exc}", file=sys.stderr)
            failed += 1
    if args.json:
        _print_json([_image_json(info) for info in found])
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
    from interopkit.images.scan import scan

    def progress(count: int) -> None:
        print(f"\rscanned {count} files", end="", file=sys.stderr, flush=True)

    result = scan(args.folder, progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        print("\r", end="", file=sys.stderr)
    images = [{"path": e.path, "error": e.error, "legacy": e.legacy} if e.headers is None else {
        "path": e.path, "format": e.headers.format, "machine": e.headers.machine_name,
        "bits": e.headers.bits, "kind": e.headers.kind, "pe_magic": e.headers.pe_magic,
        "dotnet": e.headers.has_clr_header} for e in result.entries]
    unreadable = [{"path": u.path, "folder": u.folder, "error": u.error}
                  for u in result.unreadable]
    if args.json:
        _print_json({"root": result.root, "files_seen": result.files_seen,
                     "images": images, "by_machine": result.by_machine,
                     "unreadable": unreadable})
        return 0
    rows = [[e.path, e.headers.format if e.headers else e.legacy or "-", e.label,
             e.headers.bits if e.headers else "-",
             e.headers.kind if e.headers else e.error or ""] for e in result.entries]
    if rows:
        print(format_table(["file", "format", "machine", "bits", "kind"], rows))
    for item in result.unreadable:
        what = "folder (not scanned)" if item.folder else "file"
        print(f"could not read {what} {item.path}: {item.error}")
    summary = ", ".join(f"{name} {count}" for name, count in result.by_machine.items())
    print(f"{len(images)} images in {result.files_seen} files" + (f": {summary}" if summary
                                                                   else ""))
    if result.unreadable:
        folders = sum(u.folder for u in result.unreadable)
        print(f"could not read {len(result.unreadable) - folders} files and {folders} folders "
              "(listed above): they may hold images too")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from interopkit.doctor import doctor
    from interopkit.kit.host import host_info

    checks = doctor()
    if args.json:
        _print_json({"host": to_jsonable(host_info()),
                          "checks": [to_jsonable(c) for c in checks]})
    else:
        for check in checks:
            mark = "ok  " if check.ok else ("FAIL" if check.required else "no  ")
            print(f"[{mark}] {check.name}: {check.detail}")
            if check.remedy:
                print(f"       -> {check.remedy}")
    return 1 if any(c.required and not c.ok for c in checks) else 0


def _wine_setup(args: argparse.Namespace) -> int:
    from interopkit.kit.winesetup import COMMANDS, setup

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = setup(progress)
    commands = [" ".join(c) for c in COMMANDS]
    complete = report.ran == (32, 64)
    if args.json:
        _print_json(to_jsonable(report) | {"complete": complete, "commands": commands})
        return 0 if complete else 1
    if report.not_installed_because:
        print(f"Wine for both bitnesses is not installed, and this command cannot install it: "
              f"{report.not_installed_because}. As root on Debian or Ubuntu, run:")
        for command in commands:
            print(f"    {command}")
        print("(apt-get update may fail for one index, e.g. 'Mirror sync in progress?': the "
              "install still works from the main archive.) Then run interopkit wine-setup again.")
    if report.install is not None:
        print(f"Installed Wine in {report.install.seconds:.0f} s: "
              + "; ".join(" ".join(c) for c in report.install.commands))
        for note in report.install.notes:
            print(f"  note: {note}")
    print(f"Wine: {report.version or 'not installed'}; the kit's Windows probe ran as a "
          + (" and ".join(f"{b}-bit" for b in report.ran) or "no") + " process (Wine, not "
          "Windows)")
    if 64 in report.bits:
        what = f"made ({report.prefix_built})" if report.prefix_built else "reused"
        print(f"The kit's Wine prefix: {report.prefix}, {report.prefix_bytes / 1e9:.2f} GB on "
              f"disk, {what} in {report.prefix_seconds:.1f} s")
    return 0 if complete else 1


def _can_load(args: argparse.Namespace) -> int:
    from interopkit.images.inspection import inspect
    from interopkit.loading.checker import default_host
    from interopkit.loading.loader import image_kind, load_outcome

    info = inspect(args.dll)
    kind = image_kind(info)
    outcome = load_outcome(args.process, kind, args.host or default_host(), args.mode)
    data = {
        "dll": args.dll, "image_kind": kind.value, "process": outcome.process.value,
        "host": outcome.host.value, "mode": outcome.mode, "possible": outcome.possible,
        "loads": outcome.loads, "error": outcome.error.value if outcome.error else None,
        "error_name": outcome.error_name, "message": outcome.message(Path(args.dll).name),
        "alternatives": [a.name for a in outcome.alternatives],
        "reason": outcome.explanation, "remedy": outcome.remedy,
        "certainty": outcome.certainty.value, "sources": list(outcome.sources),
    }
    if args.attempt:
        data["real"] = _real_attempt(info, outcome)
        data["wine"] = _windows_attempt(args.dll, outcome.process.value, args.mode)
    if args.json:
        _print_json(data)
    else:
        verdict = "loads" if outcome.loads else (
            "cannot exist on that Windows" if not outcome.possible else
            f"does NOT load: {outcome.error.describe() if outcome.error else ''} "
            f"\"{data['message']}\"")
        print(f"{Path(args.dll).name} ({kind.description}) in an {outcome.process.value} process "
              f"on {outcome.host.label}: {verdict}")
        print(f"  why: {outcome.explanation}")
        if outcome.remedy:
            print(f"  remedy: {outcome.remedy}")
        if outcome.alternatives:
            others = ", ".join(a.describe() for a in outcome.alternatives)
            print(f"  note: Windows may report {others} instead; which code appears when is not "
                  "documented")
        print(f"  model: {outcome.certainty.value}; sources {', '.join(outcome.sources)}")
        if "real" in data:
            print(f"  on this machine: {data['real']['summary']}")
            print(f"  in a Windows process: {data['wine']['summary']}")
    return 0 if outcome.loads else 1


_WINDOWS_BITS = {"x86": 32, "x64": 64}
"""The process kinds a Windows process under Wine can be (Wine runs no ARM64 code here)."""


def _windows_bits(process: str) -> tuple[int | None, dict[str, Any]]:
    bits = _WINDOWS_BITS.get(process)
    if bits is None:
        return None, {"attempted": False, "platform": None,
                      "summary": f"not attempted: Wine runs x86 and x64 Windows processes only, "
                      f"not an {process} one (that needs Windows on an ARM64 machine)"}
    return bits, {}


def _not_run(exc: InteropKitError) -> dict[str, Any]:
    return {"attempted": False, "platform": None, "summary": f"not attempted: {exc}"}


def _windows_attempt(dll: str, process: str, mode: str) -> dict[str, Any]:
    """LoadLibraryW (LoadLibraryExW for a data mode) in a Windows process of ``process``'s
    bitness: under Wine on Linux, labelled as Wine (``platform``)."""
    import time

    bits, refused = _windows_bits(process)
    if bits is None:
        return refused
    _progress(f"starting a {bits}-bit Windows process")
    started = time.perf_counter()
    try:
        from interopkit.loading.winload import load_one

        attempt = load_one(bits, dll, mode)
    except InteropKitError as exc:
        return _not_run(exc)
    said = "loaded" if attempt.loaded else f"error {attempt.code}"
    return {"attempted": True, "platform": attempt.platform, "mode": attempt.mode,
            "loaded": attempt.loaded, "code": attempt.code, "module": attempt.module,
            "seconds": round(time.perf_counter() - started, 3),
            "summary": f"{'LoadLibraryW' if mode == 'execute' else 'LoadLibraryExW'} in "
                       f"{attempt.platform}: {said}"}


def _progress(what: str) -> None:
    # A first Wine call pays for starting Wine (seconds): say so, on stderr, to a person only.
    if sys.stderr.isatty():
        print(f"interopkit: {what} (the first one takes a few seconds) ...", file=sys.stderr)


def _real_attempt(info: Any, outcome: Any) -> dict[str, Any]:
    from interopkit.kit.host import host_info
    from interopkit.kit.samples import linux_counterpart
    from interopkit.loading.loader import process_kind_for
    from interopkit.loading.realload import agrees, try_load

    here = host_info()
    target, note = info.path, ""
    if here.os != "windows" and info.format == "PE":
        counterpart = linux_counterpart(info.path)
        if counterpart is None:
            return {"attempted": False, "summary": "not meaningful: a Windows image cannot be "
                    f"loaded by the {here.os} loader (only the model answers for it)"}
        target, note = str(counterpart), f"the Linux build of the same source, {counterpart.name}, "
    real = try_load(target)
    result = {"attempted": True, "path": target, "platform": real.platform,
              "loaded": real.loaded, "code": real.code, "message": real.message}
    process = f"this {here.process_bits}-bit {here.cpu} Python"
    ours = process_kind_for(here.machine, here.process_bits)
    if ours is not outcome.process:
        note = (f"(this Python is not the {outcome.process.value} process asked about, so this "
                f"is what its own loader says) {note}")
    if here.os == "windows":
        same, verdict = agrees(real, outcome)
        result["agrees_with_model"], result["comparison"] = same, verdict
        said = "loaded" if real.loaded else f"error {real.code}"
        result["summary"] = f"{note}LoadLibraryW in {process}: {said} {real.message}. {verdict}"
    else:
        result["summary"] = (f"{note}dlopen in {process}: "
                             f"{'loaded' if real.loaded else real.message}")
    return result


def _check(args: argparse.Namespace) -> int:
    from interopkit.loading.checker import check_app

    report = check_app(args.app, tuple(args.dir), args.process, args.host)
    if args.json:
        _print_json({
            "app": report.app, "process": report.process.value, "host": report.host.value,
            "start": report.start, "ok": report.ok,
            "dlls": [{"name": d.name, "path": d.path, "loads": d.loads,
                      "error": d.error.value if d.error else None,
                      "error_name": d.error.name if d.error else None, "reason": d.reason,
                      "remedy": d.remedy, "imported_by": list(d.imported_by),
                      "machine": d.machine} for d in report.dlls]})
    else:
        print(f"{report.app}: runs as an {report.process.value} process on {report.host.label} "
              f"({report.start})")
        print(format_table(["dll", "machine", "loads", "error", "imported by"], [
            [d.name, d.machine or "-", "yes" if d.loads else "NO",
             d.error.describe() if d.error else "-", ", ".join(d.imported_by) or "(in folder)"]
            for d in report.dlls]))
        for d in report.dlls:
            if not d.loads:
                print(f"\n{d.name}: {d.reason}\n  -> {d.remedy}")
    return 0 if report.ok else 1


def _redirect(args: argparse.Namespace) -> int:
    from interopkit.wow64 import redirect

    if args.target.strip().upper().startswith("HK"):
        flags = 0
        for name in args.flags:
            flags |= getattr(redirect, name)
        result = redirect.redirect_key(args.target, args.process, flags, args.host)
    else:
        if args.flags:
            print("interopkit: --flags apply to registry keys only", file=sys.stderr)
            return 2
        result = redirect.redirect_path(args.target, args.process, args.host)
    data = {"input": result.input, "result": result.result, "redirected": result.redirected,
            "reason": result.reason, "sources": list(result.sources)}
    if args.attempt:
        data["wine"] = _windows_redirect(args, result)
    if args.json:
        _print_json(data)
    else:
        arrow = "->" if result.redirected else "(not redirected)"
        print(f"{result.input} {arrow} {result.result if result.redirected else ''}".rstrip())
        print(f"  {result.reason} [{', '.join(result.sources)}]")
        if "wine" in data:
            print(f"  in a Windows process: {data['wine']['summary']}")
    return 0


def _windows_redirect(args: argparse.Namespace, model: Any) -> dict[str, Any]:
    """Where a Windows process of ``--process``'s bitness (under Wine on Linux) really got
    the path or key, beside the model's answer."""
    import time

    bits, refused = _windows_bits(args.process)
    if bits is None:
        return refused
    _progress(f"starting a {bits}-bit Windows process")
    started = time.perf_counter()
    try:
        if args.target.strip().upper().startswith("HK"):
            found = _key_landing(args.target.strip(), bits, args.flags, model.result)
        else:
            found = _path_landing(args.target, bits, model.result)
    except InteropKitError as exc:
        return _not_run(exc)
    agrees = found["agrees"]
    verdict = {True: "agrees with the model", False: "differs from the model",
               None: "cannot be compared"}[agrees]
    return found | {"attempted": True, "seconds": round(time.perf_counter() - started, 3),
                    "summary": f"{found['platform']}: {found['real']} ({verdict})"}


def _path_landing(path: str, bits: int, expected: str) -> dict[str, Any]:
    from pathlib import PureWindowsPath

    from interopkit.wow64.real import open_paths

    opened = open_paths(bits, [path])[0]
    if opened.opened and opened.final is not None:
        same = PureWindowsPath(opened.final.lower()) == PureWindowsPath(expected.lower())
        return {"platform": opened.platform, "opened": True, "final": opened.final,
                "error": None, "real": f"opened {opened.final}", "agrees": same}
    # Nothing there to open: where the redirector would have sent it cannot be seen.
    return {"platform": opened.platform, "opened": False, "final": None, "error": opened.error,
            "real": f"not opened (error {opened.error}): no file there to show where it lands",
            "agrees": None}


def _key_landing(key: str, bits: int, flags: list[str], expected: str) -> dict[str, Any]:
    """The process makes ``<key>\\InteropKit-Test`` (its parent must exist); a 64-bit process
    then looks for it where the model says it lands and in each view; the test key is removed
    afterwards from both views, also when a step fails."""
    from interopkit.kit.winprobe import probe, session
    from interopkit.wow64.real import TEST_KEY

    view = f"{sum({'KEY_WOW64_64KEY': 0x100, 'KEY_WOW64_32KEY': 0x200}[f] for f in flags):x}"
    leaf, landed = f"{key}\\{TEST_KEY}", f"{expected}\\{TEST_KEY}"
    with session():
        try:
            writer = probe(bits, [f"regset:{view}:{leaf}"])
            read = probe(64, [f"regget:0:{landed}", f"regget:100:{leaf}", f"regget:200:{leaf}"])
        finally:
            probe(64, [f"regdel:200:{leaf}", f"regdel:100:{leaf}"])
    wrote = writer.results[0]
    base = {"platform": writer.platform, "read_by": read.platform}
    if wrote.get("stage") != "written" or wrote.get("status") != 0:
        return base | {"written": False, "status": wrote.get("status"), "agrees": None,
                       "real": f"could not create a test key under it (stage "
                               f"{wrote.get('stage')}, status {wrote.get('status')})"}
    at_model, in64, in32 = (r.get("status") == 0 for r in read.results)
    where = ("both views (shared)" if in64 and in32 else "the 64-bit view" if in64 else
             "the 32-bit view (Wow6432Node)" if in32 else "neither view")
    return base | {"written": True, "visible_at_model_result": at_model,
                   "visible_64bit_view": in64, "visible_32bit_view": in32,
                   "real": f"a key it made landed in {where}", "agrees": at_model}


def _emulate(args: argparse.Namespace) -> int:
    from interopkit.emulation.emulator import Emulator, parse_argument

    values = [parse_argument(text) for text in args.args]
    call = Emulator(args.dll, limit=args.limit).call(args.export, *values)
    if args.json:
        _print_json({"result": call.result, "signed32": call.signed(32), "arch": call.arch,
                     "instructions": call.instructions, "seconds": call.seconds,
                     "buffers": [b.hex() for b in call.buffers]})
    else:
        print(f"{args.export} on an emulated {call.arch} CPU: {call.result} "
              f"(0x{call.result:x}; signed 32-bit {call.signed(32)}), {call.instructions} "
              f"instructions in {call.seconds * 1e6:.0f} us")
        _print_buffers(call.buffers)
    return 0


def _wire(args: argparse.Namespace) -> int:
    from interopkit.ndr.rules import transfer

    try:
        value = int(args.value, 0)
    except ValueError:
        raise UsageError(args.value, "is not an integer", "Write 42, 0x2a or -1") from None
    moved = transfer(args.type, value, args.sender, args.receiver, args.syntax)
    received = moved.received
    if args.json:
        _print_json({"type": args.type, "value": value, "from": args.sender, "to": args.receiver,
                     "syntax": moved.syntax, "held": moved.held, "wire_hex": moved.wire_hex,
                     "wire_bytes": len(moved.wire), "received": received,
                     "received_hex": None if received is None else
                     f"0x{received & ((1 << 64) - 1):x}",
                     "lossy": moved.lossy, "steps": list(moved.steps),
                     "certainty": moved.certainty, "sources": list(moved.sources)})
    else:
        print(f"{args.type} {args.value}, {args.sender}-bit to {args.receiver}-bit, "
              f"{moved.syntax.upper()}: wire {moved.wire.hex(' ')} ({len(moved.wire)} bytes)")
        for step in moved.steps:
            print(f"  {step}")
        print(f"  [{moved.certainty}; {', '.join(moved.sources) or 'fixed-size type'}]")
    return 0


def _lint(args: argparse.Namespace) -> int:
    from interopkit.com.lint import lint_file

    findings = lint_file(args.file, same_bitness=args.same_bitness)
    if args.json:
        _print_json([finding.as_dict() for finding in findings])
        return 1 if findings else 0
    name = Path(args.file).name
    for finding in findings:
        rule = finding.rule
        print(f"{name}:{finding.line}: {rule.severity} [{rule.name}] {finding.message}")
        print(f"    fix: {rule.fix}")
        print(f"    {rule.certainty}; sources: {', '.join(rule.sources)}")
    counts = Counter(finding.rule.severity for finding in findings)
    print(f"{name}: " + (", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items())
                         if findings else "no findings"))
    return 1 if findings else 0


def _solutions(args: argparse.Namespace) -> int:
    from interopkit.lessons.answerkey import answer_key

    key = answer_key()
    if args.out:
        Path(args.out).write_text(key + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(key)
    return 0


def _learner_progress(args: argparse.Namespace) -> int:
    from interopkit.lessons.progress import progress, progress_file, reset

    if args.reset:
        moved = reset()
        if args.json:
            _print_json({"reset": True, "moved_to": None if moved is None else str(moved),
                         "file": str(progress_file())})
        elif moved is None:
            print(f"There was no progress to reset: {progress_file()} does not exist.")
        else:
            print(f"Your progress starts again from nothing. The old record was moved to "
                  f"{moved} (nothing was deleted; move it back to restore it).")
        return 0
    shown = progress()
    if args.json:
        _print_json(shown.as_json())
    else:
        print(shown)
    return 0


def _site(args: argparse.Namespace) -> int:
    # Sphinx and MyST-NB are imported by the build's own child process, never here.
    from interopkit.site.build import build_site
    from interopkit.site.source import Launch

    launch = Launch(args.repo, args.branch, args.hub, args.binder)
    if sys.stderr.isatty():
        print("interopkit: building the site; every lesson is executed (a minute or more) ...",
              file=sys.stderr)
    built = build_site(args.out, launch, quick=not args.full, timeout=args.timeout)
    summary = {"out": str(built.out), "pages": list(built.pages), "figures": built.figures,
               "quick": built.quick, "seconds": round(built.seconds, 1), "bytes": built.bytes}
    if args.json:
        _print_json(summary)
    else:
        print(f"built {len(built.pages)} pages ({sum(built.figures.values())} figures, "
              f"{built.bytes / 1e6:.1f} MB) in {built.seconds:.0f} s "
              f"({'quick' if built.quick else 'full'} mode): open {built.out / 'index.html'}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from interopkit.bench.harness import run, targets

    def progress(done: int, total: int, label: str) -> None:
        if sys.stderr.isatty():
            print(f"\r[{done:2}/{total}] {label:45}", end="" if total > done else "\n",
                  file=sys.stderr, flush=True)

    measured = run(args.only, quick=args.quick or None, progress=progress)
    checks = targets(measured)
    if args.plot:
        _bench_plot(measured, args.plot)
    if args.json:
        _print_json(measured.as_json() | {"targets": [dataclasses.asdict(t) for t in checks]})
    else:
        print(format_table(["experiment", "payload bytes", "median us", "p25 us", "p75 us", "n"],
                           [[r.experiment, r.payload_bytes, f"{r.median_us:.2f}",
                             f"{r.p25_us:.2f}", f"{r.p75_us:.2f}", r.n]
                            for r in measured.results]))
        for name, why in measured.host["skipped"].items():
            print(f"skipped {name}: {why}")
        for name, about in measured.host["timed_inside"].items():
            from interopkit.bench.realcom import describe

            print(f"{name}: {describe(about)}")
        for check in checks:
            verdict = {True: "met", False: "NOT met", None: "not measured"}[check.met]
            print(f"target {check.name}: {verdict} ({check.detail})")
    return 1 if any(check.met is False for check in checks) else 0


def _bench_plot(measured: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from interopkit.bench.harness import REFERENCE, load
    from interopkit.bench.plots import draw_latency

    reference = load(REFERENCE) if REFERENCE.is_file() else None
    ax = draw_latency(measured, reference)
    try:
        ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    except OSError as exc:
        raise UsageError(path, f"cannot be written ({exc.strerror or exc})",
                         "Give a path in a folder you can write to") from exc
    finally:
        plt.close(ax.figure)


def _surrogate_call(args: argparse.Namespace) -> int:
    from interopkit.emulation.emulator import parse_argument
    from interopkit.surrogate.client import Surrogate, describe
    from interopkit.surrogate.wire import ArgType

    values = [parse_argument(text) for text in args.args]
    with Surrogate(args.dll, bitness=args.bitness, kind=args.kind) as surrogate:
        result = surrogate.call(args.export, *values, returns=ArgType[args.returns.upper()])
        info = surrogate.info
    assert info is not None
    if args.json:
        _print_json(describe(result, info))
    else:
        value = result.result
        if args.returns == "int32" and value >= 1 << 31:  # read as the signed LONG it is
            value -= 1 << 32
        print(f"{args.export} in the {info.kind} surrogate (pid {info.pid}, {info.pointer_size}-"
              f"byte pointers, {info.arch}, loaded by {info.loader}): {value} "
              f"(0x{result.result:x}) in {result.seconds * 1e6:.0f} us")
        _print_buffers(result.buffers)
    return 0


def _print_buffers(buffers: tuple[bytes, ...]) -> None:
    for index, data in enumerate(buffers):
        print(f"  buffer {index}: {data[:64].hex()}{'...' if len(data) > 64 else ''}")


def _print_json(data: Any) -> None:
    # Indented for a person at a terminal; compact (and several times faster, through the C
    # encoder) when piped into another program.
    print(json.dumps(data, indent=2 if sys.stdout.isatty() else None))


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
