"""The build recipe for every binary the kit ships, and the manifests that pin them.

Run ``python -m interopkit.build`` to rebuild all of them in place with zig (the ``build``
extra installs the pinned ``ziglang`` from PyPI) and rewrite the manifests; run
``python -m interopkit.build --check`` to rebuild into a temporary folder and compare byte for
byte with the committed files. ``TARGETS`` below is the single list of what is built, from
which source, for which zig target, with which flags and into which folder: later binaries
(surrogates, probes) are added here and nowhere else.

Builds are reproducible because zig's linkers write no time stamps (the PE TimeDateStamp is a
content hash), the outputs are stripped, and every build runs in a fresh temporary folder
with the same relative source name.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from interopkit.errors import ToolchainError
from interopkit.kit.samples import BIN_DIR, CSRC_DIR, SAMPLES_DIR

__all__ = [
    "TARGETS",
    "ZIG_VERSION",
    "Target",
    "build",
    "check",
    "main",
    "read_manifest",
    "verify_manifest",
    "zig_version",
]

ZIG_VERSION = "0.17.1"
"""The ziglang version pinned by the build extra; the manifests record the one used."""

MANIFEST = "MANIFEST.json"

_DLL = ("-shared", "-nostdlib", "-ffreestanding", "-fno-builtin", "-O2", "-s")
_WIN_EXE = ("-nostdlib", "-O2", "-s", "-lkernel32", "-Wl,--entry,probe_entry",
            "-Wl,--subsystem,console")
_LINUX_EXE = ("-static", "-O2", "-s")
_WIN_CRT_EXE = ("-O2", "-s", "-municode")  # with the C runtime; wmain for a UTF-16 DLL path
# The WOW64 probe (issue 18): the C runtime, the registry API, and for x86 one build with and
# one without IMAGE_FILE_LARGE_ADDRESS_AWARE, whose address-space ceilings differ.
_WINPROBE = (*_WIN_CRT_EXE, "-ladvapi32")


@dataclass(frozen=True)
class Target:
    """One binary: its file name, source, zig target triple, flags and destination."""

    file: str
    """Output file name."""
    source: str
    """C source in interopkit/csrc/."""
    zig_target: str
    """zig's ``-target`` triple."""
    flags: tuple[str, ...]
    """Compiler and linker flags."""
    dest: str
    """``samples`` (data/samples/) or ``bin`` (interopkit/bin/, shipped in the wheel)."""
    large_address_aware: bool = False
    """Set IMAGE_FILE_LARGE_ADDRESS_AWARE after linking (zig's linker has no flag for it)."""
    inputs: tuple[str, ...] = ()
    """More files in interopkit/csrc/ given to zig after ``source`` (C sources, a .def file)."""
    headers: tuple[str, ...] = ()
    """Files in interopkit/csrc/ that the sources include, copied beside them."""


def _sample(file: str, triple: str) -> Target:
    return Target(file, "sample.c", triple, _DLL, "samples")


# Real COM (issue 19): the sample library as a COM server, the proxy/stub DLLs widl's sources
# make (com/gen32, com/gen64; com/gen64w with _WIN64 defined, for HANDLE_PTR), a client and a
# capture tool, each for x86 and x64. Every one links the C runtime and COM's libraries.
_COM_LIBS = ("-lole32", "-loleaut32", "-luuid")
_COM_DLL = ("-shared", "-O2", "-s")
_COM_EXE = (*_WIN_CRT_EXE, "-Wl,--subsystem,console")
_COM_GEN = {"x86-windows-gnu": "com/gen32", "x86_64-windows-gnu": "com/gen64"}


def _com_server(file: str, triple: str) -> Target:
    gen = _COM_GEN[triple]
    return Target(file, "com/server.c", triple, (*_COM_DLL, *_COM_LIBS), "bin",
                  inputs=(f"{gen}/isample_i.c", "com/server.def"),
                  headers=("sample.c", f"{gen}/isample.h"))


def _com_proxy(file: str, triple: str, gen: str) -> Target:
    return Target(file, f"{gen}/isample_p.c", triple,
                  (*_COM_DLL, "-DREGISTER_PROXY_DLL", "-lrpcrt4", *_COM_LIBS), "bin",
                  inputs=(f"{gen}/isample_i.c", f"{gen}/dlldata.c", "com/proxy.def"),
                  headers=(f"{gen}/isample.h",))


def _com_exe(file: str, source: str, triple: str) -> Target:
    gen = _COM_GEN[triple]
    return Target(file, source, triple, (*_COM_EXE, *_COM_LIBS), "bin",
                  inputs=(f"{gen}/isample_i.c",), headers=(f"{gen}/isample.h",))


