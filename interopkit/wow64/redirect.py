"""Models of WOW64's file-system and registry redirectors: where a path or key really goes.

The rules, with their source keys (``interopkit.sources``):

* file system (W64-FSR): a 32-bit process asking for ``%windir%\\System32``,
  ``%windir%\\lastgood\\system32`` or ``%windir%\\regedit.exe`` is sent to ``SysWOW64`` (x86) or
  ``SysArm32`` (ARM32), except for six exempt subfolders; ``Sysnative`` is a virtual alias that
  only 32-bit processes see; 64-bit processes, and x64 processes on Arm (ARM-EMU), are never
  redirected. (A UAC prompt also turns redirection off, which the model does not simulate.)
* registry (W64-REGKEYS, W64-REGR, W64-ALTVIEW): 64-bit Windows has kept two views of
  part of the registry since Windows XP and Server 2003. Windows 7 and Server 2008 R2 shrank
  the redirected set (``Classes``, ``AppID``, ``OLE``, ``RPC`` ... became shared) and removed
  registry reflection. The model follows the Windows 7 and later column: ``HKLM\\SOFTWARE`` and
  a few ``Classes`` keys go to ``Wow6432Node`` (x86) or ``WowAA32Node`` (ARM32); the rest is
  shared. ``KEY_WOW64_64KEY``/``KEY_WOW64_32KEY`` pick a view; both at once is an error.

``REDIRECTED_KEYS`` and ``SHARED_KEYS`` are Microsoft's whole Windows 7 and later table
(W64-REGKEYS), not a selection: a key that is not listed behaves like its nearest listed parent,
as that page says. On Windows, notebook 02 shows real processes and ``winreg`` beside the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interopkit.errors import UsageError
from interopkit.loading.kinds import Host, ProcessKind
from interopkit.winerror import WinError

__all__ = [
    "EXEMPT_SUBFOLDERS",
    "KEY_WOW64_32KEY",
    "KEY_WOW64_64KEY",
    "REDIRECTED_KEYS",
    "SHARED_KEYS",
    "Redirection",
    "canonical_key",
    "canonical_path",
    "environment",
    "redirect_key",
    "redirect_path",
]

KEY_WOW64_64KEY = 0x0100
KEY_WOW64_32KEY = 0x0200

WINDIR = "C:\\Windows"
EXEMPT_SUBFOLDERS = ("catroot", "catroot2", "driverstore", "drivers\\etc", "logfiles", "spool")
"""System32 subfolders the file-system redirector leaves alone (W64-FSR); driverstore was
redirected on Vista / Server 2008 and earlier."""


@dataclass(frozen=True)
class Redirection:
    """Where a process really reaches when it names a path or a registry key."""

    input: str
    """The path or key as given."""
    result: str
    """What the process really reaches (normalised spelling)."""
    redirected: bool
    """True when the result differs from the input's location."""
    reason: str
    """Which rule applied."""
    sources: tuple[str, ...]
    """Source keys (``interopkit.sources``)."""


# --- file system -------------------------------------------------------------------------

def _thirty_two(process: ProcessKind, host: Host) -> str | None:
    """The redirection target folder of a 32-bit process, or None for a 64-bit one."""
    from interopkit.loading.loader import process_on_host

    rule = process_on_host(process, host)
    if not rule.ok:
        raise UsageError(f"{process.value} process", f"does not exist on {host.label}",
                         rule.why)
    return {ProcessKind.X86: "SysWOW64", ProcessKind.ARM32: "SysArm32"}.get(process)


def canonical_path(path: str) -> str:
    """``path`` as the model spells it: backslashes, ``%windir%``/``%SystemRoot%`` expanded to
    ``C:\\Windows``, doubled separators removed (compare results case-insensitively: Windows
    file names are). UsageError for an empty or relative path."""
    return _normalise_path(path)


def _normalise_path(path: str) -> str:
    text = path.strip().replace("/", "\\")
    text = re.sub(r"(?i)^%(windir|systemroot)%", lambda _m: WINDIR, text)
    text = re.sub(r"\\+", r"\\", text) if not text.startswith("\\\\") else "\\" + re.sub(
        r"\\+", r"\\", text[1:])
    if not text:
        raise UsageError("''", "is not a path", "Give a Windows path such as "
                         "C:\\Windows\\System32\\kernel32.dll")
    if not (re.match(r"^[A-Za-z]:\\", text) or text.startswith("\\\\")):
        raise UsageError(path, "is a relative path", "The redirector works on full paths: give "
                         "one that starts with a drive (C:\\...) or %windir%")
    return text


