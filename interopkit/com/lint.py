"""An interface lint: parameters that will not keep their meaning across 32/64-bit stubs.

``lint(source)`` reads an interface (MIDL text, a file's worth; or an ``Interface`` declared
in Python for the kit's proxies) and returns one ``Finding`` per hazard, each naming the
parameter, its type, the rule, the risk, the fix and the sources (keys of
``interopkit.sources``). The rules:

* ``pointer-in-32-bits``: a value whose name says pointer (``pBuffer``, ``lpData``, ``pfn...``)
  declared ``DWORD``/``ULONG``/``long``: a 64-bit caller's pointer loses its upper half
  (W64-PTR, W64-HIDE);
* ``pointer-in-64-bits`` (a warning): a value whose name says pointer declared ``ULONG64``,
  ``UINT64``, ``unsigned __int64``, ``hyper`` or another fixed 64-bit integer: every bit
  arrives, yet an address means nothing in the other process. ``ULONG64`` is for opaque tokens
  (a cookie the receiver hands back or maps), never for pointers (W64-HIDE, W64-IPC,
  W64-DESIGN);
* ``handle-in-32-bits``: a handle disguised as ``DWORD``/``ULONG``, which Microsoft calls
  almost certain to cause trouble (W64-HIDE), although the handle rule makes the bits survive
  when widened by sign extension (W64-IPC);
* ``pointer-in-int3264``: a pointer in an ``__int3264``-derived type (``ULONG_PTR``,
  ``LONG_PTR``, ``DWORD_PTR``...): 4 bytes on the NDR20 wire, which every 32/64 pair uses
  (MIDL-3264, MS-RPCE-NEG);
* ``handle-zero-extended``: a handle in an unsigned ``__int3264`` type: the receiver zero-extends,
  so ``INVALID_HANDLE_VALUE`` arrives in a 64-bit receiver as 0xFFFFFFFF (derived: MIDL-3264,
  CHEN-IHV);
* ``handle-ptr-crossing`` (a warning): ``HANDLE_PTR``/``SHANDLE_PTR`` where a 32-bit and a
  64-bit stub meet. Microsoft recommends ``HANDLE_PTR`` for porting handles, RPC interfaces
  that pass them included (W64-PROCINT); but ``basetsd.h`` makes it 64 bits only under
  ``_WIN64`` (SDK-BASETSD), so the two builds would lay the message out differently *if* MIDL
  defines ``_WIN64`` for 64-bit stubs, which is unverified (off with ``same_bitness=True``);
* ``int3264-in-automation``: an ``__int3264`` type in an ``[oleautomation]`` or ``[dual]``
  interface, which MIDL-3264 says cannot be used there;
* ``int3264-truncates`` (a note): any other ``__int3264`` value: fine below 2**32, truncated
  above, and not recommended in new interfaces (MIDL-3264).

Meaning is read from names, as a reviewer would (``meaning``). A name is split into words
at capitals, digits and underscores (``pfnProgress``: pfn, Progress; ``buffer_address``:
buffer, address). One leading ``p`` or ``lp`` per declared level of indirection is the
parameter's own pointer and is read off first (``phFile`` is a pointer to a handle). Then:

1. a count is never a pointer or a handle: a first word ``c``, ``cb``, ``cch``, ``n``,
   ``num``, ``count``, ``len`` or ``size``, or a name ending in count, size, len or length;
2. a handle: an ``h``, ``hwnd``, ``hdc`` or ``hkey`` prefix, or ``handle`` in the name;
3. a pointer: a first word ``p``, ``lp``, ``pv``, ``ppv``, ``lpv``, ``pfn``, ``lpfn``,
   ``psz``, ``lpsz``, ``pwsz`` or ``lpwsz`` (Hungarian), or any word ``ptr``, ``pointer``,
   ``addr``, ``address``, ``buf`` or ``buffer`` (a buffer in an integer is its address).

A pointer with an innocent name is missed. ``[local]`` methods are not marshaled and are
skipped. Taught in notebook 06.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interopkit.com.activation import Interface
from interopkit.com.idl import MAX_SIZE, Declaration, Scope, from_interface, parse
from interopkit.errors import UsageError
from interopkit.kit.samples import data_dir
from interopkit.ndr.rules import TYPES

__all__ = ["IDL_DIR", "RULES", "Finding", "Rule", "lint", "lint_file", "meaning"]

IDL_DIR = data_dir() / "idl"
"""The kit's example interfaces: ``scanner_ported.idl`` (seeded mistakes) and
``scanner_fixed.idl`` (the same interface mended)."""


@dataclass(frozen=True)
class Rule:
    """One hazard the lint knows."""

    name: str
    """Its identifier (``pointer-in-32-bits``)."""
    severity: str
    """``error`` (the value will be wrong), ``warning`` (wrong unless handled with care) or
    ``note`` (worth a look)."""
    risk: str
    """What goes wrong, in a sentence."""
    fix: str
    """What to declare instead."""
    sources: tuple[str, ...]
    """Keys of ``interopkit.sources.SOURCES``."""
    certainty: str
    """``documented`` or ``derived`` (follows from documented rules)."""


_INTERFACE_FIX = ("pass an interface pointer to an object that owns the memory (DCOM) or a "
                  "context handle (RPC); if the design cannot change, map it on the server "
                  "with [call_as] (or [represent_as]/[transmit_as]); ULONG64 only when wire "
                  "compatibility does not matter")

RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("pointer-in-32-bits", "error", "a 64-bit caller's pointer does not fit in 32 bits: "
         "the upper half is cut off before the value reaches the wire, and a pointer means "
         "nothing in the other process anyway", _INTERFACE_FIX, ("W64-PTR", "W64-HIDE"),
         "documented"),
    Rule("handle-in-32-bits", "warning", "a handle disguised as a 32-bit integer: Microsoft "
         "calls this almost certain to cause compatibility problems; the bits survive only "
         "when the receiver widens them by sign extension (Handle32ToHandle), and Microsoft's "
         "own pages disagree on whether handles should cross at all",
         "declare the handle's own type (HWND and the GDI handles travel as a 32-bit remotable "
         "handle), or an interface pointer (DCOM) or context handle (RPC) for server state",
         ("W64-HIDE", "W64-IPC", "W64-PROCINT", "WINE-WTYPES"), "documented"),
    Rule("pointer-in-int3264", "error", "__int3264 types are 4 bytes on the NDR20 wire, and "
         "every 32/64-bit pair negotiates NDR20: the sender truncates the pointer to its low "
         "32 bits", _INTERFACE_FIX, ("MIDL-3264", "MS-RPCE-NEG", "W64-HIDE"), "documented"),
    Rule("handle-zero-extended", "warning", "an unsigned __int3264 is zero-extended by a "
         "64-bit receiver, so INVALID_HANDLE_VALUE (-1) arrives as 0x00000000FFFFFFFF, not -1",
         "declare the handle's own type, or a signed type (LONG_PTR is sign-extended, as "
         "Handle32ToHandle does)", ("MIDL-3264", "CHEN-IHV", "SDK-BASETSD"), "derived"),
    Rule("handle-ptr-crossing", "warning", "Microsoft recommends HANDLE_PTR for porting "
         "handles, RPC interfaces that pass them as DWORD values included (W64-PROCINT), but "
         "basetsd.h makes it unsigned __int64 under _WIN64 and unsigned long otherwise, not "
         "__int3264 (SDK-BASETSD): a 32-bit and a 64-bit stub built from this IDL would then "
         "lay the message out differently (4 bytes against 8). That rests on an unverified "
         "assumption, that MIDL defines _WIN64 for 64-bit stubs; Wine's widl does not",
         "between 64-bit processes keep HANDLE_PTR (--same-bitness); across bitness check the "
         "stubs MIDL generates for both builds, or send the handle as a fixed 32-bit LONG and "
         "widen it with Handle32ToHandle (only its low 32 bits are significant)",
         ("W64-PROCINT", "SDK-BASETSD", "W64-IPC"), "derived"),
    Rule("pointer-in-64-bits", "warning", "a pointer in a 64-bit integer arrives with every "
         "bit, yet it means nothing in the other process: each has its own address space, and "
         "what it points to does not travel. ULONG64 is for opaque tokens the receiver hands "
         "back or maps to its own objects, never for pointers",
         "send the data itself ([in, size_is(cb)] const BYTE *buffer), an interface pointer "
         "(DCOM) or a context handle (RPC); if the value really is an opaque token, name it as "
         "one (cookie, token, userData)", ("W64-HIDE", "W64-IPC", "W64-DESIGN"), "derived"),
    Rule("int3264-in-automation", "error", "__int3264 and the types derived from it cannot "
         "be used in OLE Automation interfaces and type libraries", "use long (32 bits) for "
         "values that fit, or leave the interface out of Automation and build its proxy/stub "
         "with MIDL", ("MIDL-3264",), "documented"),
    Rule("int3264-truncates", "note", "32 bits on the NDR20 wire: a 64-bit sender's value of "
         "2**32 or more loses its upper half, and Microsoft advises against these types in "
         "new interfaces", "ULONG64 when values can exceed 32 bits, or a 32-bit type "
         "(ULONG, LONG) when they cannot", ("MIDL-3264",), "documented"),
)}
"""The rules, by name."""


@dataclass(frozen=True)
class Finding:
    """One parameter, field or return value that breaks a rule."""

    rule: Rule
    """The rule it breaks."""
    where: str
    """``IScanner.AttachBuffer``, or ``struct SCAN_JOB`` for a field."""
    parameter: str
    """The parameter's or field's name (``return`` for a return value)."""
    type: str
    """Its type as written, with the base type when a typedef hides it (``HSCAN = DWORD``)."""
    line: int
    """Line in the IDL text (0 for an interface declared in Python)."""

    @property
    def message(self) -> str:
        """One line: where, what, why."""
        place = f"{self.where}.{self.parameter}" if self.where.startswith("struct ") else \
            f"{self.where}({self.parameter})"
        return f"{place}: {self.type}: {self.rule.risk}"

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain JSON types."""
        rule = self.rule
        return {"parameter": self.parameter, "type": self.type, "rule": rule.name,
                "message": self.message, "where": self.where, "line": self.line,
                "severity": rule.severity, "certainty": rule.certainty, "fix": rule.fix,
                "sources": list(rule.sources)}


