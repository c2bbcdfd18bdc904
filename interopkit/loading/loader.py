"""A model of the Windows loader's bitness rules: which process can load which image, and
which EXE runs how on which Windows.

Built from Microsoft's pages and the other sources in ``interopkit.sources``; every rule carries
its source keys and how sure the kit is of it:

* documented: a Microsoft page (or .NET's own header) says so;
* derived: follows from documented rules, but no page states this case;
* reported: said by press or third parties, not by Microsoft;
* unverified: the kit's sources do not settle it; the lesson says so.

Error codes: ``LoadLibrary`` of an image of the wrong architecture gives ERROR_BAD_EXE_FORMAT
(193); a process whose static imports include one fails at start with 0xC000007B; .NET gives
BadImageFormatException (0x8007000B). Which of 193 and 216 Windows returns in which case is
not documented (no source the kit found says; ERR0-499 gives only the messages), so outcomes
list the other code as an alternative; Wine reports 193 for both. 126 (ERROR_MOD_NOT_FOUND)
means the DLL *or a DLL it depends on* was not found. On a machine that is not Windows this is
a model, and the lesson says so; on Windows, ``interopkit.loading.realload`` shows the real answer
beside it. Taught in notebook 03.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from interopkit.images.machine import Machine
from interopkit.loading.kinds import Host, ProcessKind
from interopkit.winerror import WinError

if TYPE_CHECKING:  # only for annotations: the CLI imports this module to build its options
    from interopkit.images.inspection import ImageInfo

__all__ = [
    "LOAD_MODES",
    "Certainty",
    "Host",
    "ImageKind",
    "LoadOutcome",
    "ProcessKind",
    "StartOutcome",
    "image_kind",
    "load_outcome",
    "matrix",
    "process_kind_for",
    "process_on_host",
    "start_outcome",
]

LOAD_MODES = ("execute", "datafile", "image_resource")
"""How LoadLibraryEx is asked to load: for execution, or as data (any bitness loads)."""


class ImageKind(str, Enum):
    """What a DLL or EXE is, as far as the loader's bitness rules care."""

    I386 = "I386"
    AMD64 = "AMD64"
    ARMNT = "ARMNT"
    ARM64 = "ARM64"
    ARM64EC = "ARM64EC"
    ARM64X = "ARM64X"
    CHPE_X86 = "CHPE_X86"
    NET_ANYCPU = "NET-AnyCPU"
    NET_PREFER32 = "NET-prefer-32"
    NET_X86 = "NET-x86"
    NET_X64 = "NET-x64"
    NET_ARM64 = "NET-ARM64"

    @property
    def managed(self) -> bool:
        """True for .NET IL images, which the CLR loads by their CLR flags."""
        return self.value.startswith("NET-")

    @property
    def description(self) -> str:
        """What the image is, in a few words."""
        return _IMAGE_WORDS[self]


_IMAGE_WORDS = {
    ImageKind.I386: "32-bit x86 code (Machine 0x14C)",
    ImageKind.AMD64: "64-bit x64 code (Machine 0x8664)",
    ImageKind.ARMNT: "32-bit ARM code (Machine 0x1C4)",
    ImageKind.ARM64: "classic Arm64 code (Machine 0xAA64)",
    ImageKind.ARM64EC: "ARM64EC code as shipped: an x64 header (0x8664) with hybrid metadata",
    ImageKind.ARM64X: "ARM64X: classic Arm64 and ARM64EC/x64 code in one file (header 0xAA64)",
    ImageKind.CHPE_X86: "CHPE x86: x86 image with Arm64 code inside (Windows 10 on Arm)",
    ImageKind.NET_ANYCPU: ".NET IL, AnyCPU (PE32, ILONLY)",
    ImageKind.NET_PREFER32: ".NET IL, AnyCPU-prefer-32-bit (32BITREQ + 32BITPREF)",
    ImageKind.NET_X86: ".NET IL, x86-only (32BITREQ)",
    ImageKind.NET_X64: ".NET IL, x64-only (PE32+, Machine 0x8664)",
    ImageKind.NET_ARM64: ".NET IL, Arm64-only (PE32+, Machine 0xAA64)",
}