def redirect_path(path: str, process: ProcessKind | str, host: Host | str = "win11-x64"
                  ) -> Redirection:
    """Where ``process`` on ``host`` really reaches when it opens ``path``."""
    process, host = ProcessKind(process), Host(host)
    target = _thirty_two(process, host)
    text = _normalise_path(path)
    if text.startswith("\\\\"):
        return Redirection(path, text, False, "A UNC path is not a %windir% path; the "
                           "redirector is documented for the local Windows folder only.",
                           ("W64-FSR",))
    lower = text.lower()
    windir = WINDIR.lower()
    system32 = windir + "\\system32"
    sysnative = windir + "\\sysnative"
    if _under(lower, sysnative):
        if target is None:
            return Redirection(path, text, False, "Sysnative is a virtual alias that only "
                               "32-bit processes see; for this 64-bit process the folder does "
                               "not exist (use System32).", ("W64-FSR",))
        result = WINDIR + "\\System32" + text[len(sysnative):]
        return Redirection(path, result, True, "Sysnative is how a 32-bit process reaches the "
                           "real (64-bit) System32, without turning redirection off.",
                           ("W64-FSR", "W64-IPC"))
    if target is None:
        why = ("x64 processes on Windows 11 on Arm are not redirected: the System32 DLLs an "
               "x64 program may load are Arm64X files, which x64 and Arm64 processes both load."
               if host.is_arm and process is ProcessKind.X64 else
               "64-bit processes are not redirected: System32 holds their native files.")
        return Redirection(path, text, False, why, ("W64-FSR", "ARM-EMU", "ARM64X")
                           if host.is_arm else ("W64-FSR",))
    for exempt in EXEMPT_SUBFOLDERS:
        if _under(lower, system32 + "\\" + exempt):
            return Redirection(path, text, False, f"System32\\{exempt} is exempt from "
                               "redirection: 32-bit and 64-bit processes share it.", ("W64-FSR",))
    for folder, replacement in ((system32, f"{WINDIR}\\{target}"),
                                (windir + "\\lastgood\\system32",
                                 f"{WINDIR}\\lastgood\\{target}")):
        if _under(lower, folder):
            result = replacement + text[len(folder):]
            return Redirection(path, result, True, f"A 32-bit {process.value} process asking "
                               f"for System32 is sent to {target}, where the 32-bit files are.",
                               ("W64-FSR",))
    if lower == windir + "\\regedit.exe":
        return Redirection(path, f"{WINDIR}\\{target}\\regedit.exe", True, "regedit.exe is "
                           f"redirected to the {target} copy for 32-bit processes.", ("W64-FSR",))
    return Redirection(path, text, False, "Outside the redirected folders: the same file for "
                       "every process.", ("W64-FSR",))


def _under(lower: str, folder: str) -> bool:
    return lower == folder or lower.startswith(folder + "\\")


def environment(process: ProcessKind | str, host: Host | str = "win11-x64"
                ) -> dict[str, str | None]:
    """The WOW64-related environment variables a process sees (W64-IMPL; None: not covered)."""
    process, host = ProcessKind(process), Host(host)
    _thirty_two(process, host)
    native = "ARM64" if host.is_arm else "AMD64"
    files, common = "C:\\Program Files", "C:\\Program Files\\Common Files"
    if process is ProcessKind.X86:
        return {"PROCESSOR_ARCHITECTURE": "x86", "PROCESSOR_ARCHITEW6432": native,
                "ProgramFiles": "C:\\Program Files (x86)", "ProgramW6432": files,
                "CommonProgramFiles": "C:\\Program Files (x86)\\Common Files",
                "CommonProgramW6432": common}
    if process is ProcessKind.X64 and not host.is_arm or process is ProcessKind.ARM64:
        return {"PROCESSOR_ARCHITECTURE": native, "PROCESSOR_ARCHITEW6432": None,
                "ProgramFiles": files, "ProgramW6432": files, "CommonProgramFiles": common,
                "CommonProgramW6432": common}
    # ARM32, and x64/ARM64EC under emulation on Arm: the kit's sources do not give the values.
    return dict.fromkeys(("PROCESSOR_ARCHITECTURE", "PROCESSOR_ARCHITEW6432", "ProgramFiles",
                          "ProgramW6432", "CommonProgramFiles", "CommonProgramW6432"))


# --- registry ----------------------------------------------------------------------------

_HIVES = {"hklm": "HKLM", "hkey_local_machine": "HKLM", "hkcu": "HKCU",
          "hkey_current_user": "HKCU", "hkcr": "HKCR", "hkey_classes_root": "HKCR",
          "hku": "HKU", "hkey_users": "HKU", "hkcc": "HKCC", "hkey_current_config": "HKCC"}