TARGETS: tuple[Target, ...] = (
    _sample("sample_x86.dll", "x86-windows-gnu"),
    _sample("sample_x64.dll", "x86_64-windows-gnu"),
    _sample("sample_arm64.dll", "aarch64-windows-gnu"),
    _sample("libsample_i386.so", "x86-linux-musl"),
    _sample("libsample_x86_64.so", "x86_64-linux-musl"),
    _sample("libsample_aarch64.so", "aarch64-linux-musl"),
    Target("probe-i386", "probe.c", "x86-linux-musl", _LINUX_EXE, "bin"),
    Target("probe-x86_64", "probe.c", "x86_64-linux-musl", _LINUX_EXE, "bin"),
    Target("probe_x86.exe", "probe.c", "x86-windows-gnu", _WIN_EXE, "bin"),
    Target("probe_x64.exe", "probe.c", "x86_64-windows-gnu", _WIN_EXE, "bin"),
    Target("probe_arm64.exe", "probe.c", "aarch64-windows-gnu", _WIN_EXE, "bin"),
    Target("surrogate-i386", "surrogate.c", "x86-linux-musl", _LINUX_EXE, "bin"),
    Target("surrogate-x86_64", "surrogate.c", "x86_64-linux-musl", _LINUX_EXE, "bin"),
    Target("surrogate_x86.exe", "surrogate.c", "x86-windows-gnu", _WIN_CRT_EXE, "bin"),
    Target("surrogate_x64.exe", "surrogate.c", "x86_64-windows-gnu", _WIN_CRT_EXE, "bin"),
    Target("winprobe_x86.exe", "winprobe.c", "x86-windows-gnu", _WINPROBE, "bin"),
    Target("winprobe_x86_laa.exe", "winprobe.c", "x86-windows-gnu", _WINPROBE, "bin",
           large_address_aware=True),
    Target("winprobe_x64.exe", "winprobe.c", "x86_64-windows-gnu", _WINPROBE, "bin"),
    Target("pipeecho-i386", "pipeecho.c", "x86-linux-musl", _LINUX_EXE, "bin"),
    Target("pipeecho-x86_64", "pipeecho.c", "x86_64-linux-musl", _LINUX_EXE, "bin"),
    _com_server("comserver_x86.dll", "x86-windows-gnu"),
    _com_server("comserver_x64.dll", "x86_64-windows-gnu"),
    _com_proxy("isampleps_x86.dll", "x86-windows-gnu", "com/gen32"),
    _com_proxy("isampleps_x64.dll", "x86_64-windows-gnu", "com/gen64"),
    _com_proxy("isampleps_x64_win64.dll", "x86_64-windows-gnu", "com/gen64w"),
    _com_exe("comclient_x86.exe", "com/client.c", "x86-windows-gnu"),
    _com_exe("comclient_x64.exe", "com/client.c", "x86_64-windows-gnu"),
    _com_exe("comcapture_x86.exe", "com/capture.c", "x86-windows-gnu"),
    _com_exe("comcapture_x64.exe", "com/capture.c", "x86_64-windows-gnu"),
)

_DESTINATIONS = {"samples": SAMPLES_DIR, "bin": BIN_DIR}


def zig_version() -> str:
    """The version of the zig that ``python -m ziglang`` runs; ToolchainError if none."""
    return _zig(["version"], cwd=None).strip()


def build(out: dict[str, Path] | None = None, targets: Iterable[Target] = TARGETS,
          progress: Callable[[Target], None] | None = None) -> list[Path]:
    """Build ``targets`` into ``out`` (``{"samples": dir, "bin": dir}``; default in place).

    Building in place also rewrites each folder's MANIFEST.json.
    """
    in_place = out is None
    folders = _DESTINATIONS if out is None else out
    if in_place:  # the C side's copy of the wire format follows interopkit/surrogate/wire.py
        from interopkit.surrogate.wire import c_header

        (CSRC_DIR / "wire.h").write_text(c_header(), encoding="utf-8")
    version = zig_version()
    built: list[Path] = []
    for target in targets:
        if progress:
            progress(target)
        built.append(_build_one(target, folders[target.dest]))
    if in_place:
        for dest, folder in folders.items():
            _write_manifest(folder, [t for t in TARGETS if t.dest == dest], version)
    return built