class Certainty(str, Enum):
    """How sure the kit's sources make a rule."""

    DOCUMENTED = "documented"
    DERIVED = "derived from documented rules"
    REPORTED = "reported, not documented"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class LoadOutcome:
    """What happens when a process of one kind loads an image of another, on one Windows."""

    process: ProcessKind
    """The loading process."""
    image: ImageKind
    """The image being loaded."""
    host: Host
    """The Windows it happens on."""
    mode: str
    """``execute``, ``datafile`` or ``image_resource``."""
    possible: bool
    """False when no such process can run on this host at all."""
    loads: bool
    """True when the load succeeds."""
    error: WinError | None
    """The error Windows reports when it fails (None when it loads or is impossible)."""
    alternatives: tuple[WinError, ...]
    """Other codes Windows may report instead (which one appears when is not documented)."""
    explanation: str
    """Why, in plain words."""
    remedy: str
    """What to do about a failure (empty when it loads)."""
    certainty: Certainty
    """How sure the sources make this outcome."""
    sources: tuple[str, ...]
    """Source keys behind it (``interopkit.sources``)."""

    @property
    def error_name(self) -> str | None:
        """``ERROR_BAD_EXE_FORMAT`` ... or None."""
        return self.error.name if self.error is not None else None

    def message(self, name: str = "the DLL") -> str:
        """Windows' message text for the error, with ``%1`` filled in ('' when no error)."""
        return self.error.phrase.replace("%1", name) if self.error is not None else ""


@dataclass(frozen=True)
class StartOutcome:
    """What happens when an EXE of one kind is started (CreateProcess) on one Windows."""

    exe: ImageKind
    """The EXE."""
    host: Host
    """The Windows."""
    runs: bool
    """True when it starts."""
    process: ProcessKind | None
    """The kind of process it runs as."""
    how: str
    """``native``, ``WOW64``, ``WOW64 + x86 emulation``, ``x64 emulation`` ... or ``not at all``."""
    error: WinError | None
    """The error when it cannot start."""
    alternatives: tuple[WinError, ...]
    """Other codes Windows may report instead."""
    explanation: str
    """Why."""
    certainty: Certainty
    """How sure the sources make this."""
    sources: tuple[str, ...]
    """Source keys behind it (``interopkit.sources``)."""


@dataclass(frozen=True)
class _Rule:
    ok: bool
    how: str
    why: str
    certainty: Certainty
    sources: tuple[str, ...]


_D, _DER, _REP, _UNV = (Certainty.DOCUMENTED, Certainty.DERIVED, Certainty.REPORTED,
                        Certainty.UNVERIFIED)


def process_on_host(process: ProcessKind, host: Host) -> _Rule:
    """Whether (and how) a process of this kind can run on this host."""
    if not host.is_arm:
        if process is ProcessKind.X64:
            return _Rule(True, "native", "x64 Windows runs x64 code natively.", _D, ("W64-IMPL",))
        if process is ProcessKind.X86:
            return _Rule(True, "WOW64", "WOW64 runs x86 code natively on the CPU in "
                         "compatibility mode; system calls are thunked.", _D,
                         ("W64-IMPL", "W64-PERF"))
        return _Rule(False, "not at all", f"x64 Windows has no emulator for {process.value} "
                     "code.", _D, ("ARM-EMU",))
    if process is ProcessKind.ARM64:
        return _Rule(True, "native", "Windows on Arm runs Arm64 code natively.", _D, ("ARM-EMU",))
    if process is ProcessKind.X86:
        return _Rule(True, "WOW64 + x86 emulation", "x86 apps go through WOW64 as on x64, and "
                     "the x86 emulator (xtajit.dll) translates their code to Arm64.", _D,
                     ("ARM-EMU", "W64-IMPL"))
    if process is ProcessKind.ARM32:
        if host is Host.WIN11_ARM64_NO_ARM32:
            return _Rule(False, "not at all", "Microsoft says support for 32-bit Arm apps will be "
                         "removed in a future release of Windows 11, as Arm processors drop "
                         "AArch32, and names no release (ARM32-DOC); the press reported 32-bit "
                         "Arm apps gone from Insider build 25905 in 2023 (PRESS-ARM32).", _D,
                         ("ARM32-DOC", "PRESS-ARM32"))
        return _Rule(True, "WOW64 (ARM32)", "32-bit Arm apps run under WOW64 with their own "
                     "SysArm32 folder and WowAA32Node registry view.", _D, ("W64-IMPL", "W64-FSR"))
    if host is Host.WIN10_ARM64:
        what = "x64" if process is ProcessKind.X64 else "ARM64EC"
        return _Rule(False, "not at all", f"Windows 10 on Arm emulates x86 only: no {what} "
                     "processes (x64 emulation and ARM64EC are Windows 11).", _D,
                     ("ARM-EMU", "ARM64EC"))
    if process is ProcessKind.X64:
        return _Rule(True, "x64 emulation (no WOW64)", "Windows 11 on Arm emulates x64 without "
                     "WOW64: no redirection, and the system DLLs are Arm64X files.", _D,
                     ("ARM-EMU", "ARM64X"))
    return _Rule(True, "ARM64EC", "An ARM64EC process follows x64 conventions, so emulated x64 "
                 "code and native ARM64EC code share it.", _D, ("ARM64EC",))


