"""COM activation made real: ``create_instance`` and the proxy it returns.

``interopkit.com.registry`` models what CoCreateInstance decides from the registry. Here the
decision is carried out with the kit's own parts: when the model says the object lives in a
surrogate, ``create_instance`` starts the kit's surrogate of that bitness for the registered DLL
(as COM starts dllhost.exe) and returns a proxy; when it says in-process, the DLL's code runs in
this process on the kit's emulator (a Linux Python cannot map a Windows DLL natively). The proxy's
methods come from an ``Interface``: each method names an export, its parameters and its return
type, in MIDL's spelling, and the type says how each value travels (``interopkit.surrogate.wire``).
Like a COM surrogate, one surrogate process serves every object of the same AppID and bitness and
ends when the last proxy is released. Taught in notebook 05.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from interopkit.com.registry import REGDB_E_CLASSNOTREG, ComClass, activate
from interopkit.errors import SurrogateError, UsageError
from interopkit.ndr.rules import TYPES as NDR_TYPES
from interopkit.surrogate.client import Surrogate
from interopkit.surrogate.wire import ArgType, Argument

__all__ = ["SAMPLE_CLSID", "SAMPLE_INTERFACE", "TYPES", "Interface", "Method", "Param", "Proxy",
           "create_instance"]

_FAMILIES = {"fixed32": ArgType.INT32, "fixed64": ArgType.INT64, "int3264": ArgType.PTR,
             "handle_ptr": ArgType.PTR}

TYPES: dict[str, ArgType] = {
    **{name: _FAMILIES[wire_type.family] for name, wire_type in NDR_TYPES.items()},
    "HANDLE": ArgType.PTR,  # a pointer (void *): the kit's wire carries it pointer-sized
}
"""Scalar types by MIDL name (the NDR model's vocabulary, ``interopkit.ndr.rules.TYPES``), and how
the kit's wire carries each (``BYTE*`` is a buffer)."""

_BUFFERS = {"in": ArgType.IN, "out": ArgType.OUT, "in,out": ArgType.INOUT}


@dataclass(frozen=True)
class Param:
    """One parameter: ``Param("data", "BYTE*", "in")``."""

    name: str
    """Its name (it names the parameter in errors, and in the lint of notebook 06)."""
    type: str
    """A scalar type from ``TYPES``, or ``BYTE*`` for a buffer."""
    direction: str = "in"
    """``in``, ``out`` or ``in,out`` (MIDL's attributes; only buffers travel back)."""

    def __post_init__(self) -> None:
        if self.type != "BYTE*" and self.type not in TYPES:
            raise UsageError(f"{self.name}: {self.type}", "is not a type the kit marshals",
                             f"Use BYTE* or one of {', '.join(sorted(TYPES))}")
        if self.direction not in _BUFFERS or (self.type != "BYTE*" and self.direction != "in"):
            raise UsageError(f"{self.name}: [{self.direction}]", "is not a direction for "
                             f"{self.type}", "Scalars are [in]; BYTE* is [in], [out] or [in,out]")

    @property
    def wire(self) -> ArgType:
        """How it travels."""
        return _BUFFERS[self.direction] if self.type == "BYTE*" else TYPES[self.type]


@dataclass(frozen=True)
class Method:
    """One method: the export it calls, its parameters and its return type."""

    name: str
    """The method's name, which is the export's name."""
    params: tuple[Param, ...] = ()
    """Its parameters, in order."""
    returns: str = "LONG"
    """A scalar type from ``TYPES``, or ``void``."""
    export: str = ""
    """The export's name when it differs (x86 stdcall decoration: ``add_stdcall@8``)."""

    def __post_init__(self) -> None:
        if self.returns != "void" and self.returns not in TYPES:
            raise UsageError(f"{self.name} returns {self.returns}", "is not a return type the "
                             "kit marshals", "Use void or a scalar type")


@dataclass(frozen=True)
class Interface:
    """A named set of methods."""

    name: str
    """Its name (``ISample``)."""
    methods: tuple[Method, ...]
    """Its methods."""

    def method(self, name: str) -> Method:
        """The method called ``name``; UsageError naming the others when there is none."""
        for method in self.methods:
            if method.name == name:
                return method
        raise UsageError(f"{self.name}.{name}", "is not a method of the interface",
                         f"Its methods: {', '.join(m.name for m in self.methods)}")


SAMPLE_CLSID = "{6F1D1A5E-3C2B-4E8A-9A64-1B2C3D4E5F60}"
"""A CLSID made up for the kit's sample library (no real product uses it)."""

SAMPLE_INTERFACE = Interface("ISample", (
    Method("add", (Param("a", "LONG"), Param("b", "LONG"))),
    Method("checksum", (Param("data", "BYTE*"), Param("size", "ULONG")), "ULONG"),
    Method("fill", (Param("buffer", "BYTE*", "out"), Param("size", "ULONG"),
                    Param("seed", "ULONG")), "ULONG"),
    Method("ptr_size", (), "ULONG"),
    Method("echo_ptr", (Param("value", "INT_PTR"),), "INT_PTR"),
    Method("echo_u64", (Param("value", "ULONG64"),), "ULONG64"),
    Method("counter_next", (), "ULONG"),
    Method("counter_reset", (Param("value", "ULONG"),), "void"),
))
"""The sample library's exports as an interface (the same declarations for x86 and x64)."""


class Proxy:
    """What ``create_instance`` returns: call the interface's methods as Python methods.

    A method returns its return value; with [out] or [in,out] buffers it returns them too, in
    a tuple after the value (or alone, for a ``void`` method).
    """

    def __init__(self, interface: Interface, cls: ComClass, how: str, reason: str,
                 backend: _Backend) -> None:
        self.interface, self.registration, self.how, self.reason = interface, cls, how, reason
        self._backend: _Backend | None = backend

    @property
    def surrogate(self) -> Surrogate | None:
        """The surrogate process serving this object (None in-process)."""
        return self._backend.surrogate if self._backend else None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        method = self.interface.method(name)
        return lambda *args: self._invoke(method, args)

    def _invoke(self, method: Method, args: tuple[Any, ...]) -> Any:
        if self._backend is None:
            raise UsageError(f"{self.interface.name}.{method.name}", "was called after release",
                             "Create a new instance")
        if len(args) != len(method.params):
            raise UsageError(f"{self.interface.name}.{method.name}", f"takes "
                             f"{len(method.params)} arguments ({_signature(method)}), not "
                             f"{len(args)}", "An [out] buffer's argument is its size in bytes")
        arguments = [_marshal(param, value) for param, value in zip(method.params, args)]
        returns = ArgType.VOID if method.returns == "void" else TYPES[method.returns]
        result, buffers = self._backend.call(method.export or method.name, arguments, returns)
        values = ([] if returns is ArgType.VOID else [_signed(method.returns, result)]) + \
            list(buffers)
        return None if not values else values[0] if len(values) == 1 else tuple(values)

    def release(self) -> None:
        """Drop the object; the last one released ends its surrogate."""
        if self._backend is not None:
            self._backend.release()
            self._backend = None

    def __enter__(self) -> Proxy:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        where = (f"the kit's {self.surrogate.kind} {self.surrogate.bits}-bit surrogate"
                 if self.surrogate else "this process")
        return f"<{self.interface.name} proxy: Windows would use {self.how}; here: {where}>"


def create_instance(clsid: str, clsctx: int, *, registry: list[ComClass],
                    interface: Interface = SAMPLE_INTERFACE, client_bits: int = 64,
                    kind: str = "auto") -> Proxy:
    """CoCreateInstance as the model decides it, carried out: see the module's description.

    SurrogateError with the HRESULT when activation fails.
    """
    activation = activate(registry, clsid, clsctx, client_bits)
    if not activation.succeeded:
        hresult = activation.hresult or REGDB_E_CLASSNOTREG
        raise SurrogateError(clsid, f"cannot be activated: HRESULT 0x{hresult:08X} "
                             f"({activation.reason})", "Register the class as notebook 05 "
                             "shows, or ask for another CLSCTX")
    cls = activation.registration
    assert cls is not None
    if activation.how == "local server EXE":
        raise SurrogateError(clsid, "is served by a LocalServer32 EXE, which the kit does not "
                             "start", "Remove LocalServer32 to use the surrogate")
    if activation.how == "in-process":
        backend: _Backend = _InProcess(cls.dll, cls.bits)
    else:
        backend = _shared_surrogate(cls, kind)
    return Proxy(interface, cls, activation.how, activation.reason, backend)


class _Backend:
    surrogate: Surrogate | None = None

    def call(self, export: str, args: list[Argument],
             returns: ArgType) -> tuple[int, tuple[bytes, ...]]:
        raise NotImplementedError

    def release(self) -> None:
        pass


class _InProcess(_Backend):
    def __init__(self, dll: str, bits: int) -> None:
        from interopkit.surrogate.emulated import Host  # deferred: it imports the emulator

        self._host = Host(dll, bits)

    def call(self, export: str, args: list[Argument],
             returns: ArgType) -> tuple[int, tuple[bytes, ...]]:
        result, buffers = self._host.call(export, args, returns)
        return result, tuple(buffers)


class _Shared(_Backend):
    """One surrogate per (AppID, bitness, DLL, kind), counted by the proxies that use it."""

    def __init__(self, key: tuple[str, ...], surrogate: Surrogate) -> None:
        self.key, self.surrogate, self.users = key, surrogate, 0

    def call(self, export: str, args: list[Argument],
             returns: ArgType) -> tuple[int, tuple[bytes, ...]]:
        assert self.surrogate is not None
        done = self.surrogate.call(export, *args, returns=returns)
        return done.result, done.buffers

    def release(self) -> None:
        with _LOCK:
            self.users -= 1
            if self.users == 0:
                del _SURROGATES[self.key]
                assert self.surrogate is not None
                self.surrogate.close()


_LOCK = threading.Lock()
_SURROGATES: dict[tuple[str, ...], _Shared] = {}


def _shared_surrogate(cls: ComClass, kind: str) -> _Shared:
    key = (cls.appid or cls.clsid, str(cls.bits), cls.dll, kind)
    with _LOCK:
        shared = _SURROGATES.get(key)
        if shared is None:
            shared = _SURROGATES[key] = _Shared(key, Surrogate(cls.dll, cls.bits, kind=kind))
        shared.users += 1
        return shared


def _marshal(param: Param, value: Any) -> Argument:
    kind = param.wire
    if kind in (ArgType.IN, ArgType.INOUT):
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise UsageError(f"{param.name} ({param.type} [{param.direction}])",
                             f"got {type(value).__name__}", "Pass bytes")
        return Argument(kind, bytes(value))
    if not isinstance(value, int) or isinstance(value, bool):
        raise UsageError(f"{param.name} ({param.type})", f"got {type(value).__name__}",
                         "Pass an int (an [out] buffer's size in bytes)" if kind is ArgType.OUT
                         else "Pass an int")
    return Argument(kind, value)


def _signed(type_name: str, value: int) -> int:
    """A returned value read as its declared type (LONG -1, not 4294967295)."""
    declared = NDR_TYPES.get(type_name)
    if declared and declared.family == "fixed32" and declared.signed and value >= 1 << 31:
        return value - (1 << 32)
    return value


def _signature(method: Method) -> str:
    return ", ".join(f"[{p.direction}] {p.type} {p.name}" for p in method.params)