def check() -> list[str]:
    """Rebuild everything into a temporary folder; list every difference from the manifests."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="interopkit-build-") as tmp:
        out = {dest: Path(tmp, dest) for dest in _DESTINATIONS}
        build(out)
        for dest, folder in _DESTINATIONS.items():
            recorded = {e["file"]: e for e in read_manifest(folder)["files"]}
            for target in (t for t in TARGETS if t.dest == dest):
                digest = _sha256(out[dest] / target.file)
                if target.file not in recorded:
                    problems.append(f"{target.file}: not in {folder / MANIFEST}")
                elif recorded[target.file]["sha256"] != digest:
                    problems.append(f"{target.file}: rebuilt sha256 {digest} differs from the "
                                    f"manifest's {recorded[target.file]['sha256']}")
    return problems


def read_manifest(folder: Path) -> dict:
    """The manifest of a folder of built files."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ToolchainError(str(folder / MANIFEST), f"cannot be read ({exc})",
                             "Rebuild with: python -m interopkit.build") from exc


def verify_manifest(folder: Path) -> list[str]:
    """Compare the files in ``folder`` with its manifest (size and sha256); list problems."""
    problems = []
    for entry in read_manifest(folder)["files"]:
        path = folder / entry["file"]
        if not path.is_file():
            problems.append(f"{entry['file']}: missing")
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            problems.append(f"{entry['file']}: size or sha256 differs from the manifest")
    return problems


def _build_one(target: Target, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="interopkit-zig-") as tmp:
        # Every file lands in one flat folder under its own name, the same for every build.
        names = [Path(f).name for f in (target.source, *target.inputs)]
        for relative in (target.source, *target.inputs, *target.headers):
            shutil.copyfile(CSRC_DIR / relative, Path(tmp, Path(relative).name))
        for header in CSRC_DIR.glob("*.h"):  # wire.h, generated from interopkit/surrogate/wire.py
            shutil.copyfile(header, Path(tmp, header.name))
        _zig(["cc", "-target", target.zig_target, *target.flags, "-o", target.file, *names],
             cwd=tmp)
        destination = folder / target.file
        if target.large_address_aware:
            _set_large_address_aware(Path(tmp, target.file))
        shutil.copyfile(Path(tmp, target.file), destination)
        destination.chmod(0o755)
    return destination


def _set_large_address_aware(path: Path) -> None:
    """Set bit 0x20 of the COFF header's Characteristics, as ``editbin /LARGEADDRESSAWARE``
    does: zig's linker accepts no flag for it. The PE checksum stays 0 (not checked for EXEs)."""
    data = bytearray(path.read_bytes())
    pe = int.from_bytes(data[0x3C:0x40], "little")
    if data[pe:pe + 4] != b"PE\0\0":
        raise ToolchainError(path.name, "is not a PE image after linking",
                             "Check the zig target of this binary in interopkit/build.py")
    offset = pe + 4 + 18  # Signature, then Machine .. SizeOfOptionalHeader (18 bytes)
    flags = int.from_bytes(data[offset:offset + 2], "little") | 0x20
    data[offset:offset + 2] = flags.to_bytes(2, "little")
    path.write_bytes(bytes(data))


def _zig(args: list[str], cwd: str | None) -> str:
    command = [sys.executable, "-m", "ziglang", *args]
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainError("zig", f"could not run ({exc})", _REMEDY) from exc
    if result.returncode != 0:
        if "No module named ziglang" in result.stderr:
            raise ToolchainError("zig", "is not installed", _REMEDY)
        raise ToolchainError("zig " + " ".join(args[:3]), f"failed:\n{result.stderr.strip()}",
                             "Check the C source in interopkit/csrc/")
    return result.stdout


_REMEDY = f'Install the build extra: pip install -e ".[build]" (ziglang=={ZIG_VERSION})'


def _write_manifest(folder: Path, targets: list[Target], version: str) -> None:
    files = [{
        "file": t.file, "source": f"interopkit/csrc/{t.source}", "target": t.zig_target,
        "flags": list(t.flags), "size": (folder / t.file).stat().st_size,
        "sha256": _sha256(folder / t.file),
        **({"inputs": [f"interopkit/csrc/{f}" for f in t.inputs]} if t.inputs else {}),
    } for t in targets]
    manifest = {"generator": "python -m interopkit.build", "zig_version": version,
                "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """``python -m interopkit.build [--check]``."""
    parser = argparse.ArgumentParser(prog="python -m interopkit.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary folder and compare with the manifests")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check()
            for problem in problems:
                print(problem, file=sys.stderr)
            print(f"{len(TARGETS)} binaries rebuilt with zig {zig_version()}: "
                  f"{'all identical' if not problems else f'{len(problems)} differ'}")
            return 1 if problems else 0
        for path in build(progress=lambda t: print(f"building {t.file} ({t.zig_target})")):
            print(f"  {path.name}: {path.stat().st_size} bytes")
    except ToolchainError as exc:
        print(f"interopkit: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