# What each process kind loads for execution. Anything not listed fails with 193.
_NATIVE: dict[ProcessKind, dict[ImageKind, tuple[Certainty, tuple[str, ...]]]] = {
    ProcessKind.X86: {ImageKind.I386: (_D, ("W64-RUN",))},
    ProcessKind.X64: {ImageKind.AMD64: (_D, ("W64-RUN", "ARM64EC"))},
    ProcessKind.ARM64EC: {ImageKind.AMD64: (_D, ("ARM64EC",)),
                          ImageKind.ARM64EC: (_D, ("ARM64EC",)),
                          ImageKind.ARM64X: (_D, ("ARM64EC", "ARM64X"))},
    ProcessKind.ARM64: {ImageKind.ARM64: (_D, ("ARM64EC",)),
                        ImageKind.ARM64X: (_D, ("ARM64EC", "ARM64X"))},
    ProcessKind.ARM32: {ImageKind.ARMNT: (_DER, ("W64-IMPL", "W64-RUN"))},
}
# Only on Windows on Arm: an x64 process there is the ARM64EC process model, and x86 processes
# may load CHPE images.
_ON_ARM: dict[ProcessKind, dict[ImageKind, tuple[Certainty, tuple[str, ...]]]] = {
    ProcessKind.X64: _NATIVE[ProcessKind.ARM64EC],
    ProcessKind.X86: {ImageKind.I386: (_D, ("W64-RUN",)),
                      ImageKind.CHPE_X86: (_D, ("W64-IMPL",))},
}
# Managed images: which processes the CLR lets them into.
_MANAGED: dict[ImageKind, tuple[frozenset[ProcessKind], Certainty, tuple[str, ...], str]] = {
    ImageKind.NET_ANYCPU: (frozenset(ProcessKind), _DER, ("CSC-PLATFORM",),
                           "An AnyCPU DLL runs in whatever CLR the host process already runs."),
    ImageKind.NET_X86: (frozenset({ProcessKind.X86}), _D, ("CORFLAGS", "CORHDR"),
                        "32BITREQUIRED: only 32-bit x86 processes load it."),
    ImageKind.NET_PREFER32: (frozenset({ProcessKind.X86}), _D,
                             ("CORFLAGS",), ("32BITPREF on a DLL makes it fail to load in "
                             "64-bit processes (an EXE with the flag still starts; only DLLs "
                             "fail).")),
    ImageKind.NET_X64: (frozenset({ProcessKind.X64, ProcessKind.ARM64EC}), _DER,
                        ("CSC-PLATFORM",), "A PE32+ x64 IL image runs only as x64 code."),
    ImageKind.NET_ARM64: (frozenset({ProcessKind.ARM64}), _DER, ("CSC-PLATFORM",),
                          "A PE32+ Arm64 IL image runs only as Arm64 code."),
}


