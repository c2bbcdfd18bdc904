"""COM registration and activation across bitness: what must be in the registry for a 64-bit
client to reach a 32-bit DLL through a surrogate, as records, as a real ``.reg`` file, and as
a model of the activation rules.

The rules, with the keys of their sources (``interopkit.sources``) beside them:

* ``InprocServer32`` names the DLL for 32-bit and 64-bit servers alike; the bitness comes from
  the registry **view** the CLSID is in, because ``CLSID`` is a redirected key (COM-INPROC,
  W64-PROCINT, W64-REGKEYS). ``AppID`` is shared, so one AppID serves both views.
* Surrogate activation needs all of: an ``AppID`` value on the CLSID and that AppID's key;
  ``CLSCTX_LOCAL_SERVER`` in the request and no ``LocalServer32``/``LocalServer``/``LocalService``
  (an EXE server always wins); ``InprocServer32``; and a ``DllSurrogate`` value, empty for the
  system's dllhost.exe (COM-SURRREG, COM-SURR).
* ``CLSCTX_ACTIVATE_32_BIT_SERVER``/``_64_BIT_SERVER`` pick a bitness and fail if it is not
  registered; both at once is E_INVALIDARG; they override ``PreferredServerBitness`` (1 = match
  the client, 2 = 32-bit, 3 = 64-bit; fails if that version does not exist). With no
  preference, COM tries the client's bitness, then the other (CLSCTX, COM-PSB).

Where the sources do not name the error of a failed activation, the model reports
REGDB_E_CLASSNOTREG (WINERROR-H): that code is derived, not documented. This includes a request
for a bitness that is not registered, where CLSCTX and COM-PSB say only that activation fails.
Outcomes the model derived as a whole are marked ``derived``. On Windows a learner can import the
``.reg`` text; elsewhere this is a model. A ``.reg`` file has no escape for a carriage return, a
line feed or a NUL inside a value: ``reg_file`` refuses such values, since a DLL path carrying
``\r\n@=...`` would otherwise import as a second value. Taught in notebook 05.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntFlag

from interopkit.errors import UsageError
from interopkit.wow64.redirect import redirect_key

__all__ = [
    "CLSCTX",
    "E_INVALIDARG",
    "REGDB_E_CLASSNOTREG",
    "Activation",
    "ComClass",
    "ProxyStub",
    "RegValue",
    "activate",
    "proxy_stub_values",
    "reg_file",
    "registry_values",
    "unregister_file",
]

REGDB_E_CLASSNOTREG = 0x80040154
"""Class not registered (winerror.h)."""
E_INVALIDARG = 0x80070057
"""One or more arguments are invalid (winerror.h)."""


class CLSCTX(IntFlag):
    """Class-context flags of CoCreateInstance (values from Wine's wtypes.idl, WINE-WTYPES)."""

    INPROC_SERVER = 0x1
    INPROC_HANDLER = 0x2
    LOCAL_SERVER = 0x4
    REMOTE_SERVER = 0x10
    ACTIVATE_32_BIT_SERVER = 0x40000
    ACTIVATE_64_BIT_SERVER = 0x80000
    ACTIVATE_ARM32_SERVER = 0x2000000
    PS_DLL = 0x80000000


_GUID = re.compile(r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                   r"[0-9A-Fa-f]{12})\}?$")
_THREADING = ("", "Apartment", "Both", "Free", "Neutral")


def _guid(text: str) -> str:
    match = _GUID.match(text.strip())
    if match is None:
        raise UsageError(repr(text), "is not a GUID",
                         "Write it as {12345678-1234-1234-1234-123456789ABC}")
    return "{" + match.group(1).upper() + "}"


@dataclass(frozen=True)
class ComClass:
    """One COM class registration in one registry view."""

    clsid: str
    """The class GUID."""
    dll: str
    """InprocServer32's default value: the DLL's path."""
    bits: int
    """32 or 64: the DLL's bitness, and so the registry view its CLSID lives in."""
    threading_model: str = "Both"
    """ThreadingModel: Apartment, Both, Free, Neutral, or "" for none (the main STA)."""
    appid: str | None = None
    """The CLSID's AppID value (tip: the same GUID as the CLSID); None for none."""
    dll_surrogate: str | None = ""
    """DllSurrogate under the AppID: "" is the system's dllhost.exe; None means no value."""
    dll_surrogate_executable: str | None = None
    """DllSurrogateExecutable, passed as CreateProcess's first argument when present."""
    preferred_server_bitness: int | None = None
    """PreferredServerBitness under the AppID: 1 match the client, 2 = 32-bit, 3 = 64-bit."""
    local_server32: str | None = None
    """An EXE server; it always wins over the surrogate."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "clsid", _guid(self.clsid))
        if self.appid is not None:
            object.__setattr__(self, "appid", _guid(self.appid))
        if self.bits not in (32, 64):
            raise UsageError(f"bits={self.bits}", "is not 32 or 64", "Give the DLL's bitness")
        if self.threading_model not in _THREADING:
            raise UsageError(repr(self.threading_model), "is not a ThreadingModel",
                             f"Use one of {', '.join(t or '(none)' for t in _THREADING)}")
        if self.preferred_server_bitness not in (None, 1, 2, 3):
            raise UsageError(f"PreferredServerBitness={self.preferred_server_bitness}",
                             "is not 1, 2 or 3", "1 = match the client, 2 = 32-bit, 3 = 64-bit")


@dataclass(frozen=True)
class RegValue:
    """One registry value a registration writes."""

    key: str
    """The key as a 64-bit tool sees it (a 32-bit CLSID under Wow6432Node)."""
    name: str
    """The value name; "" is the key's default value."""
    kind: str
    """``REG_SZ`` or ``REG_DWORD``."""
    data: str | int
    """The data."""


def registry_values(cls: ComClass) -> list[RegValue]:
    """The values ``cls`` needs, at the keys where they land (the redirect model places them)."""
    clsid_key = "HKLM\\SOFTWARE\\Classes\\CLSID\\" + cls.clsid
    if cls.bits == 32:  # a 32-bit registration writes through the redirector
        clsid_key = redirect_key(clsid_key, "x86").result
    values = [RegValue(clsid_key + "\\InprocServer32", "", "REG_SZ", cls.dll)]
    if cls.threading_model:
        values.append(RegValue(clsid_key + "\\InprocServer32", "ThreadingModel", "REG_SZ",
                               cls.threading_model))
    if cls.local_server32 is not None:
        values.append(RegValue(clsid_key + "\\LocalServer32", "", "REG_SZ", cls.local_server32))
    if cls.appid is not None:
        values.append(RegValue(clsid_key, "AppID", "REG_SZ", cls.appid))
        appid_key = "HKLM\\SOFTWARE\\Classes\\AppID\\" + cls.appid  # shared by both views
        if cls.dll_surrogate is not None:
            values.append(RegValue(appid_key, "DllSurrogate", "REG_SZ", cls.dll_surrogate))
        if cls.dll_surrogate_executable is not None:
            values.append(RegValue(appid_key, "DllSurrogateExecutable", "REG_SZ",
                                   cls.dll_surrogate_executable))
        if cls.preferred_server_bitness is not None:
            values.append(RegValue(appid_key, "PreferredServerBitness", "REG_DWORD",
                                   cls.preferred_server_bitness))
    return values


@dataclass(frozen=True)
class ProxyStub:
    """The proxy/stub DLL of one interface, registered in one view.

    COM marshals an interface across processes with the proxy/stub DLL the ``Interface`` key
    names; that key is redirected, so a 32-bit and a 64-bit process each look in their own view,
    and cross-bitness COM needs the proxy/stub registered in both (W64-IPC, W64-REGKEYS).
    ``ProxyStubClsid32`` is the name in both views: the "32" is historical."""

    iid: str
    """The interface's GUID."""
    name: str
    """The interface's name, the key's default value (for people, not for COM)."""
    dll: str
    """The proxy/stub DLL's path."""
    bits: int
    """32 or 64: the DLL's bitness, and so the view."""
    clsid: str = ""
    """The proxy/stub's class GUID; "" for MIDL's default, the (first) interface's IID."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "iid", _guid(self.iid))
        object.__setattr__(self, "clsid", _guid(self.clsid or self.iid))
        if self.bits not in (32, 64):
            raise UsageError(f"bits={self.bits}", "is not 32 or 64", "Give the DLL's bitness")


def proxy_stub_values(stub: ProxyStub) -> list[RegValue]:
    """The values a proxy/stub registration needs, at the keys where they land in its view."""
    classes = "HKLM\\SOFTWARE\\Classes\\"
    interface, clsid = classes + "Interface\\" + stub.iid, classes + "CLSID\\" + stub.clsid
    if stub.bits == 32:
        interface = redirect_key(interface, "x86").result
        clsid = redirect_key(clsid, "x86").result
    return [RegValue(interface, "", "REG_SZ", stub.name),
            RegValue(interface + "\\ProxyStubClsid32", "", "REG_SZ", stub.clsid),
            RegValue(clsid + "\\InprocServer32", "", "REG_SZ", stub.dll),
            RegValue(clsid + "\\InprocServer32", "ThreadingModel", "REG_SZ", "Both")]


def _values(classes: Sequence[ComClass], stubs: Sequence[ProxyStub]) -> list[RegValue]:
    return ([v for cls in classes for v in registry_values(cls)]
            + [v for stub in stubs for v in proxy_stub_values(stub)])


def _hive(key: str, per_user: bool) -> str:
    """A model key in regedit's spelling: HKLM's classes, or the user's (HKCU\\Software\\Classes,
    which needs no administrator and which COM reads first)."""
    if per_user:
        key = key.replace("HKLM\\SOFTWARE\\Classes", "HKEY_CURRENT_USER\\Software\\Classes", 1)
    return key.replace("HKLM", "HKEY_LOCAL_MACHINE", 1)


def reg_file(classes: Sequence[ComClass], stubs: Sequence[ProxyStub] = (), *,
             per_user: bool = False) -> str:
    """A ``.reg`` file (Registry Editor 5.00 format) for 64-bit regedit to import; ``per_user``
    writes under HKEY_CURRENT_USER (no administrator needed)."""
    lines = ["Windows Registry Editor Version 5.00", "",
             "; Written by interopkit. 32-bit registrations are placed under Wow6432Node, where",
             "; the 32-bit view lives as 64-bit regedit shows it. In code, open the 32-bit view",
             "; with KEY_WOW64_32KEY instead of naming that reserved node.", ""]
    by_key: dict[str, list[RegValue]] = {}
    for value in _values(classes, stubs):
        by_key.setdefault(value.key, []).append(value)
    for key, values in sorted(by_key.items()):  # a parent key before its subkeys
        lines.append(f"[{_hive(key, per_user)}]")
        for value in values:
            name = "@" if value.name == "" else _quote(value.name, value)
            data = (f"dword:{value.data:08x}" if value.kind == "REG_DWORD"
                    else _quote(str(value.data), value))
            lines.append(f"{name}={data}")
        lines.append("")
    return "\r\n".join(lines)


def unregister_file(classes: Sequence[ComClass], stubs: Sequence[ProxyStub] = (), *,
                    per_user: bool = False) -> str:
    """A ``.reg`` file that deletes every key ``reg_file`` would have written into, with its
    subkeys: each CLSID, AppID and Interface key of the registration, and nothing above them."""
    tops = set()
    for value in _values(classes, stubs):
        parts = value.key.split("\\")
        for i, part in enumerate(parts):  # keep the key just below CLSID, AppID or Interface
            if part in ("CLSID", "AppID", "Interface") and i + 1 < len(parts):
                tops.add("\\".join(parts[:i + 2]))
                break
    lines = ["Windows Registry Editor Version 5.00", "",
             "; Written by interopkit: removes what its registration added.", ""]
    lines += [f"[-{_hive(key, per_user)}]" for key in sorted(tops, reverse=True)] + [""]
    return "\r\n".join(lines)


_UNQUOTABLE = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\0": "a NUL"}


def _quote(text: str, value: RegValue) -> str:
    # regedit's format escapes only \ and " inside a string; a line break ends the value and
    # starts a new line of the file, so no such character can be written safely.
    for char, what in _UNQUOTABLE.items():
        if char in text:
            shown = value.name or "(default)"
            raise UsageError(f"{value.key}\\{shown}", f"holds {what} at character "
                             f"{text.index(char)} of {text!r}, which a .reg file cannot carry",
                             "Remove it: Windows file names cannot hold control characters, "
                             "and a .reg file has no escape for them")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Activation:
    """What CoCreateInstance would do."""

    succeeded: bool
    """True when an object is created."""
    how: str
    """``in-process``, ``surrogate (dllhost.exe)``, ``custom surrogate``, ``local server EXE``,
    or ``none``."""
    server_bits: int | None
    """The bitness of the process the object lives in."""
    hresult: int | None
    """The failure HRESULT, or None."""
    reason: str
    """Why."""
    sources: tuple[str, ...]
    """Keys of the sources behind the outcome (``interopkit.sources``)."""
    derived: bool = False
    """True when no source names this outcome exactly (the model derived it)."""
    registration: ComClass | None = None
    """The registration whose DLL (or EXE) serves the object, when one does."""


def activate(classes: list[ComClass], clsid: str, clsctx: int, client_bits: int,
             proxy_stub_bits: Sequence[int] | None = None) -> Activation:
    """The model's CoCreateInstance(clsid, clsctx) from a ``client_bits`` process.

    ``proxy_stub_bits`` names the views where the requested interface's proxy/stub is
    registered; None leaves marshaling out of the model. An object in another process needs it
    in the client's view and in the server's (W64-IPC): without it the activation fails (the
    code is derived: the sources name none)."""
    outcome = _activate(classes, clsid, clsctx, client_bits)
    if proxy_stub_bits is None or not outcome.succeeded or outcome.how == "in-process":
        return outcome
    missing = sorted({client_bits, outcome.server_bits or client_bits} - set(proxy_stub_bits))
    if not missing:
        return outcome
    views = " and ".join(f"{bits}-bit" for bits in missing)
    return Activation(False, "none", None, REGDB_E_CLASSNOTREG, f"{outcome.reason} But the "
                      f"interface's proxy/stub is not registered in the {views} view, so it "
                      "cannot be marshaled between the two processes: cross-bitness COM needs "
                      "it in both views.", ("W64-IPC", "W64-REGKEYS"), derived=True)


def _activate(classes: list[ComClass], clsid: str, clsctx: int,
              client_bits: int) -> Activation:
    clsid = _guid(clsid)
    if client_bits not in (32, 64):
        raise UsageError(f"client_bits={client_bits}", "is not 32 or 64", "Give 32 or 64")
    flags = CLSCTX(clsctx)
    if CLSCTX.ACTIVATE_32_BIT_SERVER in flags and CLSCTX.ACTIVATE_64_BIT_SERVER in flags:
        return Activation(False, "none", None, E_INVALIDARG, "Both ACTIVATE_32_BIT_SERVER and "
                          "ACTIVATE_64_BIT_SERVER: E_INVALIDARG.", ("CLSCTX",))
    views = {c.bits: c for c in classes if c.clsid == clsid}
    if CLSCTX.INPROC_SERVER in flags and client_bits in views:
        return Activation(True, "in-process", client_bits, None, f"The {client_bits}-bit view "
                          "has an InprocServer32 of the client's bitness: the DLL loads into the "
                          "client.", ("COM-INPROC", "W64-REGKEYS"),
                          registration=views[client_bits])
    if CLSCTX.LOCAL_SERVER not in flags:
        # The reason names what is really missing: the registration, or a context to run in.
        if CLSCTX.INPROC_SERVER not in flags:
            reason = ("Neither CLSCTX_INPROC_SERVER nor CLSCTX_LOCAL_SERVER was asked for, so "
                      "there is no context to run the server in; ACTIVATE_32_BIT_SERVER and "
                      "ACTIVATE_64_BIT_SERVER only choose the bitness of the server.")
        else:
            have = ", ".join(f"{bits}-bit" for bits in sorted(views)) or "no"
            reason = (f"No InprocServer32 in the {client_bits}-bit view ({have} registration "
                      "found), and CLSCTX_LOCAL_SERVER was not asked for: a process cannot load "
                      "a DLL of the other bitness.")
        return Activation(False, "none", None, REGDB_E_CLASSNOTREG, reason,
                          ("W64-REGKEYS", "W64-PROCINT"), derived=True)
    order, strict, why = _bitness_order(flags, views, client_bits)
    failures = []
    for bits in order:
        cls = views.get(bits)
        if cls is None:
            failures.append(f"no {bits}-bit registration")
            if strict:
                return Activation(False, "none", None, REGDB_E_CLASSNOTREG, f"{why}, but no "
                                  f"{bits}-bit version is registered: activation fails.",
                                  ("CLSCTX", "COM-PSB"))
            continue
        fell_back = f"{why}; {'; '.join(failures)}, so it falls back" if failures else why
        outcome = _local(cls, fell_back)
        if outcome.succeeded or strict:
            return outcome
        failures.append(outcome.reason)
    return Activation(False, "none", None, REGDB_E_CLASSNOTREG, "No server could be started: "
                      + "; ".join(failures) + ".", ("COM-SURRREG",), derived=True)


def _bitness_order(flags: CLSCTX, views: dict[int, ComClass],
                   client_bits: int) -> tuple[list[int], bool, str]:
    if CLSCTX.ACTIVATE_32_BIT_SERVER in flags:
        return [32], True, "CLSCTX_ACTIVATE_32_BIT_SERVER asks for the 32-bit server"
    if CLSCTX.ACTIVATE_64_BIT_SERVER in flags:
        return [64], True, "CLSCTX_ACTIVATE_64_BIT_SERVER asks for the 64-bit server"
    preferred = next((c.preferred_server_bitness for c in views.values()
                      if c.preferred_server_bitness), None)
    if preferred == 2:
        return [32], True, "PreferredServerBitness = 2 asks for the 32-bit server"
    if preferred == 3:
        return [64], True, "PreferredServerBitness = 3 asks for the 64-bit server"
    if preferred == 1:
        return [client_bits], True, "PreferredServerBitness = 1 asks to match the client"
    other = 32 if client_bits == 64 else 64
    return [client_bits, other], False, "No preference: COM tries the client's bitness first"


def _local(cls: ComClass, why: str) -> Activation:
    if cls.local_server32 is not None:
        return Activation(True, "local server EXE", cls.bits, None, f"{why}; an EXE server is "
                          "registered (LocalServer32), and it always wins over a surrogate.",
                          ("COM-SURRREG",), registration=cls)
    missing = []
    if cls.appid is None:
        missing.append("the CLSID has no AppID value")
    elif cls.dll_surrogate is None:
        missing.append("the AppID has no DllSurrogate value")
    if not cls.dll:
        missing.append("there is no InprocServer32")
    if missing:
        return Activation(False, "none", None, REGDB_E_CLASSNOTREG, f"the {cls.bits}-bit "
                          f"registration cannot be hosted in a surrogate: {', '.join(missing)}",
                          ("COM-SURRREG", "COM-SURR"), derived=True)
    custom = bool(cls.dll_surrogate)
    how = "custom surrogate" if custom else "surrogate (dllhost.exe)"
    host = cls.dll_surrogate if custom else f"the system's {cls.bits}-bit dllhost.exe"
    return Activation(True, how, cls.bits, None, f"{why}; {host} loads the {cls.bits}-bit DLL "
                      "and every call is marshaled across processes.",
                      ("COM-SURRREG", "COM-SURR", "COM-SYSSURR"), registration=cls)