_HANDLE_PREFIX = re.compile(r"^(?:h(?=[A-Z0-9_])|hwnd|hdc|hkey)")
_COUNT = re.compile(r"^(?:cch|cb|c|n|num|count|len|size)(?=[A-Z0-9_]|$)"
                    r"|(?i:count|size|length|len)$")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_POINTER_PREFIXES = {"p", "lp", "pv", "ppv", "lpv", "pfn", "lpfn", "psz", "lpsz", "pwsz",
                     "lpwsz"}
_POINTER_WORDS = {"ptr", "pointer", "addr", "address", "buf", "buffer"}


def meaning(name: str, pointers: int = 0) -> str | None:
    """``pointer``, ``handle`` or None: what a name says its value holds, by the rule in this
    module's docstring.

    ``pointers`` levels of indirection are the parameter itself (``phFile`` is a pointer to a
    handle), so one ``p`` or ``lp`` per level is read off first.
    """
    for _ in range(pointers):
        name = re.sub(r"^(?:lp|p)(?=[a-zA-Z])", "", name)
    if _COUNT.search(name):
        return None
    if _HANDLE_PREFIX.match(name) or "handle" in name.lower():
        return "handle"
    words = [word.lower() for word in _WORD.findall(name)]
    if words and (words[0] in _POINTER_PREFIXES or _POINTER_WORDS & set(words)):
        return "pointer"
    return None