def load_outcome(process: ProcessKind | str, image: ImageKind | str, host: Host | str,
                 mode: str = "execute") -> LoadOutcome:
    """The model's answer for ``LoadLibrary(Ex)`` of ``image`` in a ``process`` on ``host``."""
    process, image, host = ProcessKind(process), ImageKind(image), Host(host)
    if mode not in LOAD_MODES:
        from interopkit.errors import UsageError
        raise UsageError(f"mode {mode!r}", "is not a load mode", f"Use one of {LOAD_MODES}")
    base = {"process": process, "image": image, "host": host, "mode": mode}
    running = process_on_host(process, host)
    if not running.ok:
        return LoadOutcome(**base, possible=False, loads=False, error=None, alternatives=(),
                           explanation=f"No {process.value} process exists here: {running.why}",
                           remedy="", certainty=running.certainty, sources=running.sources)
    if mode != "execute":
        return LoadOutcome(**base, possible=True, loads=True, error=None, alternatives=(),
                           explanation="Loaded as a data file or image resource, no code runs, "
                           "so the bitness rule does not apply.", remedy="",
                           certainty=_D, sources=("W64-RUN", "W64-PROCINT"))
    if image.managed:
        return _managed(base, process, image)
    table = _ON_ARM.get(process, _NATIVE[process]) if host.is_arm else _NATIVE[process]
    if image in table:
        certainty, sources = table[image]
        if image is ImageKind.CHPE_X86 and host is not Host.WIN10_ARM64:
            certainty = _UNV  # Microsoft documents CHPE loading for Windows 10 on Arm only
        return LoadOutcome(**base, possible=True, loads=True, error=None, alternatives=(),
                           explanation=f"An {process.value} process runs {_code_of(image)}.",
                           remedy="", certainty=certainty, sources=sources)
    certainty, sources = _failure_certainty(process, image, host)
    return LoadOutcome(
        **base, possible=True, loads=False, error=WinError.ERROR_BAD_EXE_FORMAT,
        alternatives=(WinError.ERROR_EXE_MACHINE_TYPE_MISMATCH,),
        explanation=f"A {process.bits}-bit {process.value} process cannot run "
                    f"{_code_of(image)}: {_why_not(process, image)}",
        remedy=_remedy(process, image), certainty=certainty,
        sources=(*sources, "ERR0-499", "MSL-36"))


def _managed(base: dict, process: ProcessKind, image: ImageKind) -> LoadOutcome:
    allowed, certainty, sources, why = _MANAGED[image]
    if process in allowed:
        return LoadOutcome(**base, possible=True, loads=True, error=None, alternatives=(),
                           explanation=why, remedy="", certainty=certainty, sources=sources)
    if process is ProcessKind.ARM32:
        certainty = _UNV  # the sources say what 32BITREQ means for x86, not for 32-bit Arm
    remedy = ("Rebuild the assembly as AnyCPU without Prefer32Bit (Prefer32Bit is for EXEs)"
              if image is ImageKind.NET_PREFER32 else
              "Rebuild the assembly as AnyCPU, or host it in a process of the right bitness")
    return LoadOutcome(**base, possible=True, loads=False, error=WinError.COR_E_BADIMAGEFORMAT,
                       alternatives=(), explanation=f"{why} The CLR throws "
                       "BadImageFormatException.", remedy=remedy, certainty=certainty,
                       sources=(*sources, "BADIMG"))


def _code_of(image: ImageKind) -> str:
    return {ImageKind.I386: "x86 code", ImageKind.AMD64: "x64 code",
            ImageKind.ARMNT: "32-bit Arm code", ImageKind.ARM64: "classic Arm64 code",
            ImageKind.ARM64EC: "ARM64EC code", ImageKind.ARM64X: "an ARM64X image",
            ImageKind.CHPE_X86: "a CHPE x86 image"}[image]


