"""The primary sources the kit cites, by key, and the questions they leave open.

Every rule in the kit's models names its sources by key (``W64-RUN``, ``ARM64EC`` ...); this
table turns a key into a title, an address and what the kit takes from it, so a notebook or a
command can print the reference, and a test can check that no rule cites a key that is not here.
``docs/sources.md`` is made from this module (``python -m interopkit.sources``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OPEN_QUESTIONS", "SOURCES", "TAKES", "OpenQuestion", "cite", "markdown"]

_LEARN = "https://learn.microsoft.com/"

SOURCES: dict[str, tuple[str, str]] = {
    "W64-IMPL": ("Microsoft, WOW64 Implementation Details",
                 _LEARN + "windows/win32/winprog64/wow64-implementation-details"),
    "W64-RUN": ("Microsoft, Running 32-bit Applications",
                _LEARN + "windows/win32/winprog64/running-32-bit-applications"),
    "W64-PERF": ("Microsoft, Performance and Memory Consumption Under WOW64",
                 _LEARN + "windows/win32/winprog64/performance-and-memory-consumption"),
    "W64-IPC": ("Microsoft, Interprocess Communication Between 32-bit and 64-bit Applications",
                _LEARN + "windows/win32/winprog64/interprocess-communication"),
    "W64-PROCINT": ("Microsoft, Process Interoperability",
                    _LEARN + "windows/win32/winprog64/process-interoperability"),
    "W64-FSR": ("Microsoft, File System Redirector",
                _LEARN + "windows/win32/winprog64/file-system-redirector"),
    "W64-REGR": ("Microsoft, Registry Redirector",
                 _LEARN + "windows/win32/winprog64/registry-redirector"),
    "W64-REGKEYS": ("Microsoft, Registry Keys Affected by WOW64",
                    _LEARN + "windows/win32/winprog64/shared-registry-keys"),
    "W64-ALTVIEW": ("Microsoft, Accessing an Alternate Registry View",
                    _LEARN + "windows/win32/winprog64/accessing-an-alternate-registry-view"),
    "ARM-EMU": ("Microsoft, How emulation works on Arm",
                _LEARN + "windows/arm/apps-on-arm-x86-emulation"),
    "ARM64EC": ("Microsoft, Arm64EC: build and port apps for native performance on Arm",
                _LEARN + "windows/arm/arm64ec"),
    "ARM64X": ("Microsoft, Arm64X PE files", _LEARN + "windows/arm/arm64x-pe"),
    "ARM32-DOC": ("Microsoft, Arm32 to Arm64 (AArch32 removal)",
                  _LEARN + "windows/arm/arm32-to-arm64"),
    "PRESS-ARM32": ("Press reports on ARM32 app removal (Insider build 25905; Build 2023)",
                    ("https://windowscentral.com/software-apps/windows-11/"
                    "windows-12-and-qualcomm-oryon-processors-will-not-support-arm32-apps")),
    "ERR0-499": ("Microsoft, System Error Codes (0-499)",
                 _LEARN + "windows/win32/debug/system-error-codes--0-499-"),
    "MS-ERREF": ("[MS-ERREF] 2.3.1 NTSTATUS Values",
                 _LEARN + "openspecs/windows_protocols/ms-erref/"
                 "596a1078-e883-4972-9bbc-49e60bebca55"),
    "DSVC-7B": ("Microsoft support blog, Diagnosing STATUS_INVALID_IMAGE_FORMAT (C000007B)",
                _LEARN + "archive/blogs/dsvc/"
                "diagnosing-status_invalid_image_format-c000007b-errors"),
    "MSL-36": ("msl-loadlib issue 36 (WinError 193 from a wrong-bitness numpy)",
               "https://github.com/MSLNZ/msl-loadlib/issues/36"),
    "MSL-40": ("msl-loadlib issue 40 (how a call travels: pickle, temporary file, HTTP)",
               "https://github.com/MSLNZ/msl-loadlib/issues/40"),
    "DCOM-THAI": ("T. L. Thai, Learning DCOM (O'Reilly 1999), appendix B performance tables",
                  "https://www.oreilly.com/library/view/learning-dcom/9781449307011/apbs02.html"),
    "BADIMG": ("Microsoft, BadImageFormatException class, .NET 1.1 docs (HRESULT 0x8007000B)",
               _LEARN + "ja-jp/previous-versions/dotnet/netframework-1.1/92hkyaf2(v=vs.71)"),
    "CORFLAGS": ("Microsoft, CorFlags.exe (CorFlags Conversion Tool)",
                 _LEARN + "dotnet/framework/tools/corflags-exe-corflags-conversion-tool"),
    "CSC-PLATFORM": ("Microsoft, /platform (C# Compiler Options)",
                     _LEARN + "previous-versions/visualstudio/visual-studio-2013/"
                     "zekwfyz4(v=vs.120)"),
    "SADOV": ("V. Sadov, Loading platform neutral (anycpu) executables on 64bit machine",
              _LEARN + "archive/blogs/vladimirsadov/"
              "loading-platform-neutral-anycpu-executables-on-64bit-machine"),
    "CORHDR": (".NET runtime, src/coreclr/inc/corhdr.h (CorPEKind)",
               "https://github.com/dotnet/runtime/blob/main/src/coreclr/inc/corhdr.h"),
    "PE-FMT": ("Microsoft, PE Format", _LEARN + "windows/win32/debug/pe-format"),
    "WINE-WINNT": ("Wine, include/winnt.h", "https://gitlab.winehq.org/wine/wine"),
    "SYSINF-376": ("System Informer issue 376 (CHPE_X86 in the WDK's ntimage.h)",
                   "https://github.com/winsiderss/systeminformer/issues/376"),
    "FFRI-CHAM": ("FFRI, Project Chameleon (CHPE and CHPEv2 images)",
                  "https://github.com/FFRI/ProjectChameleon"),
    "ISWOW2": ("Microsoft, IsWow64Process2",
               _LEARN + "windows/win32/api/wow64apiset/nf-wow64apiset-iswow64process2"),
    "CHEN-TECHNET": ("R. Chen, Windows Confidential: History, the Long Way Through",
                     _LEARN + "previous-versions/technet-magazine/ff955767(v=msdn.10)"),
    "WINE-WOW64CPU": ("Wine, dlls/wow64cpu/cpu.c", "https://gitlab.winehq.org/wine/wine"),
    "ROSETTA-MR": ("Unilad, quoting MacRumors: Rosetta 2 Geekbench scores",
                   ("https://www.unilad.co.uk/technology/"
                   "the-new-mac-mini-is-faster-than-every-intel-mac/")),
    "BOX86-2022": ("box86.org, Box86/Box64 vs QEMU vs FEX (vs Rosetta2)",
                   "https://box86.org/2022/03/box86-box64-vs-qemu-vs-fex-vs-rosetta2/"),
    "LLVM-D149089": ("LLVM review D149089: CHPE metadata in the load configuration",
                     "https://reviews.llvm.org/D149089"),
    "CLSCTX": ("Microsoft, CLSCTX enumeration",
              _LEARN + "windows/win32/api/wtypesbase/ne-wtypesbase-clsctx"),
    "MS-RPCE": ("[MS-RPCE] Remote Procedure Call Protocol Extensions",
                _LEARN + "openspecs/windows_protocols/ms-rpce"),
    "COM-DLLSURR": ("Microsoft, DLL Surrogates", _LEARN + "windows/win32/com/dll-surrogates"),
    "COM-SURR": ("Microsoft, DllSurrogate",
                _LEARN + "windows/win32/com/dllsurrogate"),
    "COM-SURREXE": ("Microsoft, DllSurrogateExecutable",
                   _LEARN + "windows/win32/com/dllsurrogateexecutable"),
    "COM-SURRREG": ("Microsoft, Registering the DLL Server for Surrogate Activation",
                   _LEARN + "windows/win32/com/registering-the-dll-server-for-surrogate-"
                            "activation"),
    "COM-SYSSURR": ("Microsoft, Using the System-Supplied Surrogate",
                   _LEARN + "windows/win32/com/using-the-system-supplied-surrogate"),
    "COM-PSB": ("Microsoft, PreferredServerBitness",
               _LEARN + "windows/win32/com/preferredserverbitness"),
    "COM-INPROC": ("Microsoft, InprocServer32",
                  _LEARN + "windows/win32/com/inprocserver32"),
    "WINE-WTYPES": ("Wine, include/wtypes.idl (CLSCTX values)", "https://gitlab.winehq.org/wine/wine"),
    "WINERROR-H": ("Windows SDK, winerror.h (REGDB_E_CLASSNOTREG, E_INVALIDARG, E_NOINTERFACE)",
                   _LEARN + "windows/win32/com/com-error-codes"),
    "DEVPEACE": ("Q&A mirror quoting an MSDN community note (zero-extend; low authority)",
                 ("https://devpeace.com/windows/18266626/what-is-the-range-of-a-windows-handle-"
                  "on-a-64-bits-application")),
    "CHEN-IHV": ("R. Chen, Why does INVALID_HANDLE_VALUE cast through a LONG_PTR first?",
                 "https://devblogs.microsoft.com/oldnewthing/"),
    "SDK-BASETSD": ("Microsoft Windows SDK, basetsd.h (its types: Windows Data Types)",
                    _LEARN + "windows/win32/winprog/windows-data-types"),
    "MINGW-BASETSD": ("mingw-w64, mingw-w64-headers/include/basetsd.h",
                      "https://github.com/mingw-w64/mingw-w64"),
    "MIDL-3264": ("Microsoft, __int3264 (MIDL)", _LEARN + "windows/win32/midl/--int3264"),
    "MS-DTYP-3264": ("[MS-DTYP] 2.2.1 __int3264",
                     _LEARN + "openspecs/windows_protocols/ms-dtyp/"
                              "e29954c2-6e95-46ea-bd2a-4209645cab99"),
    "MS-RPCE-3264": ("[MS-RPCE] 3.1.1.5.1.1.1 __int3264",
                     _LEARN + "openspecs/windows_protocols/ms-rpce/"
                              "d93f9b81-1cf4-4fb5-a89c-dfd47a6b2aae"),
    "W64-HIDE": ("Microsoft, Avoiding Information Hiding",
                 _LEARN + "windows/win32/winprog64/avoiding-information-hiding"),
    "W64-DESIGN": ("Microsoft, Designing 64-bit-Compatible Interfaces",
                   _LEARN + "windows/win32/winprog64/designing-64-bit-compatible-interfaces"),
    "MIDL-PROTO": ("Microsoft, MIDL /protocol switch", _LEARN + "windows/win32/midl/-protocol"),
    "RPC-NDR64": ("Microsoft, Transfer Syntax and NDR64",
                  _LEARN + "windows/win32/rpc/transfer-syntax-and-ndr64"),
    "MS-RPCE-NEG": ("[MS-RPCE] 3.3.1.5.6 Presentation Context and Transfer Syntax Negotiation",
                    _LEARN + "openspecs/windows_protocols/ms-rpce/"
                             "ca4d3552-4647-4f40-830b-fd2090adec8f"),
    "MS-RPCE-NDR64": ("[MS-RPCE] 2.2.5 64-Bit Network Data Representation",
                      _LEARN + "openspecs/windows_protocols/ms-rpce/"
                               "b1af93c7-f988-4a1a-ac74-063179942f32"),
    "NTCORELIB-NDR64": ("Google Project Zero, NtCoreLib Ndr64FormatCharacter.cs",
                        "https://github.com/googleprojectzero/sandbox-attacksurface-analysis-tools"),
    "W64-PTR": ("Microsoft, Rules for Using Pointers",
                _LEARN + "windows/win32/winprog64/rules-for-using-pointers"),
    "DLOPEN": ("Linux man-pages, dlopen(3)", "https://man7.org/linux/man-pages/man3/dlopen.3.html"),
    "MIDL-SYSHANDLE": ("Microsoft, system_handle attribute (MIDL)",
                       _LEARN + "windows/win32/midl/system-handle"),
    "KERNEL-OBJ": ("Microsoft, Kernel Objects", _LEARN + "windows/win32/sysinfo/kernel-objects"),
    "MSVC-STDCALL": ("Microsoft, __stdcall (C++ language reference: name decoration _name@N)",
                     "https://learn.microsoft.com/cpp/cpp/stdcall"),
    "X64-CC": ("Microsoft, x64 calling convention (RCX, RDX, R8, R9; the 32-byte shadow store)",
               "https://learn.microsoft.com/cpp/build/x64-calling-convention"),
    "WINE-WIDL": ("Wine, widl: the Wine IDL compiler (source)",
                  "https://gitlab.winehq.org/wine/wine/-/tree/master/tools/widl"),
    "WINE-RPCRT4": ("Wine, rpcrt4: the RPC runtime and its NDR engine (source)",
                    "https://gitlab.winehq.org/wine/wine/-/tree/master/dlls/rpcrt4"),
    "HKCR-MERGED": ("Microsoft, Merged View of HKEY_CLASSES_ROOT",
                    _LEARN + "windows/win32/sysinfo/merged-view-of-hkey-classes-root"),
    "WINE-COMBASE": ("Wine, dlls/combase/rpc.c: how CoCreateInstance starts a server (source)",
                     "https://gitlab.winehq.org/wine/wine/-/blob/master/dlls/combase/rpc.c"),
    "MIDL-VOID": ("Microsoft, void (MIDL)", _LEARN + "windows/win32/midl/void"),
}


def cite(*keys: str) -> str:
    """``[KEY] title, address`` lines for the given keys."""
    return "\n".join(f"[{key}] {SOURCES[key][0]}, {SOURCES[key][1]}" for key in keys)


# What the kit takes from each source, in a sentence: docs/sources.md shows it beside the address,
# so a reader can tell which claim rests on which page.
TAKES: dict[str, str] = {
    "W64-IMPL": "WOW64's layers (wow64.dll, wow64win.dll, wow64cpu.dll; xtajit.dll on Arm), "
                "and that user-mode address space above the 32-bit limit is reserved.",
    "W64-RUN": "that a process cannot load a DLL of the other bitness for execution (as data "
               "or resources it can), and that 16-bit programs fail because handles have 32 "
               "significant bits.",
    "W64-PERF": "that WOW64's system-call thunking costs little on x64 (no figure given); 2 GB "
                "or 4 GB of address space without or with large-address-aware; the extra "
                "64-bit stack per thread.",
    "W64-IPC": "that 32-bit and 64-bit processes communicate through RPC, out-of-process COM, "
               "shared memory and pipes; that handles have 32 significant bits and are "
               "sign-extended; Sysnative for starting 64-bit programs from 32-bit ones.",
    "W64-PROCINT": "that a process cannot load a DLL of the other bitness; the HANDLE_PTR "
                   "sentence (64 bits on the wire in 64-bit builds).",
    "W64-FSR": "the file-system redirector: System32 to SysWOW64, Sysnative, the exempt "
               "folders, Wow64DisableWow64FsRedirection per thread.",
    "W64-REGR": "the registry redirector: Wow6432Node, redirected and shared keys since "
                "Windows 7, the end of reflection.",
    "W64-REGKEYS": "the complete table of redirected and shared keys (Windows 7 and later).",
    "W64-ALTVIEW": "KEY_WOW64_32KEY and KEY_WOW64_64KEY, and error 87 for both at once.",
    "ARM-EMU": "how x86 and x64 code runs on Windows on Arm, that emulation is user-mode only, "
               "and that x64 apps there have no WOW64 layer.",
    "ARM64EC": "the ARM64EC ABI: Arm code that keeps x64's conventions so it can mix with "
               "emulated x64 code in one process.",
    "ARM64X": "ARM64X files, which hold Arm64 and Arm64EC code for both kinds of process.",
    "ARM32-DOC": "Microsoft's word on AArch32: removed from Windows 11 on Arm 'in a future "
                 "release', tied to the hardware.",
    "PRESS-ARM32": "the press report of Insider build 25905 and the Build 2023 announcement "
                   "(it does not name 24H2).",
    "ERR0-499": "the numbers and messages of ERROR_BAD_EXE_FORMAT (193), "
                "ERROR_MOD_NOT_FOUND (126) and ERROR_EXE_MACHINE_TYPE_MISMATCH (216).",
    "MS-ERREF": "STATUS_INVALID_IMAGE_FORMAT (0xC000007B) and the other NTSTATUS values.",
    "DSVC-7B": "that 0xC000007B has many causes and quite often means a DLL of the wrong "
               "architecture.",
    "MSL-36": "a real WinError 193 from Python (a 32-bit server importing a 64-bit numpy).",
    "MSL-40": "how msl-loadlib carries a call between a 64-bit client and a 32-bit server.",
    "DCOM-THAI": "Learning DCOM's 1999 call-time tables (in-process against out-of-process).",
    "BADIMG": "BadImageFormatException's HRESULT 0x8007000B (ERROR_BAD_FORMAT).",
    "CORFLAGS": "the CLR header flags 32BITREQUIRED and 32BITPREFERRED and what they do to "
                "DLLs and EXEs.",
    "CSC-PLATFORM": "the C# /platform choices (anycpu, anycpu32bitpreferred, x86, x64).",
    "SADOV": "how the loader starts an AnyCPU EXE as a 64-bit process.",
    "CORHDR": "the CLR header's flag values (COMIMAGE_FLAGS_*).",
    "PE-FMT": "the PE layout the kit reads: DOS stub, signature, COFF header, optional header "
              "magic, data directories, Machine values.",
    "WINE-WINNT": "Wine's copy of the IMAGE_FILE_MACHINE_* values.",
    "SYSINF-376": "that the WDK's ntimage.h defines CHPE_X86 (0x3A64), ARM64EC (0xA641) and "
                  "ARM64X (0xA64E) together, outside winnt.h's exported part.",
    "FFRI-CHAM": "CHPE and CHPEv2 images (x86 DLLs with Arm code inside) on Windows on Arm.",
    "ISWOW2": "IsWow64Process2's process and native machines.",
    "CHEN-TECHNET": "why 64-bit Windows keeps its 64-bit files in System32.",
    "WINE-WOW64CPU": "Wine's far jump between 32-bit and 64-bit code segments.",
    "ROSETTA-MR": "a published Rosetta 2 figure (about 78-79 % of native), for comparison only.",
    "BOX86-2022": "published Box64 and QEMU figures, for comparison with the kit's emulator.",
    "LLVM-D149089": "where a CHPE image keeps its hybrid metadata (the load configuration).",
    "CLSCTX": "the CLSCTX values, including ACTIVATE_32_BIT_SERVER and "
              "ACTIVATE_64_BIT_SERVER.",
    "MS-RPCE": "RPC's wire protocol: NDR20 and NDR64, transfer-syntax negotiation.",
    "COM-DLLSURR": "what a DLL surrogate is and why a DLL server needs one out of process.",
    "COM-SURR": "the DllSurrogate value: empty means the system surrogate, dllhost.exe.",
    "COM-SURREXE": "DllSurrogateExecutable for a custom surrogate.",
    "COM-SURRREG": "the registry entries that let a DLL server be activated in a surrogate.",
    "COM-SYSSURR": "how the system surrogate loads DLL servers, one dllhost per AppID.",
    "COM-PSB": "PreferredServerBitness and its values.",
    "COM-INPROC": "InprocServer32 and ThreadingModel.",
    "WINE-WTYPES": "RemotableHandle (32-bit wire form of window and GDI handles) and the "
                   "64-bit arm for HGLOBAL, metafiles, HBITMAP and HPALETTE.",
    "WINERROR-H": "COM's error values such as REGDB_E_CLASSNOTREG, E_INVALIDARG and "
                  "E_NOINTERFACE.",
    "DEVPEACE": "a community note that says handles are zero-extended: shown as a claim that "
                "the primary sources contradict.",
    "CHEN-IHV": "why INVALID_HANDLE_VALUE is (HANDLE)(LONG_PTR)-1: so that -1 sign-extends.",
    "SDK-BASETSD": "the pointer-sized types and conversions: INT_PTR, DWORD_PTR, HANDLE_PTR, "
                   "Handle32ToHandle (sign-extends), Ptr32ToPtr (zero-extends).",
    "MINGW-BASETSD": "mingw-w64's versions of the same types and conversions.",
    "MIDL-3264": "__int3264: 32 bits on 32-bit platforms, 64 on 64-bit ones, truncated to 32 "
                 "bits on the NDR20 wire.",
    "MS-DTYP-3264": "__int3264 as a data type of the Windows protocols.",
    "MS-RPCE-3264": "how NDR20 marshals __int3264 (4 octets, with the 64-bit value checked).",
    "W64-HIDE": "why a pointer must not be hidden in a 32-bit integer.",
    "W64-DESIGN": "how to design interfaces that work across bitness (HANDLE_PTR, no "
                  "pointers in integers).",
    "MIDL-PROTO": "MIDL's /protocol switch: dce (NDR20), ndr64, all.",
    "RPC-NDR64": "that NDR64 is used only between 64-bit peers and NDR20 otherwise.",
    "MS-RPCE-NEG": "how client and server agree on a transfer syntax.",
    "MS-RPCE-NDR64": "NDR64's rules: alignment, enums as 4-octet values.",
    "NTCORELIB-NDR64": "NDR64's format characters (no int3264 code), circumstantial evidence "
                       "for __int3264 under NDR64.",
    "W64-PTR": "the pointer rules of 64-bit Windows (PtrToUlong, no truncation of addresses).",
    "DLOPEN": "how Linux's dlopen reports a library of the wrong ELF class.",
    "MIDL-SYSHANDLE": "[system_handle]: COM duplicates a kernel handle into the server's "
                      "process instead of sending its value.",
    "KERNEL-OBJ": "that kernel object handles are process specific: another process opens the "
                  "object by name or gets a duplicate.",
    "MSVC-STDCALL": "that MSVC decorates a __stdcall function as _name@N (N the bytes of its "
                    "arguments); zig and MinGW write name@N.",
    "X64-CC": "the x64 calling convention: RCX, RDX, R8, R9 and the 32-byte shadow store the "
              "caller reserves.",
    "WINE-WIDL": "how Wine's MIDL-compatible compiler makes proxy/stub sources: no _WIN64 when "
                 "it compiles for -m64, and FC_INT3264 (signed) for unsigned __int3264 types "
                 "in interpreted (-Oicf) stubs.",
    "WINE-RPCRT4": "the NDR engine Wine's proxies and stubs run: FC_INT3264 is 4 bytes on the "
                   "wire and is read as signed into a 64-bit variable (measured by the kit's "
                   "capture tool).",
    "HKCR-MERGED": "COM reads HKEY_CLASSES_ROOT as HKCU\\Software\\Classes merged over HKLM's, "
                   "so a per-user registration needs no administrator; a process run with "
                   "administrator rights while UAC is off ignores per-user COM configuration.",
    "WINE-COMBASE": "how Wine starts a surrogate: with an empty DllSurrogate a 64-bit client "
                    "always starts syswow64's dllhost (a 32-bit client system32's); the "
                    "CLSCTX_ACTIVATE_32/64_BIT_SERVER flags are not read; after starting a "
                    "server it waits a whole second before asking again (up to 30 times), "
                    "and a server that exits first gives E_NOINTERFACE.",
    "MIDL-VOID": "MIDL limits the pointer type void * to context handles.",
}


@dataclass(frozen=True)
class OpenQuestion:
    """A point the sources leave unsettled, taught as such."""

    topic: str
    """What the question is about, in a few words."""
    status: str
    """``unverified`` (no primary source found) or ``disputed`` (sources disagree)."""
    why: str
    """What is known, and what is missing."""
    keys: tuple[str, ...]
    """The sources that bear on it."""
    notebook: str
    """The notebook that teaches the point."""


OPEN_QUESTIONS: tuple[OpenQuestion, ...] = (
    OpenQuestion("__int3264 under NDR64", "unverified",
                 "No [MS-RPCE] text found states its NDR64 size; NDR64's format characters have "
                 "no int3264 code, which suggests 8 octets between 64-bit peers. The kit marks "
                 "this rule derived.", ("MS-RPCE-NDR64", "NTCORELIB-NDR64"),
                 "06_handle_ptr_truncation"),
    OpenQuestion("HANDLE_PTR's wire size across bitness", "unverified",
                 "basetsd.h makes HANDLE_PTR 64 bits under _WIN64 and 32 bits otherwise, so a "
                 "32-bit and a 64-bit stub from one IDL would disagree, if MIDL defines _WIN64 "
                 "for 64-bit stubs; no MIDL page says it does (Wine's widl does not). Microsoft "
                 "still recommends HANDLE_PTR for porting interfaces that pass handles, so the "
                 "lint warns and does not reject.", ("SDK-BASETSD", "W64-PROCINT", "W64-DESIGN"),
                 "06_handle_ptr_truncation"),
    OpenQuestion("Handles across the 32/64 boundary", "disputed",
                 "'Process Interoperability' says handles never cross it; 'Interprocess "
                 "Communication' says they can, with 32 significant bits. The kit teaches the "
                 "second, which is the precise one.", ("W64-PROCINT", "W64-IPC"),
                 "06_handle_ptr_truncation"),
    OpenQuestion("wow64base.dll", "unverified",
                 "Some descriptions of WOW64 name a wow64base.dll among its DLLs; no source the "
                 "kit read names or describes it, so notebook 02's diagram leaves it out.",
                 ("W64-IMPL",), "02_wow64"),
    OpenQuestion("193 or 216 for a program of the wrong architecture", "unverified",
                 "LoadLibrary of the wrong bitness gives 193; no primary source says when "
                 "216 is returned instead (Wine maps every invalid-image status to 193). Read "
                 "both as 'wrong architecture or not a PE'.", ("ERR0-499",),
                 "03_cross_bitness_loading"),
    OpenQuestion("Which Windows release drops AArch32 apps", "unverified",
                 "Microsoft says 'a future release of Windows 11' and ties it to the hardware; "
                 "reports name Windows 11 24H2, no Microsoft page does.",
                 ("ARM32-DOC", "PRESS-ARM32"), "04_arm64_emulation"),
    OpenQuestion("REGDB_E_CLASSNOTREG for a missing registration of the other bitness",
                 "unverified",
                 "Derived from the activation rules and the error's meaning; no page states "
                 "the error for this case.", ("COM-PSB", "CLSCTX", "WINERROR-H"),
                 "05_com_surrogate"),
    OpenQuestion("WOW64's system-call cost on x64", "unverified",
                 "Microsoft calls the thunking overhead small and gives no figure; the kit's "
                 "own measurements are from Linux, where no thunk runs.", ("W64-PERF",),
                 "07_marshaling_overhead"),
)


def markdown() -> str:
    """docs/sources.md: every source with its address and what the kit takes from it, then the
    open questions. ``python -m interopkit.sources`` prints it."""
    lines = ["# Sources", "", (
             "Every key the kit cites (in notebooks, docs, messages and the models' rule tables), "
             "with its address and what the kit takes from it. Made from `interopkit/sources.py` "
             "by `python -m interopkit.sources > docs/sources.md`; a test keeps the two equal."),
             "", "| key | source | what the kit takes from it |", "|---|---|---|"]
    for key, (title, url) in SOURCES.items():
        lines.append(f"| {key} | [{title}]({url}) | {TAKES[key]} |")
    lines += ["", "## Open questions", "",
              "What the sources leave unsettled. The kit teaches each as open, with the reason.",
              ""]
    for q in OPEN_QUESTIONS:
        keys = ", ".join(q.keys)
        lines += [f"### {q.topic} ({q.status})", "", f"{q.why}", "",
                  f"Sources: {keys}. Taught in `notebooks/{q.notebook}.ipynb`.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