def _rule_for(declaration: Declaration, automation: bool, same_bitness: bool) -> Rule | None:
    # A parameter declared T* carries a T across (the pointer itself is MIDL's business), so
    # the rules look at T; a T** carries a pointer, which MIDL marshals as such.
    wire_type = TYPES.get(declaration.base)
    if wire_type is None or declaration.pointers > 1 or "context_handle" in declaration.attributes:
        return None
    held = meaning(declaration.name, declaration.pointers) if declaration.name else None
    family = wire_type.family
    if family == "int3264" and automation:
        return RULES["int3264-in-automation"]
    if family == "handle_ptr":
        return None if same_bitness else RULES["handle-ptr-crossing"]
    if family == "fixed32" and declaration.base not in ("HRESULT", "BOOL") and held:
        return RULES[f"{held}-in-32-bits"]
    if family == "fixed64" and held == "pointer":
        return RULES["pointer-in-64-bits"]
    if family == "int3264":
        if held == "pointer":
            return RULES["pointer-in-int3264"]
        if held == "handle" and not wire_type.signed:
            return RULES["handle-zero-extended"]
        return RULES["int3264-truncates"]
    return None


def _check(scope: Scope, same_bitness: bool) -> list[Finding]:
    if "local" in scope.attributes:
        return []
    automation = bool({"oleautomation", "dual"} & set(scope.attributes))
    found = []
    for method, declaration in scope.members:
        if "local" in declaration.attributes:
            continue
        rule = _rule_for(declaration, automation, same_bitness)
        if rule is None:
            continue
        where = f"{scope.name}.{method}" if scope.kind == "interface" else f"struct {scope.name}"
        written = declaration.type if declaration.type == declaration.base else \
            f"{declaration.type} = {declaration.base}"
        found.append(Finding(rule, where, declaration.name or "return", written,
                             declaration.line))
    return found