def _why_not(process: ProcessKind, image: ImageKind) -> str:
    if image is ImageKind.ARM64 and process in (ProcessKind.X64, ProcessKind.ARM64EC):
        return ("classic Arm64 code follows the Arm64 ABI, while this process follows x64 "
                "conventions (ARM64EC).")
    if image in (ImageKind.AMD64, ImageKind.ARM64EC) and process is ProcessKind.ARM64:
        return "a classic Arm64 process cannot host x64 or ARM64EC code."
    image_bits = 32 if image in (ImageKind.I386, ImageKind.ARMNT, ImageKind.CHPE_X86) else 64
    if image_bits != process.bits:
        return (f"its pointers are {image_bits // 8} bytes and the process's {process.bits // 8}; "
                "the address space, calling convention and data layouts do not match.")
    return "the Machine field names another instruction set."


def _failure_certainty(process: ProcessKind, image: ImageKind,
                       host: Host) -> tuple[Certainty, tuple[str, ...]]:
    if image in (ImageKind.ARM64EC, ImageKind.CHPE_X86) and not host.is_arm:
        # These exist for Windows on Arm; no source says what an x64 Windows loader does.
        return _UNV, ("ARM64EC", "W64-IMPL")
    if image is ImageKind.ARM64X and not host.is_arm:
        return _DER, ("ARM64X",)  # by default an ARM64X file looks like plain Arm64
    if process in (ProcessKind.X64, ProcessKind.ARM64EC, ProcessKind.ARM64) and host.is_arm:
        return _D, ("ARM64EC",)
    return _D, ("W64-RUN", "W64-PROCINT")


def _remedy(process: ProcessKind, image: ImageKind) -> str:
    if process is ProcessKind.ARM64 and image in (ImageKind.AMD64, ImageKind.ARM64EC):
        return ("Build the DLL as ARM64X (both Arm64 and x64 processes load it), or run the app "
                "as x64/ARM64EC")
    if image is ImageKind.ARM64 and process in (ProcessKind.X64, ProcessKind.ARM64EC):
        return "Build the DLL as ARM64X or ARM64EC, which x64 processes load"
    if process.bits == 64:
        return ("Rebuild the DLL for this architecture, or host it out of process in a "
                "surrogate of its own bitness and call it across processes (notebook 05)")
    return ("Rebuild the app as 64-bit, or host the DLL in a 64-bit surrogate process "
            "(notebook 05)")


def start_outcome(exe: ImageKind | str, host: Host | str) -> StartOutcome:
    """The model's answer for starting an EXE of this kind on this host (CreateProcess)."""
    exe, host = ImageKind(exe), Host(host)
    process, certainty, sources = _process_for_exe(exe, host)
    if process is None:
        return StartOutcome(exe, host, False, None, "not at all",
                            WinError.ERROR_EXE_MACHINE_TYPE_MISMATCH,
                            (WinError.ERROR_BAD_EXE_FORMAT,),
                            f"{exe.description}: no process of that kind runs on "
                            f"{host.label}.", certainty, sources)
    running = process_on_host(process, host)
    if not running.ok:
        return StartOutcome(exe, host, False, process, "not at all",
                            WinError.ERROR_EXE_MACHINE_TYPE_MISMATCH,
                            (WinError.ERROR_BAD_EXE_FORMAT,), running.why,
                            _weaker(running.certainty, certainty),
                            (*sources, *running.sources, "ERR0-499"))
    return StartOutcome(exe, host, True, process, running.how, None, (), running.why,
                        _weaker(running.certainty, certainty), (*sources, *running.sources))