_CLASSES_REDIRECTED = ("CLSID", "DirectShow", "Interface", "Media Type", "MediaFoundation")
REDIRECTED_KEYS = ("HKLM\\SOFTWARE",
                   *(f"HKLM\\SOFTWARE\\Classes\\{k}" for k in _CLASSES_REDIRECTED),
                   *(f"HKCU\\SOFTWARE\\Classes\\{k}" for k in _CLASSES_REDIRECTED))
"""Keys the registry redirector redirects on Windows 7 and later (W64-REGKEYS)."""

_MS = "HKLM\\SOFTWARE\\Microsoft\\"
SHARED_KEYS = (
    "HKLM", "HKLM\\SOFTWARE\\Classes", "HKLM\\SOFTWARE\\Classes\\AppID",
    "HKLM\\SOFTWARE\\Classes\\HCP", "HKLM\\SOFTWARE\\Clients", "HKLM\\SOFTWARE\\Policies",
    "HKLM\\SOFTWARE\\RegisteredApplications",
    *(_MS + k for k in (
        "COM3", "Cryptography\\Calais\\Current", "Cryptography\\Calais\\Readers",
        "Cryptography\\Services", "CTF\\SystemShared", "CTF\\TIP", "DFS", "Driver Signing",
        "EnterpriseCertificates", "EventSystem", "MSMQ", "Non-Driver Signing",
        "Notepad\\DefaultFonts", "OLE", "RAS", "RPC", "Shared Tools\\MSInfo",
        "SystemCertificates", "TermServLicensing", "TransactionServer")),
    *(_MS + "Windows\\CurrentVersion\\" + k for k in (
        "App Paths", "Control Panel\\Cursors\\Schemes", "Explorer\\AutoplayHandlers",
        "Explorer\\DriveIcons", "Explorer\\KindMap", "Group Policy", "Policies",
        "PreviewHandlers", "Setup", "Telephony\\Locations")),
    *(_MS + "Windows NT\\CurrentVersion\\" + k for k in (
        "Console", "FontDpi", "FontLink", "FontMapper", "Fonts", "FontSubstitutes",
        "Gre_Initialize", "Image File Execution Options", "Language Pack", "NetworkCards",
        "Perflib", "Ports", "Print", "ProfileList", "Time Zones")),
    "HKCU", "HKCU\\SOFTWARE", "HKCU\\SOFTWARE\\Classes", "HKCU\\SOFTWARE\\Classes\\AppID",
)
"""Every key Microsoft's table lists as shared on Windows 7 and later (W64-REGKEYS; the page
spells one of them ``SOFTWARE\\Microsoft\\SOFTWARE\\Microsoft\\Shared Tools\\MSInfo``, read here as
``SOFTWARE\\Microsoft\\Shared Tools\\MSInfo``)."""

# Compatibility links for code with hard-coded Wow6432Node paths (W64-REGKEYS).
_LINKS = (
    ("HKLM\\SOFTWARE\\Wow6432Node\\Classes", "HKLM\\SOFTWARE\\Classes\\Wow6432Node"),
    ("HKLM\\SOFTWARE\\Classes\\Wow6432Node\\AppID", "HKLM\\SOFTWARE\\Classes\\AppID"),
    ("HKLM\\SOFTWARE\\Classes\\Wow6432Node\\PROTOCOLS", "HKLM\\SOFTWARE\\Classes\\PROTOCOLS"),
    ("HKLM\\SOFTWARE\\Classes\\Wow6432Node\\Typelib", "HKLM\\SOFTWARE\\Classes\\Typelib"),
)


# Spellings of a key's start that regedit's address bar, reg.exe or PowerShell accept and the
# registry API's own names mean the same key (hive names are case-insensitive, W64-ALTVIEW).
_PREFIXES = re.compile(r"(?i)^(computer\\|registry::|microsoft\.powershell\.core\\registry::)")


def canonical_key(key: str) -> str:
    """``key`` as the model spells it: ``HKLM\\...`` with a short hive name, whatever spelling
    regedit (``Computer\\HKEY_LOCAL_MACHINE\\...``), reg.exe (``HKLM\\...``) or PowerShell
    (``HKLM:\\...``) uses. Compare results case-insensitively: registry names are.
    UsageError for an empty key or an unknown hive."""
    return _normalise_key(key)[1]