def lint(source: str | Interface | Scope | Iterable[Interface | Scope], *,
         same_bitness: bool = False, name: str = "<idl>") -> list[Finding]:
    """Every finding in ``source``: MIDL text, an ``Interface``, a parsed ``Scope``, or an
    iterable of those. ``same_bitness=True`` says both sides are 64-bit (HANDLE_PTR is then
    the right type); ``name`` names MIDL text in errors."""
    if isinstance(source, str):
        scopes: list[Scope] = parse(source, name)
    elif isinstance(source, (Interface, Scope)):
        scopes = [_scope(source)]
    else:
        scopes = [_scope(item) for item in source]
    return [finding for scope in scopes for finding in _check(scope, same_bitness)]


def _scope(item: Interface | Scope) -> Scope:
    if isinstance(item, Interface):
        return from_interface(item)
    if isinstance(item, Scope):
        return item
    raise UsageError(repr(item)[:60], "is not an interface", "Pass MIDL text, an "
                     "interopkit.com.activation.Interface or a parsed interopkit.com.idl.Scope")


def lint_file(path: str | Path, *, same_bitness: bool = False) -> list[Finding]:
    """``lint`` on an .idl file: UTF-8, with or without a byte-order mark, up to
    ``interopkit.com.idl.MAX_SIZE`` bytes (UsageError when it cannot be read, is not a regular
    file, or is longer)."""
    path = Path(path)
    try:
        data = _read_regular(path, MAX_SIZE)
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(str(path), f"cannot be read ({exc.__class__.__name__}: "
                         f"{getattr(exc, 'strerror', None) or exc})",
                         "Give the path of a MIDL (.idl) text file") from exc
    return lint(text, same_bitness=same_bitness, name=path.name)


_SPECIAL = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
            (stat.S_ISSOCK, "a socket"))


def _read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file. Opened without blocking and checked before
    any read: a FIFO would block the open, and /dev/zero never ends."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _SPECIAL if test(info.st_mode)),
                        "not a regular file")
            raise UsageError(str(path), f"is {kind}, not a regular file",
                             "Give the path of a MIDL (.idl) text file")
        chunks, left = [], 0 if info.st_size > limit else limit + 1  # +1: a file that grew
        while left and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if info.st_size > limit or len(data) > limit:
        raise UsageError(str(path), f"is over the lint's limit of {limit:,} bytes "
                         f"({limit >> 20} MiB)", "Lint the interfaces that cross the process "
                         "boundary, in a file of their own")
    return data
