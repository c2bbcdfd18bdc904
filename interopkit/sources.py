"""The primary sources the kit cites, by the keys of the project's fact sheet.

Every rule in the kit's models names its sources by key (``W64-RUN``, ``ARM64EC`` ...); this
table turns a key into a title and an address, so a notebook or a command can print the
reference, and a test can check that no rule cites a key that is not here.
"""

from __future__ import annotations

__all__ = ["SOURCES", "cite"]

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
    "WINERROR-H": ("Windows SDK, winerror.h (REGDB_E_CLASSNOTREG, E_INVALIDARG)",
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
    "MSVC-STDCALL": ("Microsoft, __stdcall (C++ language reference: name decoration _name@N)",
                     "https://learn.microsoft.com/cpp/cpp/stdcall"),
    "X64-CC": ("Microsoft, x64 calling convention (RCX, RDX, R8, R9; the 32-byte shadow store)",
               "https://learn.microsoft.com/cpp/build/x64-calling-convention"),
}


def cite(*keys: str) -> str:
    """``[KEY] title, address`` lines for the given keys."""
    return "\n".join(f"[{key}] {SOURCES[key][0]}, {SOURCES[key][1]}" for key in keys)