def _process_for_exe(exe: ImageKind,
                     host: Host) -> tuple[ProcessKind | None, Certainty, tuple[str, ...]]:
    plain = {ImageKind.I386: ProcessKind.X86, ImageKind.AMD64: ProcessKind.X64,
             ImageKind.ARMNT: ProcessKind.ARM32, ImageKind.ARM64: ProcessKind.ARM64,
             ImageKind.NET_X86: ProcessKind.X86, ImageKind.NET_X64: ProcessKind.X64,
             ImageKind.NET_ARM64: ProcessKind.ARM64}
    if exe in plain:
        return plain[exe], _D, ("PE-FMT",)
    if exe is ImageKind.ARM64EC:
        return (ProcessKind.ARM64EC, _D, ("ARM64EC",)) if host.is_arm else (None, _UNV,
                                                                             ("ARM64EC",))
    if exe is ImageKind.ARM64X:
        return ProcessKind.ARM64, _DER, ("ARM64X",)
    if exe is ImageKind.CHPE_X86:
        return (ProcessKind.X86, _DER, ("W64-IMPL",)) if host.is_arm else (None, _UNV,
                                                                            ("W64-IMPL",))
    if exe is ImageKind.NET_PREFER32:
        return ProcessKind.X86, _D, ("CSC-PLATFORM",)
    # AnyCPU EXE: 64-bit where possible (CSC-PLATFORM, SADOV). Which CLR it gets on Windows on
    # Arm is not covered by the kit's sources.
    if host.is_arm:
        return ProcessKind.ARM64, _UNV, ("CSC-PLATFORM",)
    return ProcessKind.X64, _D, ("CSC-PLATFORM", "SADOV")


def _weaker(first: Certainty, second: Certainty) -> Certainty:
    order = list(Certainty)
    return max(first, second, key=order.index)


def matrix(host: Host | str, mode: str = "execute",
           images: tuple[ImageKind, ...] = tuple(ImageKind)) -> list[list[LoadOutcome]]:
    """Every process kind (rows) against every image kind (columns) on one host."""
    return [[load_outcome(process, image, host, mode) for image in images]
            for process in ProcessKind]


def image_kind(info: ImageInfo) -> ImageKind:
    """The loader-relevant kind of an inspected image.

    Hybrid images are recognised from the hybrid (CHPE) metadata their load configuration
    points at: an ARM64EC DLL has an x64 header, an ARM64X DLL an Arm64 one (ARM64EC).
    """
    hybrid = {"ARM64EC": ImageKind.ARM64EC, "ARM64X": ImageKind.ARM64X,
              "CHPE": ImageKind.CHPE_X86}.get(getattr(info, "hybrid", None) or "")
    if hybrid is not None:
        return hybrid
    if info.clr is not None and "ILONLY" in info.clr.flags:
        by_platform = {"AnyCPU": ImageKind.NET_ANYCPU,
                       "AnyCPU-prefer-32-bit": ImageKind.NET_PREFER32,
                       "x86-only": ImageKind.NET_X86, "x64-only": ImageKind.NET_X64,
                       "ARM64-only": ImageKind.NET_ARM64}
        if info.clr.platform in by_platform:
            return by_platform[info.clr.platform]
    # CHPE_X86 (0x3A64), ARM64EC (0xA641) and ARM64X (0xA64E) are real COFF values, defined
    # together in the WDK's ntimage.h (SYSINF-376), but they mark object files: a finished
    # image says 0x14C, 0x8664 or 0xAA64 (ARM64EC). A file that carries one anyway is taken for
    # what the value names.
    by_machine = {Machine.I386: ImageKind.I386, Machine.AMD64: ImageKind.AMD64,
                  Machine.ARMNT: ImageKind.ARMNT, Machine.ARM64: ImageKind.ARM64,
                  Machine.ARM64EC: ImageKind.ARM64EC, Machine.ARM64X: ImageKind.ARM64X,
                  Machine.CHPE_X86: ImageKind.CHPE_X86}
    if info.machine in by_machine:
        return by_machine[info.machine]
    from interopkit.errors import ImageError
    raise ImageError(info.path, f"has machine {info.machine_name}, which Windows on x64 or Arm "
                     "does not load", "The loader model covers x86, x64, ARM32 and Arm64 "
                     "images", WinError.ERROR_BAD_EXE_FORMAT)


def process_kind_for(machine: Machine | None, bits: int) -> ProcessKind | None:
    """The process kind that runs code of this machine natively (None if none)."""
    return {(Machine.I386, 32): ProcessKind.X86, (Machine.AMD64, 64): ProcessKind.X64,
            (Machine.ARMNT, 32): ProcessKind.ARM32,
            (Machine.ARM64, 64): ProcessKind.ARM64}.get((machine, bits))  # type: ignore[arg-type]