def _normalise_key(key: str) -> tuple[str, str]:
    text = _PREFIXES.sub("", key.strip().replace("/", "\\").lstrip("\\"))
    parts = [p for p in text.split("\\") if p]
    if not parts:
        raise UsageError("''", "is not a registry key", "Give a key such as HKLM\\SOFTWARE\\Foo")
    hive = _HIVES.get(parts[0].lower().rstrip(":"))
    if hive is None:
        raise UsageError(key, f"starts with {parts[0]!r}, which is not a registry hive",
                         "Start with HKLM, HKCU, HKCR, HKU or HKCC (or their long names)")
    return hive, "\\".join([hive, *parts[1:]])


def _classify(key: str) -> tuple[bool, str, bool]:
    """(redirected?, the listed key that decided it, listed exactly?)"""
    lower = key.lower()
    best, redirected = "", False
    for listed, is_redirected in ([(k, True) for k in REDIRECTED_KEYS] +
                                  [(k, False) for k in SHARED_KEYS]):
        if _under(lower, listed.lower()) and len(listed) > len(best):
            best, redirected = listed, is_redirected
    return redirected, best, best.lower() == lower


def redirect_key(key: str, process: ProcessKind | str, flags: int = 0,
                 host: Host | str = "win11-x64") -> Redirection:
    """Where ``process`` really reaches when it opens registry ``key`` with ``flags``."""
    process, host = ProcessKind(process), Host(host)
    target = _thirty_two(process, host)
    if flags & KEY_WOW64_64KEY and flags & KEY_WOW64_32KEY:
        raise UsageError("KEY_WOW64_64KEY | KEY_WOW64_32KEY", "asks for both views at once",
                         "Pass one of them: Windows fails such a call",
                         WinError.ERROR_INVALID_PARAMETER)
    hive, text = _normalise_key(key)
    for link, real in _LINKS:
        if _under(text.lower(), link.lower()):
            result = real + text[len(link):]
            return Redirection(key, result, True, f"{link} is a compatibility link to {real} "
                               "(for code that hard-codes Wow6432Node; the physical locations "
                               "are reserved, do not use them).", ("W64-REGKEYS", "W64-REGR"))
    if hive == "HKCR":  # the merged view of HKLM\SOFTWARE\Classes and HKCU\SOFTWARE\Classes
        probe = "HKLM\\SOFTWARE\\Classes" + text[len("HKCR"):]
    else:
        probe = text
    redirected, decided_by, listed = _classify(probe)
    source = ("W64-REGKEYS",)
    if not redirected:
        what = (f"{decided_by} is shared" if listed else
                f"{text} inherits from {decided_by}, which is shared")
        return Redirection(key, text, False, f"Shared: {what}: one key for 32-bit and 64-bit "
                           "processes, whatever the flags.", source)
    view = _view(process, host, flags)
    if view is None:
        why = ("the native (64-bit) view" if target is None else "the 64-bit view, as "
               "KEY_WOW64_64KEY asks")
        return Redirection(key, text, False, f"Redirected key, but this opens {why}.",
                           (*source, "W64-ALTVIEW"))
    node = view
    anchor = decided_by if decided_by.lower().startswith(("hklm\\software\\classes",
                                                          "hkcu\\software\\classes")) else None
    if anchor is not None:
        classes = anchor.rsplit("\\", 1)[0]
        base = "HKCR" if hive == "HKCR" else classes
        rest = text[len("HKCR"):] if hive == "HKCR" else text[len(classes):]
        result = f"{base}\\{node}{rest}"
    else:
        software = "HKLM\\SOFTWARE"
        result = f"{software}\\{node}{text[len(software):]}"
    inherited = "" if listed else (f" ({text} is not in Microsoft's table, so it inherits "
                                   f"this from {decided_by}.)")
    # Say why this view was opened: a 64-bit process reaches the 32-bit view only by asking.
    asked = " This process asked for it with KEY_WOW64_32KEY." if (
        flags & KEY_WOW64_32KEY and target is None) else ""
    return Redirection(key, result, True, f"Redirected: the {_view_name(node)} view of "
                       f"{decided_by} lives under {node}.{asked}{inherited}",
                       (*source, "W64-REGR") + (("W64-ALTVIEW",) if flags else ()))


def _view(process: ProcessKind, host: Host, flags: int) -> str | None:
    """The node of the view this open lands in, or None for the native view."""
    if flags & KEY_WOW64_64KEY:
        return None
    if process is ProcessKind.ARM32:
        return "WowAA32Node"
    if process is ProcessKind.X86 or flags & KEY_WOW64_32KEY:
        return "Wow6432Node"  # KEY_WOW64_32KEY means the x86 view for x86 and Arm64 processes
    return None


def _view_name(node: str) -> str:
    return {"Wow6432Node": "32-bit (x86)", "WowAA32Node": "32-bit Arm"}[node]
